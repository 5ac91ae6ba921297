package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/candor/candor/models"
)

// factsPage is one page of customers with their facts, kept and refilled
// by planning: its slices are reused page after page, so a launch
// allocates per customer only the strings a customer row holds.
type factsPage struct {
	customers []models.Customer
	facts     []models.PlanFacts
	// times backs every customer's Counted; spans says which part is whose.
	times []time.Time
	spans [][2]int
}

// reset empties the page for reuse.
func (pg *factsPage) reset() {
	pg.customers, pg.facts, pg.times, pg.spans = pg.customers[:0], pg.facts[:0], pg.times[:0], pg.spans[:0]
}

// factsScanner decodes rows of pgFactsQuery into a factsPage with pgx:
// byte columns are read in place (pgtype.DriverBytes), repeated short
// values (locale, zone, channel, consent status) interned, windows and
// cadences decoded once per distinct text (memberDecoder), and the
// consent row's MAC checked here, on the reading goroutine.
type factsScanner struct {
	topic  string
	dec    *memberDecoder
	mac    *models.ConsentMACChecker
	intern map[string]string
	// cadences shares one decoded cadence per distinct text, windows one
	// decoded list (memberDecoder's lookup allocates a slice header per
	// call, a million times in a large plan).
	cadences map[string]*models.Cadence
	windows  map[string][]models.Window
	// row is one row's scan targets, dest their pointers (built once).
	row  factsRow
	dest []any
	// scratch gathers a row's addresses before they become one string.
	scratch []byte
}

// factsRow are the scan targets of one row of pgFactsQuery.
type factsRow struct {
	id                                            int64
	external, email, phone, locale, zone, channel pgtype.DriverBytes
	windows, cadence                              pgtype.DriverBytes
	prefVersion                                   int32
	suppressed                                    bool
	erasedAt                                      pgtype.Timestamptz
	status, source, keyID, eventHash, mac         pgtype.DriverBytes
	seq                                           pgtype.Int8
	received                                      bool
	counted                                       pageTimes
}

func (s *Store) newFactsScanner(topic string) *factsScanner {
	fs := &factsScanner{topic: topic, dec: newMemberDecoder(), mac: models.NewConsentMACChecker(s.keys.Ledger()),
		intern: map[string]string{}, cadences: map[string]*models.Cadence{},
		windows: map[string][]models.Window{}}
	fs.dec.shared = true
	r := &fs.row
	fs.dest = []any{&r.id, &r.external, &r.email, &r.phone, &r.locale, &r.zone, &r.channel, &r.windows, &r.cadence,
		&r.prefVersion, &r.suppressed, &r.erasedAt, &r.status, &r.source, &r.seq, &r.keyID, &r.eventHash, &r.mac,
		&r.received, &r.counted}
	return fs
}

// maxInterned bounds the intern table; rarer values are copied.
const maxInterned = 4096

// str returns b as a string, shared for repeated values.
func (fs *factsScanner) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if v, ok := fs.intern[string(b)]; ok {
		return v
	}
	v := string(b)
	if len(fs.intern) < maxInterned {
		fs.intern[v] = v
	}
	return v
}

// cadence returns the decoded cadence of raw, shared by every customer
// with the same text (planning never modifies a customer).
func (fs *factsScanner) cadence(raw []byte) (*models.Cadence, error) {
	if c, ok := fs.cadences[string(raw)]; ok {
		return c, nil
	}
	c, err := fs.dec.decodeCadence(raw)
	if err != nil {
		return nil, err
	}
	if len(fs.cadences) < maxInterned {
		fs.cadences[string(raw)] = &c
	}
	return &c, nil
}

// windowsOf returns the decoded windows of raw, shared by every customer
// with the same text (planning never modifies a customer).
func (fs *factsScanner) windowsOf(raw []byte) ([]models.Window, error) {
	if w, ok := fs.windows[string(raw)]; ok {
		return w, nil
	}
	w, err := fs.dec.decodeWindows(raw)
	if err != nil {
		return nil, err
	}
	if len(fs.windows) < maxInterned {
		fs.windows[string(raw)] = w
	}
	return w, nil
}

// read runs query and appends all its rows to page (explain: one
// customer's).
func (fs *factsScanner) read(ctx context.Context, conn *pgx.Conn, query string, args []any, page *factsPage) error {
	rows, err := conn.Query(ctx, query, args...)
	if err != nil {
		return mapError(err, "Campaign audience")
	}
	defer rows.Close()
	_, err = fs.fill(rows, page, -1)
	return err
}

