package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/candor/candor/models"
)

// SentRecords calls fn with every sent delivery of the campaign, with the
// snapshot it recorded and the customer's wishes in force when it was
// sent: the first preference_history state replaced after the send, else
// the customer's profile. Wishes are nil when they are unknown (the
// customer was erased) or are another preference version than the one
// the send recorded (the history began after the send). It
// reads with one query and holds one record at a time, so memory stays
// bounded whatever the campaign's size; fn must not use the store. fn's
// error stops the walk and is returned as is.
func (s *Store) SentRecords(ctx context.Context, campaignID int64, fn func(*models.SentRecord) error) error {
	return s.sentRecords(s.db.WithContext(ctx), campaignID, "", fn)
}

// sentRecords is SentRecords on db over the sent deliveries d that also
// meet the condition also (none when empty).
func (s *Store) sentRecords(db *gorm.DB, campaignID int64, also string, fn func(*models.SentRecord) error) error {
	if also != "" {
		also = " AND " + also
	}
	rows, err := db.Raw(`SELECT d.id, d.channel, d.sent_at, d.address_fingerprint, d.send_timezone,
			d.send_window, d.send_local, d.preference_version,
			h.version, h.preferred_channel, h.timezone, h.preferred_windows, h.cadence,
			c.preference_version, c.preferred_channel, c.timezone, c.preferred_windows, c.cadence, c.erased_at
		FROM deliveries d
		JOIN customers c ON c.id = d.customer_id
		LEFT JOIN preference_history h ON h.id = (SELECT p.id FROM preference_history p
			WHERE p.customer_id = d.customer_id AND p.replaced_at > d.sent_at ORDER BY p.replaced_at, p.id LIMIT 1)
		WHERE d.campaign_id = ? AND d.status = ?`+also, campaignID, models.DeliverySent).Rows()
	if err != nil {
		return mapError(err, "Deliveries")
	}
	defer rows.Close()
	dec := newPrefDecoder()
	for rows.Next() {
		var (
			r        models.SentRecord
			sentAt   *time.Time
			window   sql.NullInt64
			version  int
			hist     prefColumns
			cur      prefColumns
			erasedAt *time.Time
		)
		if err := rows.Scan(&r.DeliveryID, &r.Channel, &sentAt, &r.Snapshot.AddressFingerprint, &r.Snapshot.Timezone,
			&window, &r.Snapshot.Local, &version,
			&hist.version, &hist.channel, &hist.timezone, &hist.windows, &hist.cadence,
			&cur.version, &cur.channel, &cur.timezone, &cur.windows, &cur.cadence, &erasedAt); err != nil {
			return mapError(err, "Deliveries")
		}
		if sentAt != nil {
			r.SentAt = sentAt.UTC()
		}
		if window.Valid {
			w := int(window.Int64)
			r.Snapshot.Window = &w
		}
		// The wishes in force at the send: the first state replaced after
		// it, else the profile as it is (unless erased). Either must be
		// the preference version the send says it honoured.
		switch {
		case hist.version.Valid:
			r.Wishes, err = dec.preferences(hist)
		case erasedAt == nil:
			r.Wishes, err = dec.preferences(cur)
		}
		if r.Wishes != nil && r.Wishes.Version != version {
			r.Wishes = nil
		}
		if err != nil {
			return fmt.Errorf("store: delivery %d: %w", r.DeliveryID, err)
		}
		if err := fn(&r); err != nil {
			return err
		}
	}
	return mapError(rows.Err(), "Deliveries")
}

// PreferenceChanges calls fn with every change of wishes a recipient of
// the campaign made after their sent message and within
// models.ReactionWindow of it, oldest first per customer. New is the
// next history state, or the current profile when the change led to it. One query, one change held at a time; fn must not use the
// store.
func (s *Store) PreferenceChanges(ctx context.Context, campaignID int64, fn func(*models.PreferenceChange) error) error {
	return s.preferenceChanges(s.db.WithContext(ctx), campaignID, sentSpan{}, fn)
}

