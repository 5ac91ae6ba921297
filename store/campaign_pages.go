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

// read runs the audience's one statement and cuts its rows into pages
// as free pages come back, until the rows end. PostgreSQL streams the
// rows and waits while the socket is full, so memory stays bounded by
// pipeDepth pages; the statement is planned once and each table read in
// one pass (pgFactsQuery), where a statement per page paid a B-tree
// descent per customer for its consent and a plan per page. It also
// reads the audience in one snapshot.
func (pp *pipedPages) read(ctx context.Context, s *Store, conn *pgx.Conn, p *plan) error {
	// The statement's estimated cost passes jit_above_cost on a large
	// audience; its per-row work is a few expressions, and compiling them
	// (per plan, for every preview) is not worth it. Every pg of
	// planReads runs fn inside a transaction, so this ends with it.
	if _, err := conn.Exec(ctx, "SET LOCAL jit = off"); err != nil {
		return mapError(err, "Campaign audience")
	}
	inner, args := s.pgAudience(p)
	query, args := pgFactsQuery(p, inner, args, factsDecide)
	rows, err := conn.Query(ctx, query, args...)
	if err != nil {
		return mapError(err, "Campaign audience")
	}
	// On an early stop the context is cancelled first (stop), so closing
	// does not read the rest of the audience.
	defer rows.Close()
	fs := s.newFactsScanner(p.version.Topic)
	for {
		var page *factsPage
		select {
		case page = <-pp.free:
		case <-ctx.Done():
			return ctx.Err()
		}
		page.reset()
		more, err := fs.fill(rows, page, planBatch)
		if err != nil {
			return err
		}
		if len(page.facts) == 0 {
			return nil
		}
		select {
		case pp.out <- page:
		case <-ctx.Done():
			return ctx.Err()
		}
		if !more {
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
