package seed

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
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
// ledger is the costly part, so only the consent_events pass passes hash
// (nil: no hashes).
func generateCustomer(seed uint64, i int, id int64, hash HashFunc) seedCustomer {
	r := rngFor(seed, i)
	z := pickZone(r)
	first, last := seedFirst[r.IntN(len(seedFirst))], seedLast[r.IntN(len(seedLast))]
	ext := fmt.Sprintf("seed%d-%08d", seed, i)
	created := seedEpoch.Add(-time.Duration(r.Int64N(int64(3 * 365 * 24 * time.Hour)))).Truncate(time.Microsecond)

	plan, seats := "free", 1+r.IntN(5)
	switch p := r.IntN(100); {
	case p < 10:
		plan, seats = "enterprise", 50+r.IntN(4950)
	case p < 40:
		plan, seats = "pro", 5+r.IntN(46)
	}
	products := []any{}
	for _, prod := range seedProducts {
		if r.IntN(3) == 0 {
			products = append(products, prod)
		}
	}
	attrs := map[string]any{
		"plan": plan, "industry": seedIndustries[r.IntN(len(seedIndustries))], "seats": seats,
		"region": z.region, "products": products,
	}

	email := fmt.Sprintf("%s.%s.%d@%s", lower(first), lower(last), i, seedDomains[r.IntN(len(seedDomains))])
	if r.IntN(4) == 0 {
		email = fmt.Sprintf("%s.%d@%s-%d.example", lower(first), i, seedIndustries[r.IntN(len(seedIndustries))], r.IntN(5000))
	}
	phone := ""
	if r.IntN(2) == 0 {
		phone = seedPhone(r, z.phoneCC)
	}
	channel := models.ChannelEmail
	switch c := r.IntN(100); {
	case c < 20:
		channel = models.ChannelSMS
		if phone == "" {
			phone = seedPhone(r, z.phoneCC)
		}
	case c < 30:
		channel = models.ChannelWebhook
	}
	windows, _ := json.Marshal(seedWindows[r.IntN(len(seedWindows))])
	attrJSON, _ := json.Marshal(attrs)
	var cadence *string
	if cad := seedCadences[r.IntN(len(seedCadences))]; cad != nil {
		raw, _ := json.Marshal(cad)
		s := string(raw)
		cadence = &s
	}

	sc := seedCustomer{row: customerRow{
		ID: id, ExternalID: ext, Email: email, Phone: phone, Name: first + " " + last,
		Locale: z.locales[r.IntN(len(z.locales))], Timezone: z.zone, PreferredChannel: string(channel),
		PreferredWindows: string(windows), Cadence: cadence, Attributes: string(attrJSON),
		PreferenceVersion: 1, CreatedAt: created,
	}}
	sc.events = generateConsent(r, id, created, hash)
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
	var events []models.ConsentEvent
	at := created
	prev := ""
	add := func(topic string, status models.ConsentStatus, source models.ConsentSource) {
		at = at.Add(time.Duration(1+r.IntN(30*24*60)) * time.Minute)
		e := models.ConsentEvent{
			CustomerID: customerID, Seq: int64(len(events) + 1), Topic: topic, Status: status, Source: source,
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
	return events
}

// seedPhone returns a plausible E.164 number: nine national digits, or
// for +1 the ten digits of the North American plan, whose area code and
// exchange cannot start with 0 or 1. It draws one number either way, so
// the rest of a seeded customer does not depend on its country.
func seedPhone(r *rand.Rand, cc string) string {
	if cc == "1" {
		n := r.Int64N(8 * 100 * 8 * 1_000_000)
		return fmt.Sprintf("+1%d%02d%d%06d", 2+n/800_000_000, n/8_000_000%100, 2+n/1_000_000%8, n%1_000_000)
	}
	return fmt.Sprintf("+%s%09d", cc, r.IntN(1_000_000_000))
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
