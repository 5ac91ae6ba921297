package store

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// pgtypeCopy is the oracle of copyRows: the binary COPY stream, as
// PostgreSQL's documentation lays it out, of rows whose values pgtype
// encodes for the column types oids.
func pgtypeCopy(t *testing.T, oids []uint32, rows [][]any) []byte {
	t.Helper()
	m := pgtype.NewMap()
	buf := []byte("PGCOPY\n\xff\r\n\x00" + "\x00\x00\x00\x00" + "\x00\x00\x00\x00") // signature, flags, extension length
	for _, row := range rows {
		buf = binary.BigEndian.AppendUint16(buf, uint16(len(row)))
		for i, v := range row {
			at := len(buf)
			buf = binary.BigEndian.AppendUint32(buf, 0)
			var err error
			if buf, err = m.Encode(oids[i], pgtype.BinaryFormatCode, v, buf); err != nil {
				t.Fatalf("pgtype: column %d, %T %v: %v", i, v, v, err)
			}
			binary.BigEndian.PutUint32(buf[at:], uint32(len(buf)-at-4))
		}
	}
	return binary.BigEndian.AppendUint16(buf, 0xffff) // the trailer: -1 fields
}

// The column types of deliveries and campaign_exclusions that a launch
// writes (migrations 00005, 00006, 00009).
var copyColumnOIDs = map[string]uint32{
	"campaign_id": pgtype.Int8OID, "customer_id": pgtype.Int8OID, "content_id": pgtype.Int8OID,
	"channel": pgtype.TextOID, "locale": pgtype.TextOID, "status": pgtype.TextOID, "reason": pgtype.TextOID,
	"content_version": pgtype.Int4OID, "generation": pgtype.Int4OID, "preference_version": pgtype.Int4OID,
	"scheduled_at": pgtype.TimestamptzOID, "created_at": pgtype.TimestamptzOID, "updated_at": pgtype.TimestamptzOID,
}

// oracleRows lays out rows by columns, the copy column list: each row's
// values by column name, in that order, with their column types. A
// column the oracle does not know fails the test.
func oracleRows(t *testing.T, columns []string, rows []map[string]any) (oids []uint32, out [][]any) {
	t.Helper()
	for _, col := range columns {
		oid, ok := copyColumnOIDs[col]
		if !ok {
			t.Fatalf("the oracle knows no type for column %s", col)
		}
		oids = append(oids, oid)
	}
	for _, r := range rows {
		var row []any
		for _, col := range columns {
			row = append(row, r[col])
		}
		out = append(out, row)
	}
	return oids, out
}

// randomTime is an instant anywhere from 1900 to 2100, in a random zone,
// with nanoseconds (which both encoders truncate to microseconds).
func randomTime(r *rand.Rand) time.Time {
	zone := time.FixedZone("z", (r.IntN(27)-12)*3600+r.IntN(4)*900)
	return time.Unix(r.Int64N(6_311_520_000)-2_208_988_800, r.Int64N(1e9)).In(zone)
}

func randomText(r *rand.Rand) string {
	alphabet := []string{"", "a", "email", "pt-BR", "é", "日本", "\x00", " ", "no_consent"}
	var s string
	for range r.IntN(4) {
		s += alphabet[r.IntN(len(alphabet))]
	}
	return s
}

// TestCopyRowsWritesWhatPgtypeWrites holds the launch's COPY encoder to
// pgtype's: for random rows and edge values, the same bytes as pgtype's
// values laid out in the order of the COPY's column lists; and an int
// beyond int4 is refused, as pgtype refuses it.
func TestCopyRowsWritesWhatPgtypeWrites(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 2026))
	i64 := func() int64 {
		return []int64{0, 1, -1, math.MaxInt64, math.MinInt64, r.Int64(), r.Int64N(1 << 20)}[r.IntN(7)]
	}
	i32 := func() int {
		return []int{0, 1, -1, math.MaxInt32, math.MinInt32, int(r.Int32()), r.IntN(100)}[r.IntN(7)]
	}
	deliveries := []deliveryRow{{}, {ScheduledAt: time.Unix(946_684_800, 0), CreatedAt: time.Unix(946_684_799, 999_999_999)}}
	exclusions := []exclusionRow{{}}
	for range 500 {
		deliveries = append(deliveries, deliveryRow{CampaignID: i64(), CustomerID: i64(), Channel: randomText(r),
			Locale: randomText(r), ContentID: i64(), ContentVersion: i32(), ScheduledAt: randomTime(r),
			Status: randomText(r), Reason: randomText(r), Generation: i32(), CreatedAt: randomTime(r),
			UpdatedAt: randomTime(r), PreferenceVersion: i32()})
		exclusions = append(exclusions, exclusionRow{CampaignID: i64(), CustomerID: i64(), Reason: randomText(r)})
	}
	var byNameD, byNameE []map[string]any
	for _, d := range deliveries {
		byNameD = append(byNameD, map[string]any{"campaign_id": d.CampaignID, "customer_id": d.CustomerID,
			"channel": d.Channel, "locale": d.Locale, "content_id": d.ContentID, "content_version": d.ContentVersion,
			"scheduled_at": d.ScheduledAt, "status": d.Status, "reason": d.Reason, "generation": d.Generation,
			"created_at": d.CreatedAt, "updated_at": d.UpdatedAt, "preference_version": d.PreferenceVersion})
	}
	for _, e := range exclusions {
		byNameE = append(byNameE, map[string]any{"campaign_id": e.CampaignID, "customer_id": e.CustomerID, "reason": e.Reason})
	}
	oidsD, wantD := oracleRows(t, deliveryCopyColumns, byNameD)
	oidsE, wantE := oracleRows(t, exclusionCopyColumns, byNameE)

	var c copyRows
	c.deliveries(deliveries)
	if c.err != nil {
		t.Fatal(c.err)
	}
	if want := pgtypeCopy(t, oidsD, wantD); !bytes.Equal(c.buf, want) {
		t.Errorf("deliveries: %d bytes differ from pgtype's %d, first at %d", len(c.buf), len(want), firstDiff(c.buf, want))
	}
	// The buffer is reused: a second, shorter stream must not keep the
	// first one's tail.
	c.exclusions(exclusions)
	if want := pgtypeCopy(t, oidsE, wantE); !bytes.Equal(c.buf, want) {
		t.Errorf("exclusions: %d bytes differ from pgtype's %d, first at %d", len(c.buf), len(want), firstDiff(c.buf, want))
	}

	t.Run("an int beyond int4 is refused as pgtype refuses it", func(t *testing.T) {
		for _, v := range []int{math.MaxInt32 + 1, math.MinInt32 - 1} {
			c.deliveries([]deliveryRow{{Generation: v}})
			if c.err == nil || !strings.Contains(c.err.Error(), "generation") {
				t.Errorf("generation %d: want an error naming the column, got %v", v, c.err)
			}
			if _, err := pgtype.NewMap().Encode(pgtype.Int4OID, pgtype.BinaryFormatCode, v, nil); err == nil {
				t.Errorf("generation %d: pgtype takes it, so the encoders disagree", v)
			}
		}
		c.deliveries(deliveries[:1])
		if c.err != nil {
			t.Errorf("a later stream keeps the earlier error: %v", c.err)
		}
	})
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