// preferenceChanges is PreferenceChanges on db, bounded on PostgreSQL by
// the campaign's span of sends (reactionBounds) when it is known.
func (s *Store) preferenceChanges(db *gorm.DB, campaignID int64, span sentSpan, fn func(*models.PreferenceChange) error) error {
	bound, boundArgs := s.reactionBounds("h.replaced_at", span)
	rows, err := db.Raw(`SELECT h.customer_id, h.replaced_at,
			h.version, h.preferred_channel, h.timezone, h.preferred_windows, h.cadence,
			n.version, n.preferred_channel, n.timezone, n.preferred_windows, n.cadence,
			c.preference_version, c.preferred_channel, c.timezone, c.preferred_windows, c.cadence, c.erased_at
		FROM deliveries d
		JOIN preference_history h ON h.customer_id = d.customer_id AND `+s.withinReaction("d.sent_at", "h.replaced_at")+bound+`
		LEFT JOIN preference_history n ON n.id = (SELECT p.id FROM preference_history p
			WHERE p.customer_id = h.customer_id AND (p.replaced_at > h.replaced_at OR (p.replaced_at = h.replaced_at AND p.id > h.id))
			ORDER BY p.replaced_at, p.id LIMIT 1)
		JOIN customers c ON c.id = h.customer_id
		WHERE d.campaign_id = ? AND d.status = ?
		ORDER BY h.customer_id, h.replaced_at, h.id`, append(boundArgs, campaignID, models.DeliverySent)...).Rows()
	if err != nil {
		return mapError(err, "Deliveries")
	}
	defer rows.Close()
	dec := newPrefDecoder()
	for rows.Next() {
		var (
			ch            models.PreferenceChange
			at            time.Time
			old, next, cu prefColumns
			erasedAt      *time.Time
		)
		if err := rows.Scan(&ch.CustomerID, &at,
			&old.version, &old.channel, &old.timezone, &old.windows, &old.cadence,
			&next.version, &next.channel, &next.timezone, &next.windows, &next.cadence,
			&cu.version, &cu.channel, &cu.timezone, &cu.windows, &cu.cadence, &erasedAt); err != nil {
			return mapError(err, "Deliveries")
		}
		ch.At = at.UTC()
		newer := next
		if !next.version.Valid {
			newer = cu
			ch.Erased = erasedAt != nil
		}
		o, err := dec.preferences(old)
		if err != nil {
			return fmt.Errorf("store: customer %d: %w", ch.CustomerID, err)
		}
		n, err := dec.preferences(newer)
		if err != nil {
			return fmt.Errorf("store: customer %d: %w", ch.CustomerID, err)
		}
		ch.Old, ch.New = *o, *n
		if err := fn(&ch); err != nil {
			return err
		}
	}
	return mapError(rows.Err(), "Deliveries")
}

// prefColumns are the wishes columns of customers or preference_history.
type prefColumns struct {
	version  sql.NullInt64
	channel  sql.NullString
	timezone sql.NullString
	windows  sql.NullString
	cadence  sql.NullString
}

// prefDecoder decodes wishes, remembering decoded windows and cadences by
// their JSON: customers share a handful of them, and decoding each of a
// million records' windows afresh was most of a report's time.
type prefDecoder struct {
	windows  map[string][]models.Window
	cadences map[string]*models.Cadence
}

// prefDecoderLimit bounds each memo, so memory stays bounded when every
// customer's windows differ.
const prefDecoderLimit = 4096

func newPrefDecoder() *prefDecoder {
	return &prefDecoder{windows: map[string][]models.Window{}, cadences: map[string]*models.Cadence{}}
}

func (d *prefDecoder) preferences(c prefColumns) (*models.Preferences, error) {
	p := &models.Preferences{Version: int(c.version.Int64), Channel: models.Channel(c.channel.String), Timezone: c.timezone.String}
	if raw := c.windows.String; raw != "" {
		ws, ok := d.windows[raw]
		if !ok {
			if err := json.Unmarshal([]byte(raw), &ws); err != nil {
				return nil, fmt.Errorf("preferred_windows: %w", err)
			}
			if len(d.windows) >= prefDecoderLimit {
				clear(d.windows)
			}
			d.windows[raw] = ws
		}
		p.Windows = ws
	}
	if raw := c.cadence.String; c.cadence.Valid && raw != "" && raw != "null" {
		cd, ok := d.cadences[raw]
		if !ok {
			if err := json.Unmarshal([]byte(raw), &cd); err != nil {
				return nil, fmt.Errorf("cadence: %w", err)
			}
			if len(d.cadences) >= prefDecoderLimit {
				clear(d.cadences)
			}
			d.cadences[raw] = cd
		}
		p.Cadence = cd
	}
	return p, nil
}
