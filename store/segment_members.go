package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"iter"
	"strconv"

	"github.com/candor/candor/models"
)

// memberColumns are the customer columns a segment query returns, in the
// order scanMember reads them.
const memberColumns = "c.id, c.external_id, c.email, c.phone, c.name, c.locale, c.timezone, " +
	"c.preferred_channel, c.preferred_windows, c.cadence, c.attributes, c.preference_version, " +
	"c.suppressed, c.consent_seq, c.erased_at, c.created_at, c.updated_at"

// planColumns are memberColumns in the same order, with what planning
// never reads (name, attributes) left out as constants: the segment rule
// already ran in SQL, and decoding attributes was a third of a large
// launch's CPU time. The external id stays: it is the webhook channel's
// address.
const planColumns = "c.id, c.external_id, c.email, c.phone, '', c.locale, c.timezone, " +
	"c.preferred_channel, c.preferred_windows, c.cadence, NULL, c.preference_version, " +
	"c.suppressed, c.consent_seq, c.erased_at, c.created_at, c.updated_at"

// memberQuery is a compiled rule restricted to live customers: from is
// "customers c" and the rule's joins.
type memberQuery struct {
	from  string
	where string
	args  []any
}

// compile parses nothing: it turns an already parsed rule into SQL at the
// store's current time (within_last is relative to it).
func (s *Store) compile(rule *models.Rule) memberQuery {
	r := compileRule(s.dialect, rule, s.now())
	return memberQuery{from: "customers c" + r.joins, where: "c.erased_at IS NULL AND " + r.where, args: r.args}
}

// placeholder returns the dialect's placeholder for the next argument.
func (s *Store) placeholder(q *memberQuery, v any) string {
	q.args = append(q.args, v)
	if s.dialect == DialectPostgres {
		return "$" + strconv.Itoa(len(q.args))
	}
	return "?"
}

