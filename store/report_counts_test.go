package store_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/campaigns/report"
	"github.com/candor/candor/models"
	"github.com/candor/candor/store"
)

// keptFigures is what a report reads of the counts: the funnel, the hours,
// the respect figure judged group by group and the span of the sends.
type keptFigures struct {
	Statuses             []models.StatusCount
	UTCHours, LocalHours [24]int64
	Respect              respectTally
}

// reportFigures judges the report facts of campaign id, read from the
// kept counts (kept) or counted again from the deliveries.
func reportFigures(t *testing.T, s *store.Store, id int64, kept bool) keptFigures {
	t.Helper()
	var out keptFigures
	j := report.Judge{}
	read := s.CampaignReportFactsRecounted
	if kept {
		read = s.CampaignReportFacts
	}
	f, err := read(t.Context(), id, func(g *models.SentGroup) error {
		out.Respect.add(j.Respect(&g.Record), g.Count, g.OnChannel)
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	out.UTCHours, out.LocalHours = f.UTCHours, f.LocalHours
	// The kept counts hold planned, queued and sending as one pending
	// status ('planned', no reason), which is all the report shows.
	merged := map[models.StatusCount]int64{}
	for _, c := range f.Statuses {
		if c.Status == models.DeliveryQueued || c.Status == models.DeliverySending || c.Status == models.DeliveryPlanned {
			c.Status, c.Reason = models.DeliveryPlanned, ""
		}
		n := c.Count
		c.Count = 0
		merged[c] += n
	}
	for c, n := range merged {
		c.Count = n
		out.Statuses = append(out.Statuses, c)
	}
	slices.SortFunc(out.Statuses, func(a, b models.StatusCount) int {
		return cmpStrings(string(a.Status)+"/"+string(a.Reason), string(b.Status)+"/"+string(b.Reason))
	})
	return out
}

func cmpStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// assertKeptCountsAgree holds the counts the triggers of migration 00022
// keep to the same figures counted again from the deliveries (the grouped
// queries), and the report's respect figure to the record-by-record
// audit.
func assertKeptCountsAgree(t *testing.T, s *store.Store, id int64) keptFigures {
	t.Helper()
	kept, recount := reportFigures(t, s, id, true), reportFigures(t, s, id, false)
	if diff := cmp.Diff(recount, kept, cmp.AllowUnexported(respectTally{})); diff != "" {
		t.Errorf("kept counts differ from the recount (-recount +kept):\n%s", diff)
	}
	svc := report.NewService(s, sendSettings)
	rep, err := svc.CampaignReport(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	audit, err := svc.AuditRespect(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(audit, rep.Respect); diff != "" {
		t.Errorf("report respect differs from its audit (-audit +report):\n%s", diff)
	}
	return kept
}

// TestKeptReportCountsFollowTheWorkerPath drives a campaign through the
// worker's side of the store (dispatch, batched claims, batched outcomes
// of every kind, retries) and then changes the recipients' wishes and
// erases some of them after their messages were sent: after each step the
// kept counts must equal the recount and the report its audit.
func TestKeptReportCountsFollowTheWorkerPath(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		f := newDeliveryFixture(t, backend)
		const n = 60
		for i := range n {
			f.add(fmt.Sprintf("w%03d", i), "kept", func(in *models.CustomerInput) {
				if i%5 == 0 {
					in.PreferredChannel = models.ChannelSMS
				}
			})
		}
		camp := f.launch(nil, "kept")
		assertKeptCountsAgree(t, f.s, camp.ID)
		r := rand.New(rand.NewPCG(22, uint64(len(backend))))
		statuses := []models.DeliveryStatus{models.DeliverySent, models.DeliverySent, models.DeliverySent,
			models.DeliveryFailed, models.DeliveryUnknown, models.DeliveryQueued}
		for _, b := range f.dispatch() {
			claimed := f.claim(b.IDs...)
			var outs []models.SendOutcome
			for _, c := range claimed {
				st := statuses[r.IntN(len(statuses))]
				o := models.SendOutcome{DeliveryID: c.Delivery.ID, Status: st, ProviderID: "p"}
				if st == models.DeliveryFailed {
					o.Reason = models.ReasonRejected
				}
				outs = append(outs, o)
			}
			f.record(outs...)
		}
		got := assertKeptCountsAgree(t, f.s, camp.ID)
		if got.Respect.sent < n/3 || got.Respect.verifiable != got.Respect.sent || len(got.Statuses) < 3 {
			t.Fatalf("weak data: %+v", got)
		}
		// After the sends: wishes change (the history keeps those the
		// sends honoured) and customers are erased (their sends become
		// unverifiable).
		f.clk.Advance(time.Hour)
		for i := range n {
			ext := fmt.Sprintf("w%03d", i)
			switch i % 7 {
			case 1:
				f.change(ext, func(in *models.CustomerInput) { in.Timezone = "America/New_York" })
			case 2:
				if err := f.s.EraseCustomer(f.ctx, ext); err != nil {
					t.Fatal(err)
				}
			}
		}
		got = assertKeptCountsAgree(t, f.s, camp.ID)
		if got.Respect.verifiable == got.Respect.sent {
			t.Fatalf("no send became unverifiable: %+v", got.Respect)
		}
		if _, err := f.s.CancelCampaign(f.ctx, camp.ID); err != nil {
			t.Fatal(err)
		}
		assertKeptCountsAgree(t, f.s, camp.ID)
	})
}

// TestKeptReportCountsAgreeWithTheRecountOnRandomMoves is the property
// test of TestCampaignReportRespectByGroupsAgreesWithTheRecordByRecordAudit
// (random sends and lying snapshots, written by direct UPDATEs) followed
// by what may happen to a campaign's rows afterwards, in random order:
// wishes changed after the sends, erasure, sends moved to another status
// or back, other statuses and reasons, deleted rows. The kept counts must
// agree with the recount throughout.
func TestKeptReportCountsAgreeWithTheRecountOnRandomMoves(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		f := newDeliveryFixture(t, backend)
		const n = 200
		for i := range n {
			f.add(fmt.Sprintf("k%03d", i), "moves", nil)
		}
		camp := f.launch(nil, "moves")
		r := rand.New(rand.NewPCG(7, uint64(len(backend))))
		templates := respectTemplates(t, r, 30)
		db := f.s.DB()
		var pairs [][2]int64
		externals := map[int64]string{}
		rows, err := db.Raw(`SELECT d.id, d.customer_id, c.external_id FROM deliveries d JOIN customers c ON c.id = d.customer_id
			WHERE d.campaign_id = ? ORDER BY d.id`, camp.ID).Rows()
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var p [2]int64
			var ext string
			if err := rows.Scan(&p[0], &p[1], &ext); err != nil {
				t.Fatal(err)
			}
			pairs = append(pairs, p)
			externals[p[1]] = ext
		}
		rows.Close()
		exec := func(sql string, args ...any) {
			t.Helper()
			if err := db.Exec(sql, args...).Error; err != nil {
				t.Fatalf("%s: %v", sql, err)
			}
		}
		others := []struct {
			status models.DeliveryStatus
			reason models.Reason
		}{{"skipped", models.ReasonConsentWithdrawn}, {"skipped", models.ReasonCadenceCap}, {"failed", models.ReasonRejected},
			{"expired", models.ReasonWindowMissed}, {"unknown", ""}, {"queued", ""}, {"cancelled", models.ReasonCampaignCancelled}}
		for _, p := range pairs {
			if r.IntN(4) == 0 {
				o := others[r.IntN(len(others))]
				exec("UPDATE deliveries SET status = ?, reason = ? WHERE id = ?", string(o.status), string(o.reason), p[0])
				continue
			}
			randomSend(t, r, db, templates[r.IntN(len(templates))], templates, p[0], p[1])
		}
		assertKeptCountsAgree(t, f.s, camp.ID)
		later := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
		for round := range 3 {
			for _, p := range pairs {
				later = later.Add(time.Second)
				switch r.IntN(12) {
				case 0: // the wishes change after the send
					tm := templates[r.IntN(len(templates))]
					exec("UPDATE customers SET timezone = ?, preference_version = preference_version + 1, updated_at = ? WHERE id = ? AND erased_at IS NULL",
						tm.zone, later, p[1])
				case 1:
					if err := f.s.EraseCustomer(f.ctx, externals[p[1]]); err != nil && models.ErrorCode(err) != models.ENOTFOUND {
						t.Fatal(err)
					}
				case 2: // a send later found failed, or a failure found sent
					exec("UPDATE deliveries SET status = CASE WHEN status = 'sent' THEN 'failed' ELSE 'sent' END, reason = '' WHERE id = ?", p[0])
				case 3:
					o := others[r.IntN(len(others))]
					exec("UPDATE deliveries SET status = ?, reason = ? WHERE id = ?", string(o.status), string(o.reason), p[0])
				case 4: // a change the counts do not read
					exec("UPDATE deliveries SET attempts = attempts + 1 WHERE id = ?", p[0])
				}
			}
			if round == 1 {
				// Several rows in one statement, some of them deleted.
				exec("UPDATE deliveries SET status = 'sent', sent_at = ? WHERE campaign_id = ? AND status = 'queued'", later, camp.ID)
				exec("DELETE FROM deliveries WHERE campaign_id = ? AND status = 'cancelled'", camp.ID)
			}
			got := assertKeptCountsAgree(t, f.s, camp.ID)
			if got.Respect.sent < n/3 || got.Respect.verifiable == got.Respect.sent || got.Respect.verifiable == 0 {
				t.Fatalf("weak data in round %d: %+v", round, got)
			}
		}
	})
}

