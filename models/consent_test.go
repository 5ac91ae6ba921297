package models_test

import (
	"testing"
	"time"

	"github.com/candor/candor/models"
	"github.com/google/go-cmp/cmp"
)

// ring is a keyring of fixed keys for the ledger tests: "k2" current,
// "k1" the previous one.
type ring map[string][]byte

func (r ring) CurrentLedgerKey() (string, []byte) { return "k2", r["k2"] }
func (r ring) LedgerKey(id string) ([]byte, bool) { k, ok := r[id]; return k, ok }

var testRing = ring{"k1": []byte("an-old-ledger-key-0123456789abcdef"), "k2": []byte("the-current-ledger-key-0123456789")}

// chain builds a valid keyed ledger of n events for customer 7, each
// event also the next of the global chain.
func chain(n int) []models.ConsentEvent {
	var events []models.ConsentEvent
	prev := ""
	at := time.Date(2026, 3, 1, 12, 0, 0, 123456000, time.UTC)
	for i := 1; i <= n; i++ {
		e := models.ConsentEvent{CustomerID: 7, Seq: int64(i), Topic: "pricing-guides",
			Status: models.ConsentOptedIn, Source: models.SourceAPI, CreatedAt: at.Add(time.Duration(i) * time.Minute),
			Evidence: models.Evidence{Text: "Yes, send me pricing guides", IP: "192.0.2.1", UserAgent: "Mozilla/5.0"},
			PrevHash: prev}
		if i%2 == 0 {
			e.Status = models.ConsentOptedOut
		}
		models.SealEvidence(&e.Evidence, "salt-"+e.Topic)
		e.KeyID, e.GlobalSeq, e.GlobalPrev = "k2", int64(10+i), prev
		if i == 1 {
			e.KeyID = "k1" // sealed before a rotation
		}
		key, _ := testRing.LedgerKey(e.KeyID)
		models.DigestEvidenceText(&e.Evidence, key)
		e.Hash = e.KeyedHash(key)
		prev = e.Hash
		events = append(events, e)
	}
	return events
}

func TestVerifyChain(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(events []models.ConsentEvent)
		want   models.ChainStatus
	}{
		{"an untouched ledger verifies", func([]models.ConsentEvent) {}, models.ChainStatus{Verified: true, Length: 3}},
		{"an edited status is detected", func(e []models.ConsentEvent) { e[1].Status = models.ConsentOptedIn },
			models.ChainStatus{Length: 3, BrokenAt: 2, Reason: "content does not match its hash"}},
		{"a back-dated event is detected", func(e []models.ConsentEvent) { e[0].CreatedAt = e[0].CreatedAt.Add(-time.Hour) },
			models.ChainStatus{Length: 3, BrokenAt: 1, Reason: "content does not match its hash"}},
		{"a change below a microsecond is not part of the record", func(e []models.ConsentEvent) {
			e[0].CreatedAt = e[0].CreatedAt.Add(500 * time.Nanosecond)
		}, models.ChainStatus{Verified: true, Length: 3}},
		{"an event rehashed without the key is detected", func(e []models.ConsentEvent) {
			e[0].Source = models.SourceImport
			e[0].Hash = e[0].ComputeHash()
			e[1].PrevHash = e[0].Hash
		}, models.ChainStatus{Length: 3, BrokenAt: 1, Reason: "content does not match its hash"}},
		{"an event rehashed with another key is detected", func(e []models.ConsentEvent) {
			e[2].Status = models.ConsentOptedIn
			e[2].Hash = e[2].KeyedHash([]byte("a-key-the-ledger-never-had-0123456789"))
		}, models.ChainStatus{Length: 3, BrokenAt: 3, Reason: "content does not match its hash"}},
		{"an event of a key outside the ring is reported as such", func(e []models.ConsentEvent) { e[2].KeyID = "k0" },
			models.ChainStatus{Length: 3, BrokenAt: 3, Reason: "event is sealed with key k0, which is not in the keyring"}},
		{"an event moved in the global chain is detected", func(e []models.ConsentEvent) { e[1].GlobalSeq++ },
			models.ChainStatus{Length: 3, BrokenAt: 2, Reason: "content does not match its hash"}},
		{"an edited evidence text is detected by its digest", func(e []models.ConsentEvent) { e[0].Evidence.Text = "No thanks" },
			models.ChainStatus{Length: 3, BrokenAt: 1, Reason: "evidence text does not match its digest"}},
		{"a removed event is detected", func(e []models.ConsentEvent) { e[1] = e[2] },
			models.ChainStatus{Length: 3, BrokenAt: 3, Reason: "sequence gap or duplicate"}},
		{"a swapped raw ip is detected", func(e []models.ConsentEvent) { e[2].Evidence.IP = "198.51.100.7" },
			models.ChainStatus{Length: 3, BrokenAt: 3, Reason: "evidence ip does not match its digest"}},
		{"erased raw PII keeps the chain valid", func(e []models.ConsentEvent) {
			for i := range e {
				e[i].Evidence.IP, e[i].Evidence.UserAgent, e[i].Evidence.Salt = "", "", ""
				e[i].Evidence.Text, e[i].Evidence.FormVersion = "", ""
			}
		}, models.ChainStatus{Verified: true, Length: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events := chain(3)
			tt.tamper(events)
			if diff := cmp.Diff(tt.want, models.VerifyChain(events, testRing)); diff != "" {
				t.Errorf("VerifyChain (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConsentInputValidate(t *testing.T) {
	tests := []struct {
		name string
		in   models.ConsentInput
		want []string
	}{
		{"an opt-in from a CRM is valid", models.ConsentInput{Status: models.ConsentOptedIn, Source: models.SourceCRM}, nil},
		{"a missing source defaults to api", models.ConsentInput{Status: models.ConsentOptedOut}, nil},
		{"pending cannot be set through the API", models.ConsentInput{Status: models.ConsentPending}, []string{"/status enum"}},
		{"a client cannot claim a one-click source", models.ConsentInput{Status: models.ConsentOptedIn, Source: models.SourceOneClick}, []string{"/source enum"}},
		{"a malformed ip is rejected", models.ConsentInput{Status: models.ConsentOptedIn, Evidence: models.Evidence{IP: "300.1.1.1"}}, []string{"/evidence/ip ip_address"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			if diff := cmp.Diff(tt.want, rules(in.Validate())); diff != "" {
				t.Errorf("rules (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEvidenceJSONShowsDigestsButNeverTheSalt(t *testing.T) {
	ev := models.Evidence{IP: "192.0.2.1"}
	models.SealEvidence(&ev, "secret-salt")
	b, err := ev.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	want := `{"ip":"192.0.2.1","ip_digest":"` + ev.IPDigest + `"}`
	if got != want {
		t.Errorf("JSON = %s, want %s", got, want)
	}
}
