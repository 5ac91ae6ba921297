package seed

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/candor/candor/models"
)

// zoneWeight is one time zone of the synthetic customer base with its
// share, the locales spoken there, a phone country code and a region.
// Zones with half-hour and 45-minute offsets and both hemispheres' DST are
// included on purpose: scheduling must get them right.
type zoneWeight struct {
	zone    string
	weight  int // per mille
	locales []string
	phoneCC string
	region  string
}

var seedZones = []zoneWeight{
	{"America/New_York", 120, []string{"en-US", "es-US"}, "1", "na"},
	{"America/Chicago", 60, []string{"en-US"}, "1", "na"},
	{"America/Denver", 20, []string{"en-US"}, "1", "na"},
	{"America/Los_Angeles", 70, []string{"en-US", "es-US"}, "1", "na"},
	{"America/Toronto", 30, []string{"en-CA", "fr-CA"}, "1", "na"},
	{"America/St_Johns", 5, []string{"en-CA"}, "1", "na"},
	{"America/Mexico_City", 30, []string{"es-MX"}, "52", "latam"},
	{"America/Sao_Paulo", 50, []string{"pt-BR"}, "55", "latam"},
	{"America/Santiago", 10, []string{"es-CL"}, "56", "latam"},
	{"America/Havana", 3, []string{"es-CU"}, "53", "latam"},
	{"Europe/London", 70, []string{"en-GB"}, "44", "emea"},
	{"Europe/Berlin", 60, []string{"de-DE"}, "49", "emea"},
	{"Europe/Paris", 50, []string{"fr-FR"}, "33", "emea"},
	{"Europe/Madrid", 30, []string{"es-ES", "ca-ES"}, "34", "emea"},
	{"Europe/Rome", 30, []string{"it-IT"}, "39", "emea"},
	{"Europe/Amsterdam", 20, []string{"nl-NL"}, "31", "emea"},
	{"Europe/Warsaw", 20, []string{"pl-PL"}, "48", "emea"},
	{"Europe/Stockholm", 10, []string{"sv-SE"}, "46", "emea"},
	{"Africa/Lagos", 20, []string{"en-NG"}, "234", "emea"},
	{"Africa/Johannesburg", 10, []string{"en-ZA", "af-ZA"}, "27", "emea"},
	{"Asia/Dubai", 10, []string{"ar-AE", "en-AE"}, "971", "emea"},
	{"Asia/Tehran", 5, []string{"fa-IR"}, "98", "emea"},
	{"Asia/Kolkata", 80, []string{"en-IN", "hi-IN"}, "91", "apac"},
	{"Asia/Kathmandu", 5, []string{"ne-NP"}, "977", "apac"},
	{"Asia/Shanghai", 30, []string{"zh-CN"}, "86", "apac"},
	{"Asia/Tokyo", 40, []string{"ja-JP"}, "81", "apac"},
	{"Asia/Seoul", 20, []string{"ko-KR"}, "82", "apac"},
	{"Asia/Singapore", 20, []string{"en-SG", "zh-SG"}, "65", "apac"},
	{"Australia/Sydney", 25, []string{"en-AU"}, "61", "apac"},
	{"Australia/Adelaide", 5, []string{"en-AU"}, "61", "apac"},
	{"Australia/Lord_Howe", 1, []string{"en-AU"}, "61", "apac"},
	{"Pacific/Auckland", 10, []string{"en-NZ", "mi-NZ"}, "64", "apac"},
	{"Pacific/Chatham", 1, []string{"en-NZ"}, "64", "apac"},
}

