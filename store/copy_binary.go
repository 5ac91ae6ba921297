package store

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// COPY's binary format (FORMAT binary), as both bulk loads (bulk_chunks.go)
// and launches (copySink) write it: a header, rows of length-prefixed
// fields, a trailer. The value encodings are PostgreSQL's send functions
// for the column types Candor copies, the ones pgtype's plans write (each
// test compares its encoder with pgtype's).

// copyBinaryHeader starts a binary COPY stream: signature, flags and an
// empty header extension; copyBinaryTrailer (a field count of -1) ends it.
var (
	copyBinaryHeader  = []byte("PGCOPY\n\377\r\n\000\000\000\000\000\000\000\000\000")
	copyBinaryTrailer = []byte{0xff, 0xff}
)

// quotedColumns is columns as a select or COPY list, each quoted.
func quotedColumns(columns []string) string {
	quoted := make([]string, len(columns))
	for i, col := range columns {
		quoted[i] = pgx.Identifier{col}.Sanitize()
	}
	return strings.Join(quoted, ", ")
}

// copyStatement is the COPY of columns of table from a binary stream.
func copyStatement(table string, columns []string) string {
	return "COPY " + pgx.Identifier{table}.Sanitize() + " (" + quotedColumns(columns) + ") FROM STDIN WITH (FORMAT binary)"
}

// appendInt8Binary appends v as int8send does.
func appendInt8Binary(buf []byte, v int64) []byte {
	return binary.BigEndian.AppendUint64(buf, uint64(v))
}

// appendInt4Binary appends v as int4send does; ok is false when v does
// not fit an int4 (pgtype reports that as an error).
func appendInt4Binary(buf []byte, v int) (out []byte, ok bool) {
	if v < math.MinInt32 || v > math.MaxInt32 {
		return buf, false
	}
	return binary.BigEndian.AppendUint32(buf, uint32(int32(v))), true
}

// appendTimestamptzBinary appends t as timestamptz_send does:
// microseconds since 2000-01-01 UTC, computed as pgtype computes them.
func appendTimestamptzBinary(buf []byte, t time.Time) []byte {
	micros := t.Unix()*1_000_000 + int64(t.Nanosecond())/1000 - 946_684_800*1_000_000
	return binary.BigEndian.AppendUint64(buf, uint64(micros))
}

// copyRows encodes a launch's rows into one binary COPY stream, by hand:
// pgx's CopyFrom boxes every value and looks its encoding plan up, which
// cost a 1M launch 0.3-0.65 CPU-s of Go time on the goroutine that
// feeds the writing connection (session 17, docs/benchmarks.md), for rows
// of four fixed types. TestCopyRowsWritesWhatPgtypeWrites compares its bytes
// with pgtype's encoding of the same values; the launch tests read the
// rows back from PostgreSQL.
type copyRows struct {
	buf []byte
	// err is the first value that does not fit its column (an int beyond
	// int4), which pgx refuses too.
	err error
}

func (c *copyRows) start() { c.buf, c.err = append(c.buf[:0], copyBinaryHeader...), nil }

func (c *copyRows) end() { c.buf = append(c.buf, copyBinaryTrailer...) }

// row begins a row of n fields.
func (c *copyRows) row(n int) { c.buf = binary.BigEndian.AppendUint16(c.buf, uint16(n)) }

// The fields: a length, then the value.

func (c *copyRows) int8(v int64) {
	c.buf = appendInt8Binary(binary.BigEndian.AppendUint32(c.buf, 8), v)
}

// int4 writes v, or records that it does not fit column (an int4).
func (c *copyRows) int4(column string, v int) {
	var ok bool
	if c.buf, ok = appendInt4Binary(binary.BigEndian.AppendUint32(c.buf, 4), v); !ok && c.err == nil {
		c.err = fmt.Errorf("store: %s %d does not fit an integer column", column, v)
	}
}

func (c *copyRows) text(v string) {
	c.buf = append(binary.BigEndian.AppendUint32(c.buf, uint32(len(v))), v...)
}

func (c *copyRows) timestamptz(t time.Time) {
	c.buf = appendTimestamptzBinary(binary.BigEndian.AppendUint32(c.buf, 8), t)
}

// encodeRows makes c the stream of rows, each a row of n fields that
// fields writes.
func encodeRows[T any](c *copyRows, rows []T, n int, fields func(*copyRows, *T)) {
	c.start()
	for i := range rows {
		c.row(n)
		fields(c, &rows[i])
	}
	c.end()
}

// deliveries encodes rows in deliveryCopyColumns order.
func (c *copyRows) deliveries(rows []deliveryRow) {
	encodeRows(c, rows, len(deliveryCopyColumns), func(c *copyRows, d *deliveryRow) {
		c.int8(d.CampaignID)
		c.int8(d.CustomerID)
		c.text(d.Channel)
		c.text(d.Locale)
		c.int8(d.ContentID)
		c.int4("content_version", d.ContentVersion)
		c.timestamptz(d.ScheduledAt)
		c.text(d.Status)
		c.text(d.Reason)
		c.int4("generation", d.Generation)
		c.timestamptz(d.CreatedAt)
		c.timestamptz(d.UpdatedAt)
		c.int4("preference_version", d.PreferenceVersion)
	})
}

// exclusions encodes rows in exclusionCopyColumns order.
func (c *copyRows) exclusions(rows []exclusionRow) {
	encodeRows(c, rows, len(exclusionCopyColumns), func(c *copyRows, e *exclusionRow) {
		c.int8(e.CampaignID)
		c.int8(e.CustomerID)
		c.text(e.Reason)
	})
}