// TestReportCountsMigrationBackfillsExistingDeliveries applies migration
// 00022 to a database that already holds a campaign's deliveries in every
// status, sends whose wishes changed since and erased recipients: the
// counts it writes must equal the recount.
func TestReportCountsMigrationBackfillsExistingDeliveries(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		f := newDeliveryFixture(t, backend)
		for i := range 40 {
			f.add(fmt.Sprintf("b%03d", i), "backfill", nil)
		}
		camp := f.launch(nil, "backfill")
		r := rand.New(rand.NewPCG(3, uint64(len(backend))))
		templates := respectTemplates(t, r, 10)
		db := f.s.DB()
		var pairs [][2]int64
		rows, err := db.Raw("SELECT id, customer_id FROM deliveries WHERE campaign_id = ? ORDER BY id", camp.ID).Rows()
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var p [2]int64
			if err := rows.Scan(&p[0], &p[1]); err != nil {
				t.Fatal(err)
			}
			pairs = append(pairs, p)
		}
		rows.Close()
		for i, p := range pairs {
			if i%4 == 0 {
				if err := db.Exec("UPDATE deliveries SET status = 'skipped', reason = 'cadence_cap' WHERE id = ?", p[0]).Error; err != nil {
					t.Fatal(err)
				}
				continue
			}
			randomSend(t, r, db, templates[r.IntN(len(templates))], templates, p[0], p[1])
		}
		before := assertKeptCountsAgree(t, f.s, camp.ID)
		if err := f.s.RedoMigration(f.ctx, 22); err != nil {
			t.Fatal(err)
		}
		var rowsKept int64
		if err := db.Raw("SELECT COUNT(*) FROM campaign_report_counts WHERE campaign_id = ?", camp.ID).Scan(&rowsKept).Error; err != nil {
			t.Fatal(err)
		}
		if rowsKept == 0 {
			t.Fatal("the migration kept no counts of the existing deliveries")
		}
		after := assertKeptCountsAgree(t, f.s, camp.ID)
		if diff := cmp.Diff(before, after, cmp.AllowUnexported(respectTally{})); diff != "" {
			t.Errorf("the figures changed across the migration (-before +after):\n%s", diff)
		}
	})
}