var (
	seedZoneTotal = func() int {
		n := 0
		for _, z := range seedZones {
			n += z.weight
		}
		return n
	}()
	seedIndustries = []string{"software", "retail", "finance", "healthcare", "education", "manufacturing", "media", "logistics", "nonprofit", "government"}
	seedProducts   = []string{"crm", "analytics", "billing", "support", "api", "mobile"}
	seedFirst      = []string{"Ada", "Grace", "Alan", "Katherine", "Linus", "Margaret", "Dennis", "Barbara", "Ken", "Radia", "Tim", "Hedy", "Edsger", "Frances", "Donald", "Sophie"}
	seedLast       = []string{"Lovelace", "Hopper", "Turing", "Johnson", "Torvalds", "Hamilton", "Ritchie", "Liskov", "Thompson", "Perlman", "Berners-Lee", "Lamarr", "Dijkstra", "Allen", "Knuth", "Wilson"}
	seedDomains    = []string{"gmail.com", "outlook.com", "yahoo.com", "proton.me", "icloud.com"}
	seedWindows    = [][]models.Window{
		{{Days: []string{"mon", "tue", "wed", "thu", "fri"}, Start: "09:00", End: "17:00"}},
		{{Days: []string{"mon", "tue", "wed", "thu", "fri"}, Start: "18:00", End: "21:00"}},
		{{Days: []string{"sat", "sun"}, Start: "10:00", End: "14:00"}},
		{{Days: []string{"mon", "wed", "fri"}, Start: "08:00", End: "10:00"}, {Days: []string{"sat"}, Start: "09:00", End: "12:00"}},
		{{Days: []string{"tue", "thu"}, Start: "12:00", End: "13:30"}},
		{{Days: []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}, Start: "07:00", End: "24:00"}},
	}
	seedCadences = []*models.Cadence{nil, {Max: 1, Per: "7d"}, {Max: 2, Per: "7d"}, {Max: 4, Per: "30d"}, {Max: 8, Per: "30d"}, {Max: 1, Per: "24h"}}
	// seedTopicShare is the chance, per mille, that a customer has any
	// consent record for each default topic.
	seedTopicShare = map[string]int{"product-roadmap": 450, "competitor-comparisons": 250, "pricing-guides": 350, "technology-alternatives": 200}
	// seedEpoch anchors generated times so a seed gives the same data on
	// any day; customers were created in the three years before it.
	seedEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
)

// seedWindowsJSON and seedCadencesJSON are the JSON of each choice, as
// the customers table stores it, encoded once.
var (
	seedWindowsJSON  = marshalEach(seedWindows, func(raw []byte) string { return string(raw) })
	seedCadencesJSON = marshalEach(seedCadences, func(raw []byte) *string {
		if string(raw) == "null" {
			return nil
		}
		s := string(raw)
		return &s
	})
)

func marshalEach[T, R any](choices []T, as func([]byte) R) []R {
	out := make([]R, len(choices))
	for i, c := range choices {
		raw, err := json.Marshal(c)
		if err != nil {
			panic(err) // fixed data above
		}
		out[i] = as(raw)
	}
	return out
}

// attributesJSON writes a seeded customer's attributes as json.Marshal
// writes the map {plan, industry, seats, region, products}: keys sorted,
// products in seedProducts order. Every value comes from the fixed ASCII
// lists above, so nothing needs escaping (a test compares the two).
func attributesJSON(plan, industry string, seats int, region string, products uint8) string {
	b := make([]byte, 0, 128)
	b = append(b, `{"industry":"`...)
	b = append(b, industry...)
	b = append(b, `","plan":"`...)
	b = append(b, plan...)
	b = append(b, `","products":[`...)
	sep := ""
	for k, p := range seedProducts {
		if products&(1<<k) != 0 {
			b = append(b, sep+`"`...)
			b = append(b, p...)
			b = append(b, '"')
			sep = ","
		}
	}
	b = append(b, `],"region":"`...)
	b = append(b, region...)
	b = append(b, `","seats":`...)
	b = strconv.AppendInt(b, int64(seats), 10)
	return string(append(b, '}'))
}

