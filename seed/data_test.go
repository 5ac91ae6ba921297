package seed

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/models"
)

// The generator as session 5 wrote it (commit 026b653), kept verbatim but
// renamed: the same --seed must keep giving the same data, so benchmark
// databases stay comparable across versions.

func legacyGenerateCustomer(seed uint64, i int, id int64, hash HashFunc) seedCustomer {
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
		phone = legacySeedPhone(r, z.phoneCC)
	}
	channel := models.ChannelEmail
	switch c := r.IntN(100); {
	case c < 20:
		channel = models.ChannelSMS
		if phone == "" {
			phone = legacySeedPhone(r, z.phoneCC)
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
func legacySeedPhone(r *rand.Rand, cc string) string {
	if cc == "1" {
		n := r.Int64N(8 * 100 * 8 * 1_000_000)
		return fmt.Sprintf("+1%d%02d%d%06d", 2+n/800_000_000, n/8_000_000%100, 2+n/1_000_000%8, n%1_000_000)
	}
	return fmt.Sprintf("+%s%09d", cc, r.IntN(1_000_000_000))
}

func TestTheGeneratorGivesTheSameDataAsBefore(t *testing.T) {
	for _, seed := range []uint64{1, 42} {
		for i := range 3000 {
			id := int64(i) + 7
			want := legacyGenerateCustomer(seed, i, id, (*models.ConsentEvent).ComputeHash)
			got := generateCustomer(seed, i, id, computeHash, true)
			if diff := cmp.Diff(want, got, cmp.AllowUnexported(seedCustomer{})); diff != "" {
				t.Fatalf("seed %d customer %d (-before +now):\n%s", seed, i, diff)
			}
			// The consent passes skip the profile, not the ledger.
			lite := generateCustomer(seed, i, id, computeHash, false)
			if diff := cmp.Diff(want.events, lite.events); diff != "" {
				t.Fatalf("seed %d customer %d, events without the profile (-full +lite):\n%s", seed, i, diff)
			}
			if lite.row.ConsentSeq != want.row.ConsentSeq || !lite.row.UpdatedAt.Equal(want.row.UpdatedAt) {
				t.Fatalf("seed %d customer %d: lite row %+v, full row %+v", seed, i, lite.row, want.row)
			}
		}
	}
}

func TestComputeHashWritesWhatComputeHashDoes(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	alphabet := []string{"a", "Z", "0", " ", "-", "\"", "\\", "<", ">", "&", "\n", "\t", "\x01", "\x7f", "é", "\u2028", "\xff", "{", "}"}
	text := func() string {
		var b strings.Builder
		for range r.IntN(12) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		return b.String()
	}
	for range 5000 {
		e := models.ConsentEvent{CustomerID: r.Int64N(1 << 40), Seq: r.Int64N(100), Topic: text(), Status: models.ConsentStatus(text()),
			Source: models.ConsentSource(text()), Evidence: models.Evidence{Text: text(), FormVersion: text(), IPDigest: text(), UserAgentDigest: text()},
			CreatedAt: time.Unix(r.Int64N(4e9), r.Int64N(1e9)).In(time.FixedZone("x", 3600)), PrevHash: text()}
		if got, want := computeHash(&e), e.ComputeHash(); got != want {
			t.Fatalf("computeHash = %s, ComputeHash = %s for %+v", got, want, e)
		}
	}
}

func TestAttributesJSONIsWhatJSONMarshalWrites(t *testing.T) {
	for products := range uint8(1 << len(seedProducts)) {
		list := []any{}
		for k, p := range seedProducts {
			if products&(1<<k) != 0 {
				list = append(list, p)
			}
		}
		for _, seats := range []int{1, 49, 4999} {
			want, _ := json.Marshal(map[string]any{"plan": "pro", "industry": "media", "seats": seats, "region": "emea", "products": list})
			if got := attributesJSON("pro", "media", seats, "emea", products); got != string(want) {
				t.Fatalf("attributesJSON = %s, json.Marshal = %s", got, want)
			}
		}
	}
}
