package store

import (
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/candor/candor/models"
)

// claimMoves are the claims (queued or planned -> sending) an eventBatch
// queued, column by column: flush applies them in one statement. Typed
// columns instead of a row of boxed values: on PostgreSQL each goes to
// pgx as one typed array (encoded in binary straight from the slice),
// where the generic bulk move's []any columns cost a boxed value per
// cell and pgx's per-element reflection and text encoding (about 3.7 KB
// of garbage per claimed message, docs/benchmarks.md "Send path Go
// CPU"). The columns every claim of a batch shares (status, updated_at,
// sent_at, lease_owner) are not repeated per row.
type claimMoves struct {
	ids         []int64
	from        []string
	leaseUntil  []time.Time
	attempts    []int
	fingerprint []string
	timezone    []string
	window      []int
	local       []string
	preference  []int
	// event is each claim's delivery event as a 1-based index into
	// events, the batch's distinct event JSONs (one per status moved
	// from): a hundred copies of the same 110 bytes were half the
	// statement's parameters, which pgx encodes into buffers it drops
	// after each statement.
	event  []int
	events []string
}

func (c *claimMoves) len() int { return len(c.ids) }

// reserve makes room for n claims, so a batch's columns are allocated
// once.
func (c *claimMoves) reserve(n int) {
	c.ids, c.from = make([]int64, 0, n), make([]string, 0, n)
	c.leaseUntil, c.attempts = make([]time.Time, 0, n), make([]int, 0, n)
	c.fingerprint, c.timezone, c.local = make([]string, 0, n), make([]string, 0, n), make([]string, 0, n)
	c.window, c.preference, c.event = make([]int, 0, n), make([]int, 0, n), make([]int, 0, n)
}

// add queues one claim.
func (c *claimMoves) add(d *deliveryRow, until time.Time, attempts int, fp, tz string, window int, local string, preference int, event string) {
	at := slices.Index(c.events, event)
	if at < 0 {
		at = len(c.events)
		c.events = append(c.events, event)
	}
	c.ids = append(c.ids, d.ID)
	c.from = append(c.from, d.Status)
	c.leaseUntil = append(c.leaseUntil, until)
	c.attempts = append(c.attempts, attempts)
	c.fingerprint = append(c.fingerprint, fp)
	c.timezone = append(c.timezone, tz)
	c.window = append(c.window, window)
	c.local = append(c.local, local)
	c.preference = append(c.preference, preference)
	c.event = append(c.event, at+1)
}

// claimMovesSQL applies claimMoves on PostgreSQL: $1-$2 and $5-$11 are
// its columns, $12 its events, $3 the batch's time (updated_at and
// sent_at), $4 the worker holding the leases. The statement's text is
// constant, so pgx prepares it once per connection. It sets what
// bulkMove with claimColumns sets.
const claimMovesSQL = "UPDATE deliveries SET status = 'sending', updated_at = $3, lease_until = v.lease_until, lease_owner = $4, " +
	"attempts = v.attempts, sent_at = $3, address_fingerprint = v.address_fingerprint, send_timezone = v.send_timezone, " +
	"send_window = v.send_window, send_local = v.send_local, preference_version = v.preference_version, " +
	"events = events || jsonb_build_array(CAST(($12::text[])[v.event] AS jsonb)) " +
	"FROM unnest($1::bigint[], $2::text[], $5::timestamptz[], $6::integer[], $7::text[], $8::text[], $9::integer[], " +
	"$10::text[], $11::integer[], $13::integer[]) AS v(id, from_status, lease_until, attempts, address_fingerprint, " +
	"send_timezone, send_window, send_local, preference_version, event) " +
	"WHERE deliveries.id = v.id AND deliveries.status = v.from_status RETURNING deliveries.id"

// applyClaims applies the queued claims of b (each only if its delivery
// is still in the status it was read in) and returns the ids that moved.
func (b *eventBatch) applyClaims(tx *gorm.DB) (map[int64]bool, error) {
	c := &b.claims
	if c.len() == 0 {
		return nil, nil
	}
	if b.s.dialect != DialectPostgres {
		// SQLite: the generic bulk move, one row of claimColumns' values each.
		rows := make([][]any, c.len())
		for i := range rows {
			rows[i] = []any{c.ids[i], c.from[i], string(models.DeliverySending), b.now, c.leaseUntil[i], b.worker, c.attempts[i],
				b.now, c.fingerprint[i], c.timezone[i], c.window[i], c.local[i], c.preference[i], c.events[c.event[i]-1]}
		}
		return b.s.bulkMove(tx, claimColumns, rows)
	}
	sqlRows, err := tx.Statement.ConnPool.QueryContext(tx.Statement.Context, claimMovesSQL, c.ids, c.from, b.now, b.worker,
		c.leaseUntil, c.attempts, c.fingerprint, c.timezone, c.window, c.local, c.preference, c.events, c.event)
	if err != nil {
		return nil, err
	}
	defer sqlRows.Close()
	out := make(map[int64]bool, c.len())
	for sqlRows.Next() {
		var id int64
		if err := sqlRows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, sqlRows.Err()
}

// markClaimed sets d as a claim at now stores it (sending under a lease
// held by worker until until, one more attempt, the snapshot of decision
// x with fingerprint fp and window) and brings m, d's model before the
// claim, up to it: m is then what d.model() gives, without a second model
// built per claimed delivery.
func (d *deliveryRow) markClaimed(m *models.Delivery, now, until time.Time, worker, fp string, window int, x models.SendDecision) {
	d.Status, d.Reason, d.UpdatedAt, d.LeaseUntil = string(models.DeliverySending), "", now, &until
	d.LeaseOwner, d.Attempts, d.SentAt = worker, d.Attempts+1, &now
	d.AddressFingerprint, d.SendTimezone, d.SendWindow, d.SendLocal = fp, x.Timezone, &window, x.Local
	d.PreferenceVersion = x.PreferenceVersion
	m.Status, m.Reason, m.UpdatedAt = models.DeliveryStatus(d.Status), models.Reason(d.Reason), d.UpdatedAt.UTC()
	m.Attempts, m.SentAt, m.PreferenceVersion = d.Attempts, utcPtr(d.SentAt), d.PreferenceVersion
	m.Snapshot = &models.SendSnapshot{AddressFingerprint: d.AddressFingerprint, Timezone: d.SendTimezone, Window: d.SendWindow,
		Local: d.SendLocal}
}
