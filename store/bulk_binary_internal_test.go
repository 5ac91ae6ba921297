package store

import (
	"bytes"
	"math"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// TestAppendBinaryWritesWhatPgtypeWrites holds the COPY encoder's fast
// path to pgtype's plans: for every column type and value kind it takes,
// the same bytes (values, pointers to them, edge values); and it declines
// what it does not take (nil pointers, other types, an int out of int4's
// range), which then go through pgtype as before.
func TestAppendBinaryWritesWhatPgtypeWrites(t *testing.T) {
	str, empty, js := "Ada Lovelace é \x00", "", `{"plan":"pro","seats":7}`
	i64, neg := int64(1)<<40+3, int64(math.MinInt64)
	i, big := 1, math.MaxInt32+1
	at := time.Date(2026, 1, 1, 12, 30, 0, 123456789, time.FixedZone("x", 5*3600+1800))
	old := time.Date(1901, 2, 3, 4, 5, 6, 999, time.UTC)
	cases := []struct {
		oid    uint32
		values []any
	}{
		{pgtype.TextOID, []any{str, empty, &str, &empty}},
		{pgtype.JSONBOID, []any{js, &js}},
		{pgtype.Int8OID, []any{i64, neg, int64(0), &i64, &neg}},
		{pgtype.Int4OID, []any{i, -i, math.MaxInt32, math.MinInt32, &i}},
		{pgtype.TimestamptzOID, []any{at, old, time.Time{}, &at, &old}},
		{pgtype.BoolOID, []any{true, false}},
	}
	m := pgtype.NewMap()
	prefix := []byte("prefix")
	for _, c := range cases {
		for _, v := range c.values {
			got, ok := appendBinary(bytes.Clone(prefix), c.oid, v)
			if !ok {
				t.Errorf("oid %d, %T %v: not taken", c.oid, v, v)
				continue
			}
			want, err := m.Encode(c.oid, pgtype.BinaryFormatCode, v, bytes.Clone(prefix))
			if err != nil {
				t.Fatalf("oid %d, %T %v: pgtype: %v", c.oid, v, v, err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("oid %d, %T %v: %x, pgtype writes %x", c.oid, v, v, got, want)
			}
		}
	}
	var nilString *string
	var nilInt *int64
	declined := []struct {
		oid uint32
		v   any
	}{
		{pgtype.TextOID, nilString}, {pgtype.TextOID, 7}, {pgtype.Int8OID, nilInt}, {pgtype.Int8OID, "7"},
		{pgtype.Int4OID, big}, {pgtype.Int4OID, int64(1)}, {pgtype.TimestamptzOID, "now"}, {pgtype.BoolOID, 1},
		{pgtype.UUIDOID, "00000000-0000-0000-0000-000000000000"}, {pgtype.JSONBOID, map[string]any{}},
	}
	for _, d := range declined {
		if _, ok := appendBinary(nil, d.oid, d.v); ok {
			t.Errorf("oid %d, %T %v: taken; it is pgtype's to encode", d.oid, d.v, d.v)
		}
	}
}
