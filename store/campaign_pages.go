package store

import (
	"context"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"
)

// pageSource hands planning the audience one page at a time, in id order.
type pageSource interface {
	// next returns the next page, nil after the last one.
	next() (*factsPage, error)
	// recycle gives a decided page back for reuse.
	recycle(*factsPage)
	// stop ends reading early (or after the end) and waits until the
	// source no longer uses its connection.
	stop()
}

// planPages returns p's audience pages: on PostgreSQL read ahead on their
// own goroutine (pgPages), on SQLite one after the other on r.db.
func (s *Store) planPages(ctx context.Context, r planReads, p *plan) pageSource {
	if r.pg == nil {
		return &serialPages{s: s, ctx: ctx, db: r.db, p: p}
	}
	return s.pgPages(ctx, r, p)
}

// pipeDepth is how many pages a PostgreSQL plan holds: one being read,
// one waiting and one being decided. Memory is bounded by it, whatever
// the audience size.
const pipeDepth = 3

// pipedPages reads pages with their facts on a goroutine of its own, on
// one pgx connection, while planning decides the previous page: reading
// and decoding (a third of a large preview's CPU, issue 17) overlap with
// deciding on a second core. Pages circulate between free and out, so
// their buffers are reused.
type pipedPages struct {
	out    chan *factsPage
	free   chan *factsPage
	cancel context.CancelFunc
	done   chan struct{}
	err    error // the reader's; read after out is closed
}

func (s *Store) pgPages(ctx context.Context, r planReads, p *plan) *pipedPages {
	ctx, cancel := context.WithCancel(ctx)
	pp := &pipedPages{out: make(chan *factsPage, pipeDepth), free: make(chan *factsPage, pipeDepth), cancel: cancel,
		done: make(chan struct{})}
	for range pipeDepth {
		pp.free <- &factsPage{}
	}
	go func() {
		defer close(pp.done)
		defer close(pp.out)
		pp.err = r.pg(ctx, func(conn *pgx.Conn) error { return pp.read(ctx, s, conn, p) })
	}()
	return pp
}

// read fills free pages until the audience ends. The statement is built
// once; only the id it continues after changes from page to page.
func (pp *pipedPages) read(ctx context.Context, s *Store, conn *pgx.Conn, p *plan) error {
	// The page statement is a few thousand index lookups; its estimated
	// cost can pass jit_above_cost, and compiling it would cost more than
	// running it, page after page. Every pg of planReads runs fn inside a
	// transaction, so this ends with it.
	if _, err := conn.Exec(ctx, "SET LOCAL jit = off"); err != nil {
		return mapError(err, "Campaign audience")
	}
	inner, args := s.pgAudiencePage(p, 0)
	afterArg := len(args) - 2 // pgAudiencePage binds after, then the page size
	query, args := pgFactsQuery(p, inner, args)
	fs := s.newFactsScanner(p.version.Topic)
	for {
		var page *factsPage
		select {
		case page = <-pp.free:
		case <-ctx.Done():
			return ctx.Err()
		}
		page.reset()
		if err := fs.read(ctx, conn, query, args, page); err != nil {
			return err
		}
		n := len(page.facts)
		if n == 0 {
			return nil
		}
		args[afterArg] = page.customers[n-1].ID
		select {
		case pp.out <- page:
		case <-ctx.Done():
			return ctx.Err()
		}
		if n < planBatch {
			return nil
		}
	}
}

func (pp *pipedPages) next() (*factsPage, error) {
	if page, ok := <-pp.out; ok {
		return page, nil
	}
	return nil, pp.err
}

func (pp *pipedPages) recycle(page *factsPage) { pp.free <- page }

func (pp *pipedPages) stop() {
	pp.cancel()
	<-pp.done
}

// serialPages reads a page and its facts when asked (SQLite: through the
// pool, one query at a time, as a preview does; a launch writes between
// pages in short transactions of its own, see launchInSteps).
type serialPages struct {
	s     *Store
	ctx   context.Context
	db    *gorm.DB
	p     *plan
	after int64
	ended bool
}

func (sp *serialPages) next() (*factsPage, error) {
	if sp.ended {
		return nil, nil
	}
	batch, err := sp.s.audiencePage(sp.ctx, sp.db, sp.p, sp.after)
	if err != nil || len(batch) == 0 {
		return nil, err
	}
	sp.after, sp.ended = batch[len(batch)-1].ID, len(batch) < planBatch
	facts, err := sp.s.batchFacts(sp.db.WithContext(sp.ctx), sp.p, batch)
	if err != nil {
		return nil, err
	}
	return &factsPage{facts: facts}, nil
}

func (sp *serialPages) recycle(*factsPage) {}

func (sp *serialPages) stop() {}
