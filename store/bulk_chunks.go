package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"runtime"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// copyChunks COPYs a chunked table (BulkTable.Chunk) on conn. Up to
// GOMAXPROCS chunks run at once, each generating its rows and encoding
// them in COPY's binary format with a type map of its own, and the
// encoded chunks are sent in order: the one goroutine that feeds the
// connection only moves bytes. (pgx's CopyFrom encodes every row on the
// goroutine that sends, which made it the seed's bottleneck.) The values
// are encoded exactly as CopyFrom would: the same pgtype plans for the
// column types the server describes.
func copyChunks(ctx context.Context, conn *pgx.Conn, t BulkTable) (int64, error) {
	sd, err := conn.PgConn().Prepare(ctx, "", "SELECT "+quotedColumns(t.Columns)+" FROM "+pgx.Identifier{t.Name}.Sanitize(), nil)
	if err != nil {
		return 0, err
	}
	oids := make([]uint32, len(sd.Fields))
	for i, f := range sd.Fields {
		oids[i] = f.DataTypeOID
	}
	src := startChunks(ctx, t, oids, runtime.GOMAXPROCS(0))
	tag, err := conn.PgConn().CopyFrom(ctx, src, copyStatement(t.Name, t.Columns))
	src.stop()
	if err := src.failure(); err != nil {
		return 0, err // the generator's own error, not the server's "COPY failed"
	}
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

// encodedChunk is one chunk's rows in COPY's binary format, or the error
// that stopped it.
type encodedChunk struct {
	buf *[]byte
	err error
}

// chunkSource is the io.Reader a chunked COPY reads: the header, each
// chunk's bytes in order as they are ready, the trailer.
type chunkSource struct {
	ctx   context.Context
	queue chan chan encodedChunk // result channels in chunk order
	done  chan struct{}
	once  sync.Once
	cur   []byte  // unread bytes
	held  *[]byte // the pooled buffer cur points into
	ended bool
	// err is the error that ended the stream. PgConn.CopyFrom can return
	// on a broken connection before its reading goroutine does, so it is
	// guarded.
	mu  sync.Mutex
	err error
}

// chunkBuffers and chunkMaps are reused across chunks: a chunk's
// buffer goes back once it is sent; a type map caches encoding plans.
var (
	chunkBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 1<<20); return &b }}
	chunkMaps    = sync.Pool{New: func() any { return pgtype.NewMap() }}
)

// startChunks runs t's chunks on up to workers goroutines, in index
// order, holding at most 2*workers finished chunks that were not read.
func startChunks(ctx context.Context, t BulkTable, oids []uint32, workers int) *chunkSource {
	workers = max(workers, 1)
	cs := &chunkSource{ctx: ctx, queue: make(chan chan encodedChunk, 2*workers), done: make(chan struct{}), cur: copyBinaryHeader}
	go func() {
		defer close(cs.queue)
		sem := make(chan struct{}, workers)
		for i := range t.Chunks {
			select {
			case sem <- struct{}{}:
			case <-cs.done:
				return
			}
			// Started before it is queued: the reader waits only for
			// chunks that run, and chunk i-1 always runs before chunk i.
			res := make(chan encodedChunk, 1)
			go func() {
				defer func() { <-sem }()
				res <- encodeChunk(t, i, oids)
			}()
			select {
			case cs.queue <- res:
			case <-cs.done:
				return
			}
		}
	}()
	return cs
}

// encodeChunk runs chunk i of t and returns its rows encoded.
func encodeChunk(t BulkTable, i int, oids []uint32) encodedChunk {
	m := chunkMaps.Get().(*pgtype.Map)
	defer chunkMaps.Put(m)
	bp := chunkBuffers.Get().(*[]byte)
	buf := (*bp)[:0]
	err := t.Chunk(i, func(row []any) error {
		if len(row) != len(oids) {
			return fmt.Errorf("bulk load %s: a row has %d values for %d columns", t.Name, len(row), len(oids))
		}
		buf = binary.BigEndian.AppendUint16(buf, uint16(len(row)))
		for j, v := range row {
			at := len(buf)
			buf = binary.BigEndian.AppendUint32(buf, 0xffffffff) // -1: NULL unless a value follows
			out, ok := appendBinary(buf, oids[j], v)
			if ok {
				buf = out
				binary.BigEndian.PutUint32(buf[at:], uint32(len(buf)-at-4))
				continue
			}
			out, err := m.Encode(oids[j], pgtype.BinaryFormatCode, v, buf)
			if err != nil {
				return fmt.Errorf("bulk load %s, column %s: %w", t.Name, t.Columns[j], err)
			}
			if out != nil {
				buf = out
				binary.BigEndian.PutUint32(buf[at:], uint32(len(buf)-at-4))
			}
		}
		return nil
	})
	*bp = buf
	if err != nil {
		chunkBuffers.Put(bp)
		return encodedChunk{err: err}
	}
	return encodedChunk{buf: bp}
}

