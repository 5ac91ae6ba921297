package store

import (
	"encoding/json"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/candor/candor/models"
)

// Sending is the hot path: a batch of a hundred deliveries is claimed and
// its outcomes recorded with a handful of statements, not hundreds. The
// common moves (queued -> sending at a claim, sending -> sent at an
// outcome) go through one UPDATE ... FROM (VALUES ...) each, and their
// delivery events and outbox events through multi-row INSERTs; the rare
// ones (skips, re-plans, failures) keep eventBatch.move. Each appends its
// delivery event to the row it rewrites (deliveries.events).

// bulkColumn is a deliveries column a bulk move sets, with its type on
// PostgreSQL (whose VALUES lists need them for NULLs and times).
type bulkColumn struct{ name, pgType string }

// The columns of the two bulk moves, after id and from_status.
var (
	claimColumns = []bulkColumn{{"status", "text"}, {"updated_at", "timestamptz"}, {"lease_until", "timestamptz"},
		{"lease_owner", "text"}, {"attempts", "integer"}, {"sent_at", "timestamptz"}, {"address_fingerprint", "text"},
		{"send_timezone", "text"}, {"send_window", "integer"}, {"send_local", "text"}, {"preference_version", "integer"}, eventColumn}
	sentColumns = []bulkColumn{{"status", "text"}, {"reason", "text"}, {"updated_at", "timestamptz"}, {"lease_until", "timestamptz"},
		{"lease_owner", "text"}, {"provider_id", "text"}, {"sent_at", "timestamptz"}, eventColumn}
)

// eventColumn is the status change a bulk move appends to each delivery's
// events (see appendEvent), as JSON text.
var eventColumn = bulkColumn{"event", "text"}

// bulkMove sets cols on every delivery whose id and status are the first
// two values of one of rows (the rest are cols' values, in order) and
// returns the ids it moved. A delivery another transaction moved meanwhile
// is left alone, as eventBatch.move does.
func (s *Store) bulkMove(tx *gorm.DB, cols []bulkColumn, rows [][]any) (map[int64]bool, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	if s.dialect == DialectPostgres {
		return s.bulkMovePostgres(tx, cols, rows)
	}
	types := append([]bulkColumn{{"id", "bigint"}, {"from_status", "text"}}, cols...)
	var q strings.Builder
	q.WriteString("WITH v(")
	for i, c := range types {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString(c.name)
	}
	q.WriteString(") AS (VALUES ")
	args := make([]any, 0, len(rows)*len(types))
	for i, r := range rows {
		if len(r) != len(types) {
			return nil, fmt.Errorf("store: bulk move row has %d values, want %d", len(r), len(types))
		}
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteByte('(')
		for j, c := range types {
			if j > 0 {
				q.WriteString(", ")
			}
			if s.dialect == DialectPostgres {
				q.WriteString("CAST(? AS " + c.pgType + ")")
			} else {
				q.WriteByte('?')
			}
		}
		q.WriteByte(')')
		args = append(args, r...)
	}
	q.WriteString(") UPDATE deliveries SET ")
	for i, c := range cols {
		if i > 0 {
			q.WriteString(", ")
		}
		if c == eventColumn {
			q.WriteString("events = " + s.appendEvent("v.event"))
			continue
		}
		q.WriteString(c.name + " = v." + c.name)
	}
	q.WriteString(" FROM v WHERE deliveries.id = v.id AND deliveries.status = v.from_status RETURNING ")
	if s.dialect == DialectPostgres {
		q.WriteString("deliveries.id")
	} else {
		q.WriteString("id") // SQLite's RETURNING names the updated table's columns only
	}
	var moved []int64
	if err := tx.Raw(q.String(), args...).Scan(&moved).Error; err != nil {
		return nil, err
	}
	out := make(map[int64]bool, len(moved))
	for _, id := range moved {
		out[id] = true
	}
	return out, nil
}

// writeEvents writes outbox events in one multi-row INSERT.
func (s *Store) writeEvents(tx *gorm.DB, events []eventRow) error {
	if len(events) == 0 {
		return nil
	}
	if s.dialect == DialectPostgres {
		return s.writeEventsPostgres(tx, events)
	}
	return tx.CreateInBatches(events, 500).Error
}

// deliveryEvent builds the outbox event of d reaching a final status.
func (b *eventBatch) deliveryEvent(tx *gorm.DB, d *deliveryRow, to models.DeliveryStatus, reason models.Reason, providerID string) (eventRow, bool, error) {
	typ, ok := deliveryEventTypes[to]
	if !ok {
		return eventRow{}, false, nil
	}
	ext, ok := b.external[d.CustomerID]
	if !ok {
		var err error
		if ext, err = externalIDOf(tx, d.CustomerID); err != nil {
			return eventRow{}, false, err
		}
		b.external[d.CustomerID] = ext
	}
	data := map[string]any{"delivery_id": d.ID, "campaign_id": d.CampaignID, "external_id": ext, "channel": d.Channel}
	switch {
	case to == models.DeliverySent:
		data["provider_id"] = providerID
	case reason != "":
		data["reason"] = string(reason)
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return eventRow{}, false, err
	}
	cid := d.CustomerID
	return eventRow{Type: string(typ), CustomerID: &cid, Data: string(raw), CreatedAt: b.now}, true, nil
}