// customerRow holds the columns of one generated customer as they are
// written to the customers table.
type customerRow struct {
	ID                int64
	ExternalID        string
	Email             string
	Phone             string
	Name              string
	Locale            string
	Timezone          string
	PreferredChannel  string
	PreferredWindows  string
	Cadence           *string
	Attributes        string
	PreferenceVersion int
	ConsentSeq        int64
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// seedCustomer is one generated customer with its consent history.
type seedCustomer struct {
	row    customerRow
	events []models.ConsentEvent
}

// rngFor returns the generator of customer i: one stream per customer, so
// every table of a seed can regenerate the same customer independently.
func rngFor(seed uint64, i int) *rand.Rand {
	return rand.New(rand.NewPCG(seed, uint64(i)))
}

// pickZone draws a zone by weight.
func pickZone(r *rand.Rand) zoneWeight {
	n := r.IntN(seedZoneTotal)
	for _, z := range seedZones {
		if n < z.weight {
			return z
		}
		n -= z.weight
	}
	return seedZones[0]
}

// generateCustomer builds customer number i (0-based) of a seed with the
// given database id. It is a pure function of (seed, i, id). Hashing the
// ledger is the costly part, so only the consent passes pass hash (nil:
// no hashes). Without full it draws the same random numbers but formats
// none of the profile (row holds only the id, the consent count and the
// update time): the consent passes need only the ledger, which follows
// the profile's draws.
func generateCustomer(seed uint64, i int, id int64, hash HashFunc, full bool) seedCustomer {
	var arena []models.ConsentEvent
	return generateCustomerIn(&arena, seed, i, id, hash, full)
}

// generateCustomerIn is generateCustomer with the customer's events
// appended to *arena (see appendConsent).
func generateCustomerIn(arena *[]models.ConsentEvent, seed uint64, i int, id int64, hash HashFunc, full bool) seedCustomer {
	r := rngFor(seed, i)
	z := pickZone(r)
	first, last := seedFirst[r.IntN(len(seedFirst))], seedLast[r.IntN(len(seedLast))]
	created := seedEpoch.Add(-time.Duration(r.Int64N(int64(3 * 365 * 24 * time.Hour)))).Truncate(time.Microsecond)

	plan, seats := "free", 1+r.IntN(5)
	switch p := r.IntN(100); {
	case p < 10:
		plan, seats = "enterprise", 50+r.IntN(4950)
	case p < 40:
		plan, seats = "pro", 5+r.IntN(46)
	}
	var products uint8 // bit k: seedProducts[k]
	for k := range seedProducts {
		if r.IntN(3) == 0 {
			products |= 1 << k
		}
	}
	industry := seedIndustries[r.IntN(len(seedIndustries))]

	domain := seedDomains[r.IntN(len(seedDomains))]
	altEmail := r.IntN(4) == 0
	var altIndustry string
	var altN int
	if altEmail {
		altIndustry = seedIndustries[r.IntN(len(seedIndustries))]
		altN = r.IntN(5000)
	}
	var phone seedNumber
	if r.IntN(2) == 0 {
		phone = drawPhone(r, z.phoneCC)
	}
	channel := models.ChannelEmail
	switch c := r.IntN(100); {
	case c < 20:
		channel = models.ChannelSMS
		if !phone.ok {
			phone = drawPhone(r, z.phoneCC)
		}
	case c < 30:
		channel = models.ChannelWebhook
	}
	windows := r.IntN(len(seedWindows))
	cadence := r.IntN(len(seedCadences))
	locale := z.locales[r.IntN(len(z.locales))]

	sc := seedCustomer{row: customerRow{ID: id, CreatedAt: created}}
	if full {
		email := fmt.Sprintf("%s.%s.%d@%s", lower(first), lower(last), i, domain)
		if altEmail {
			email = fmt.Sprintf("%s.%d@%s-%d.example", lower(first), i, altIndustry, altN)
		}
		sc.row = customerRow{
			ID: id, ExternalID: fmt.Sprintf("seed%d-%08d", seed, i), Email: email, Phone: phone.format(), Name: first + " " + last,
			Locale: locale, Timezone: z.zone, PreferredChannel: string(channel),
			PreferredWindows: seedWindowsJSON[windows], Cadence: seedCadencesJSON[cadence],
			Attributes:        attributesJSON(plan, industry, seats, z.region, products),
			PreferenceVersion: 1, CreatedAt: created,
		}
	}
	sc.events = appendConsent(arena, r, id, created, hash)
	sc.row.ConsentSeq = int64(len(sc.events))
	sc.row.UpdatedAt = created
	if n := len(sc.events); n > 0 {
		sc.row.UpdatedAt = sc.events[n-1].CreatedAt
	}
	return sc
}

// seedEvidence is the evidence of every seeded consent event.
var seedEvidence = models.Evidence{Text: "Imported by candor seed", FormVersion: "seed-v1"}

// generateConsent draws a consent history over the default topics and
// chains it exactly as the ledger does (seq 1..k, each hash over the
// previous one), so seeded ledgers verify.
func generateConsent(r *rand.Rand, customerID int64, created time.Time, hash HashFunc) []models.ConsentEvent {
	var arena []models.ConsentEvent
	return appendConsent(&arena, r, customerID, created, hash)
}

// appendConsent is generateConsent drawing the events into *arena, which
// the customers of a chunk share: a chunk then allocates its events once
// or twice instead of a growing slice per customer (an event is a large
// struct, and growing them was the seed's largest allocation). The
// returned slice is the customer's part of the arena, capped so that
// later appends never write into it; when the arena grows, earlier
// customers keep their parts of the old array.
func appendConsent(arena *[]models.ConsentEvent, r *rand.Rand, customerID int64, created time.Time, hash HashFunc) []models.ConsentEvent {
	events, start := *arena, len(*arena)
	at := created
	prev := ""
	add := func(topic string, status models.ConsentStatus, source models.ConsentSource) {
		at = at.Add(time.Duration(1+r.IntN(30*24*60)) * time.Minute)
		e := models.ConsentEvent{
			CustomerID: customerID, Seq: int64(len(events) - start + 1), Topic: topic, Status: status, Source: source,
			Evidence:  seedEvidence,
			CreatedAt: at, PrevHash: prev,
		}
		if hash != nil {
			e.Hash = hash(&e)
			prev = e.Hash
		}
		events = append(events, e)
	}
	for _, topic := range models.DefaultTopics {
		if r.IntN(1000) >= seedTopicShare[topic] {
			continue
		}
		status := models.ConsentOptedIn
		if r.IntN(100) < 22 {
			status = models.ConsentOptedOut
		}
		source := []models.ConsentSource{models.SourceImport, models.SourceAPI, models.SourceCRM, models.SourcePreferenceCenter}[r.IntN(4)]
		if r.IntN(100) < 15 {
			// A change of mind: the earlier opposite choice stays in the ledger.
			other := models.ConsentOptedOut
			if status == models.ConsentOptedOut {
				other = models.ConsentOptedIn
			}
			add(topic, other, source)
			source = models.SourcePreferenceCenter
		}
		add(topic, status, source)
	}
	*arena = events
	return events[start:len(events):len(events)]
}

// seedNumber is a drawn phone number, formatted only when needed.
type seedNumber struct {
	ok bool
	cc string
	n  int64
}

// drawPhone draws a plausible E.164 number: nine national digits, or for
// +1 the ten digits of the North American plan, whose area code and
// exchange cannot start with 0 or 1. It draws one number either way, so
// the rest of a seeded customer does not depend on its country.
func drawPhone(r *rand.Rand, cc string) seedNumber {
	if cc == "1" {
		return seedNumber{ok: true, cc: cc, n: r.Int64N(8 * 100 * 8 * 1_000_000)}
	}
	return seedNumber{ok: true, cc: cc, n: int64(r.IntN(1_000_000_000))}
}

// format returns the number in E.164 ("" when none was drawn).
func (p seedNumber) format() string {
	switch {
	case !p.ok:
		return ""
	case p.cc == "1":
		n := p.n
		return fmt.Sprintf("+1%d%02d%d%06d", 2+n/800_000_000, n/8_000_000%100, 2+n/1_000_000%8, n%1_000_000)
	}
	return fmt.Sprintf("+%s%09d", p.cc, p.n)
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