// parsedSegment loads a segment and parses its stored rule. ENOTFOUND.
func (s *Store) parsedSegment(ctx context.Context, id int64) (*models.Rule, error) {
	seg, err := s.Segment(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.rules.ParseRule(seg.Rule, "/rule")
}

// SegmentMembers streams every live member of rule in id order from one
// query, for planning: memory stays flat whatever the audience size. The
// sequence stops at the first error, which it yields with a nil customer.
// Do not write to the database from the loop body on SQLite: the read
// holds a connection until the loop ends.
func (s *Store) SegmentMembers(ctx context.Context, rule *models.Rule) iter.Seq2[*models.Customer, error] {
	return func(yield func(*models.Customer, error) bool) {
		q := s.compile(rule)
		rows, err := s.sqlDB.QueryContext(ctx, "SELECT "+memberColumns+" FROM "+q.from+" WHERE "+q.where+" ORDER BY c.id", q.args...)
		if err != nil {
			yield(nil, mapError(err, "Segment members"))
			return
		}
		defer rows.Close()
		dec := newMemberDecoder()
		for rows.Next() {
			c, err := dec.scan(rows)
			if !yield(c, err) || err != nil {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(nil, mapError(err, "Segment members"))
		}
	}
}

// memberDecoder reads rows of memberColumns. Streaming a large audience
// is dominated by JSON decoding, and preferred windows and cadences repeat
// across customers (most keep a form's defaults), so their decoded form is
// cached by raw text and each customer gets its own copy.
type memberDecoder struct {
	windows map[string][]models.Window
	cadence map[string]models.Cadence
	// shared hands out the cached windows themselves instead of copies,
	// for readers that never modify a customer (planning).
	shared bool
}

// maxDecoderCache bounds each cache; beyond it values are decoded anew.
const maxDecoderCache = 4096

func newMemberDecoder() *memberDecoder {
	return &memberDecoder{windows: map[string][]models.Window{}, cadence: map[string]models.Cadence{}}
}

// scan reads one row into a customer.
func (d *memberDecoder) scan(rows *sql.Rows) (*models.Customer, error) {
	var (
		r                       customerRow
		windows, cadence, attrs sql.RawBytes
	)
	err := rows.Scan(&r.ID, &r.ExternalID, &r.Email, &r.Phone, &r.Name, &r.Locale, &r.Timezone,
		&r.PreferredChannel, &windows, &cadence, &attrs, &r.PreferenceVersion,
		&r.Suppressed, &r.ConsentSeq, &r.ErasedAt, &r.CreatedAt, &r.UpdatedAt)
	if err != nil {
		return nil, mapError(err, "Segment member")
	}
	c := &models.Customer{
		ID: r.ID, Email: r.Email, Phone: r.Phone, Name: r.Name, Locale: r.Locale, Timezone: r.Timezone,
		PreferredChannel: models.Channel(r.PreferredChannel), PreferenceVersion: r.PreferenceVersion,
		Suppressed: r.Suppressed, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	if r.ExternalID != nil {
		c.ExternalID = *r.ExternalID
	}
	if r.ErasedAt != nil {
		t := r.ErasedAt.UTC()
		c.ErasedAt = &t
	}
	if attrs != nil {
		if err := json.Unmarshal(attrs, &c.Attributes); err != nil {
			return nil, fmt.Errorf("store: customer %d: attributes: %w", r.ID, err)
		}
	}
	if c.Attributes == nil {
		c.Attributes = map[string]any{}
	}
	if c.PreferredWindows, err = d.decodeWindows(windows); err != nil {
		return nil, fmt.Errorf("store: customer %d: preferred_windows: %w", r.ID, err)
	}
	if cadence != nil {
		cad, err := d.decodeCadence(cadence)
		if err != nil {
			return nil, fmt.Errorf("store: customer %d: cadence: %w", r.ID, err)
		}
		c.Cadence = &cad
	}
	return c, nil
}

func (d *memberDecoder) decodeWindows(raw []byte) ([]models.Window, error) {
	cached, ok := d.windows[string(raw)]
	if !ok {
		if err := json.Unmarshal(raw, &cached); err != nil {
			return nil, err
		}
		if len(d.windows) < maxDecoderCache {
			d.windows[string(raw)] = cached
		}
	}
	if d.shared {
		return cached, nil
	}
	out := make([]models.Window, len(cached))
	for i, w := range cached {
		out[i] = models.Window{Days: append([]string(nil), w.Days...), Start: w.Start, End: w.End}
	}
	return out, nil
}

func (d *memberDecoder) decodeCadence(raw []byte) (models.Cadence, error) {
	if c, ok := d.cadence[string(raw)]; ok {
		return c, nil
	}
	var c models.Cadence
	if err := json.Unmarshal(raw, &c); err != nil {
		return c, err
	}
	if len(d.cadence) < maxDecoderCache {
		d.cadence[string(raw)] = c
	}
	return c, nil
}

// consentStatuses returns the current status of every topic a customer
// has a record for.
func (s *Store) consentStatuses(ctx context.Context, customerID int64) (map[string]models.ConsentStatus, error) {
	var rows []consentRow
	if err := s.db.WithContext(ctx).Where("customer_id = ?", customerID).Find(&rows).Error; err != nil {
		return nil, mapError(err, "Consents")
	}
	out := make(map[string]models.ConsentStatus, len(rows))
	for _, r := range rows {
		out[r.Topic] = models.ConsentStatus(r.Status)
	}
	return out, nil
}

// ExplainSegment implements models.SegmentService. It evaluates the rule
// with the in-Go evaluator (segment.Explain), not in SQL.
func (s *Store) ExplainSegment(ctx context.Context, id int64, externalID string) (*models.RuleExplanation, error) {
	rule, err := s.parsedSegment(ctx, id)
	if err != nil {
		return nil, err
	}
	c, err := s.Customer(ctx, externalID)
	if err != nil {
		return nil, err
	}
	consents, err := s.consentStatuses(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	return s.rules.ExplainRule(rule, c, consents, s.now()), nil
}