// fill appends rows to page until it holds limit customers (every row
// when limit < 0) and reports whether rows may hold more: a plan reads
// its one statement a page at a time.
func (fs *factsScanner) fill(rows pgx.Rows, page *factsPage, limit int) (more bool, err error) {
	fs.row.counted.page = page
	for more = true; limit < 0 || len(page.facts) < limit; {
		if !rows.Next() {
			more = false
			break
		}
		// A NULL array may not reach SetDimensions: start from here.
		fs.row.counted.start = len(page.times)
		if err := rows.Scan(fs.dest...); err != nil {
			return false, mapError(err, "Campaign audience")
		}
		if err := fs.add(page); err != nil {
			return false, err
		}
	}
	if err := rows.Err(); err != nil {
		return false, mapError(err, "Campaign audience")
	}
	for i := range page.times {
		page.times[i] = page.times[i].UTC()
	}
	// Counted points into times only now: appending may have moved it.
	for i, sp := range page.spans {
		page.facts[i].Counted = page.times[sp[0]:sp[1]:sp[1]]
	}
	for i := range page.facts {
		page.facts[i].Customer = &page.customers[i]
	}
	return more, nil
}

// add appends the scanned row to page.
func (fs *factsScanner) add(page *factsPage) error {
	r := &fs.row
	// One allocation for the three addresses instead of three.
	fs.scratch = append(append(append(fs.scratch[:0], r.external...), r.email...), r.phone...)
	addr := string(fs.scratch)
	a, b := len(r.external), len(r.external)+len(r.email)
	c := models.Customer{ID: r.id, ExternalID: addr[:a], Email: addr[a:b], Phone: addr[b:],
		Locale: fs.str(r.locale), Timezone: fs.str(r.zone), PreferredChannel: models.Channel(fs.str(r.channel)),
		PreferenceVersion: int(r.prefVersion), Suppressed: r.suppressed}
	if r.erasedAt.Valid {
		t := r.erasedAt.Time.UTC()
		c.ErasedAt = &t
	}
	var err error
	// NULL is a profile factsDecide left out (the column is computed
	// from a NOT NULL one); for an opted-in customer it is a broken row.
	switch {
	case r.windows != nil:
		if c.PreferredWindows, err = fs.windowsOf(r.windows); err != nil {
			return fmt.Errorf("store: customer %d: preferred_windows: %w", r.id, err)
		}
	case string(r.status) == string(models.ConsentOptedIn):
		return fmt.Errorf("store: customer %d: preferred_windows is NULL", r.id)
	}
	if r.cadence != nil {
		if c.Cadence, err = fs.cadence(r.cadence); err != nil {
			return fmt.Errorf("store: customer %d: cadence: %w", r.id, err)
		}
	}
	f := models.PlanFacts{AlreadyReceived: r.received}
	if r.seq.Valid {
		f.Consent = models.ConsentStatus(fs.str(r.status))
		// A row without a valid MAC was not written by the ledger (issue 15).
		f.ConsentUnverified = !fs.mac.Verify(r.keyID, r.id, fs.topic, r.status, r.source, r.seq.Int64,
			r.eventHash, r.mac)
	}
	page.customers = append(page.customers, c)
	page.facts = append(page.facts, f)
	page.spans = append(page.spans, [2]int{r.counted.start, len(page.times)})
	return nil
}

// pageTimes is the scan target of the counted array: an ArraySetter that
// appends the row's instants to its page's times instead of allocating a
// slice per customer.
type pageTimes struct {
	page  *factsPage
	start int
}

// SetDimensions implements pgtype.ArraySetter.
func (t *pageTimes) SetDimensions(dims []pgtype.ArrayDimension) error {
	t.start = len(t.page.times)
	n := 0
	if len(dims) > 0 {
		n = 1
		for _, d := range dims {
			n *= int(d.Length)
		}
	}
	for range n {
		t.page.times = append(t.page.times, time.Time{})
	}
	return nil
}

// ScanIndex implements pgtype.ArraySetter.
func (t *pageTimes) ScanIndex(i int) any { return &t.page.times[t.start+i] }

// ScanIndexType implements pgtype.ArraySetter.
func (t *pageTimes) ScanIndexType() any { return new(time.Time) }