// appendBinary appends v in COPY's binary format for the column type oid
// when v is one of the few values a seed's rows hold (a string or an
// int64, int or time.Time, or a non-nil pointer to one) and the type is
// one whose format is that value's bytes: text, jsonb, int8, int4,
// timestamptz, bool. It writes exactly what pgtype's plans write (a test
// compares them), without looking a plan up by type and without the
// reflection pgtype needs to dereference a pointer, which were a third of
// the encoding; ok is false for anything else, which then goes through
// pgtype.
func appendBinary(buf []byte, oid uint32, v any) (out []byte, ok bool) {
	switch oid {
	case pgtype.TextOID, pgtype.JSONBOID:
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case *string:
			if x == nil {
				return nil, false
			}
			s = *x
		default:
			return nil, false
		}
		if oid == pgtype.JSONBOID {
			buf = append(buf, 1) // jsonb's binary format version
		}
		return append(buf, s...), true
	case pgtype.Int8OID:
		switch x := v.(type) {
		case int64:
			return appendInt8Binary(buf, x), true
		case *int64:
			if x != nil {
				return appendInt8Binary(buf, *x), true
			}
		}
	case pgtype.Int4OID:
		var i int
		switch x := v.(type) {
		case int:
			i = x
		case *int:
			if x == nil {
				return nil, false
			}
			i = *x
		default:
			return nil, false
		}
		if out, ok := appendInt4Binary(buf, i); ok {
			return out, true
		}
		return nil, false // pgtype reports the overflow
	case pgtype.TimestamptzOID:
		var t time.Time
		switch x := v.(type) {
		case time.Time:
			t = x
		case *time.Time:
			if x == nil {
				return nil, false
			}
			t = *x
		default:
			return nil, false
		}
		return appendTimestamptzBinary(buf, t), true
	case pgtype.BoolOID:
		if x, isBool := v.(bool); isBool {
			if x {
				return append(buf, 1), true
			}
			return append(buf, 0), true
		}
	}
	return nil, false
}

// Read implements io.Reader for PgConn.CopyFrom. An error of a chunk
// ends the stream with that error (CopyFrom then aborts the COPY).
func (cs *chunkSource) Read(p []byte) (int, error) {
	for len(cs.cur) == 0 {
		if cs.held != nil {
			chunkBuffers.Put(cs.held)
			cs.held = nil
		}
		if cs.ended {
			return 0, io.EOF
		}
		var (
			res chan encodedChunk
			ok  bool
		)
		select {
		case res, ok = <-cs.queue:
		case <-cs.ctx.Done():
			return 0, cs.fail(cs.ctx.Err())
		}
		if !ok {
			cs.cur, cs.ended = copyBinaryTrailer, true
			continue
		}
		var c encodedChunk
		select {
		case c = <-res:
		case <-cs.ctx.Done():
			return 0, cs.fail(cs.ctx.Err())
		}
		if c.err != nil {
			return 0, cs.fail(c.err)
		}
		cs.held, cs.cur = c.buf, *c.buf
	}
	n := copy(p, cs.cur)
	cs.cur = cs.cur[n:]
	return n, nil
}

// stop releases the dispatcher when the COPY ended early; chunks already
// running finish into their buffered result channels.
func (cs *chunkSource) stop() { cs.once.Do(func() { close(cs.done) }) }

// fail records err as what ended the stream and returns it.
func (cs *chunkSource) fail(err error) error {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.err = err
	return err
}

// failure returns the error that ended the stream, nil if none did.
func (cs *chunkSource) failure() error {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.err
}
