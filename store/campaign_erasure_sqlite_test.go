package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/models"
	"github.com/candor/candor/store"
)

// onSQLite runs fn as the SQLite subtest, or skips when SQLite is not a
// configured backend.
func onSQLite(t *testing.T, fn func(t *testing.T)) {
	t.Helper()
	if !slices.Contains(testenv.Backends(), testenv.SQLite) {
		t.Skip("SQLite is not among the configured backends")
	}
	t.Run(testenv.SQLite, fn)
}

// fourCustomers creates early, staying, late and last (in id order, so
// planning decides them in that order) and a draft campaign to them.
func fourCustomers(f *campaignFixture) (map[string]*models.Customer, *models.Campaign) {
	cs := map[string]*models.Customer{}
	for _, ext := range []string{"early", "staying", "late", "last"} {
		cs[ext] = f.customer(ext, "main", true, nil)
	}
	return cs, f.campaign(f.approved(contentInput()), f.segment(""))
}

// rowsOf counts what is stored for campaign id, whatever the API shows.
func rowsOf(t *testing.T, s *store.Store, id int64) (deliveries, exclusions int64) {
	t.Helper()
	if err := s.DB().Raw("SELECT COUNT(*) FROM deliveries WHERE campaign_id = ?", id).Scan(&deliveries).Error; err != nil {
		t.Fatal(err)
	}
	if err := s.DB().Raw("SELECT COUNT(*) FROM campaign_exclusions WHERE campaign_id = ?", id).Scan(&exclusions).Error; err != nil {
		t.Fatal(err)
	}
	return deliveries, exclusions
}

// wantNotLaunched checks that campaign id, whose launch wrote rows that
// are stored, is seen by nobody as launched: it is a draft, the
// dispatcher hands on nothing, and no list, export or lookup of the API
// shows a delivery of it.
func wantNotLaunched(t *testing.T, s *store.Store, now time.Time, id int64, customer string) {
	t.Helper()
	ctx := context.Background()
	var ids []int64
	if err := s.DB().Raw("SELECT id FROM deliveries WHERE campaign_id = ?", id).Scan(&ids).Error; err != nil {
		t.Fatal(err)
	}
	if len(ids) == 0 {
		t.Fatal("the launch stored no delivery: nothing to hide, the test proves nothing")
	}
	c, err := s.Campaign(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if c.State != models.CampaignDraft || c.LaunchedAt != nil || c.Planned != 0 {
		t.Errorf("campaign is %s, launched at %v, planned %d; want an untouched draft", c.State, c.LaunchedAt, c.Planned)
	}
	due, err := s.DueDeliveries(ctx, models.DueCursor{}, now.Add(7*24*time.Hour), 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 0 {
		t.Errorf("the dispatcher would hand on %v", due)
	}
	page := models.Page{Limit: models.MaxPageLimit}
	lists := map[string]func() ([]*models.Delivery, error){
		"campaign deliveries": func() ([]*models.Delivery, error) {
			ds, _, err := s.CampaignDeliveries(ctx, id, page)
			return ds, err
		},
		"customer deliveries": func() ([]*models.Delivery, error) {
			ds, _, err := s.CustomerDeliveries(ctx, customer, page)
			return ds, err
		},
		"all deliveries": func() ([]*models.Delivery, error) {
			ds, _, err := s.Deliveries(ctx, page)
			return ds, err
		},
		"customer export": func() ([]*models.Delivery, error) {
			x, err := s.CustomerExport(ctx, customer)
			if err != nil {
				return nil, err
			}
			return x.Deliveries, nil
		},
	}
	for name, list := range lists {
		ds, err := list()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(ds) != 0 {
			t.Errorf("%s shows %d deliveries of a campaign not launched", name, len(ds))
		}
	}
	if _, err := s.Delivery(ctx, ids[0]); models.ErrorCode(err) != models.ENOTFOUND {
		t.Errorf("delivery %d of a campaign not launched: err %v, want ENOTFOUND", ids[0], err)
	}
	report, err := s.CampaignReportFacts(ctx, id, func(*models.SentGroup) error { return nil }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(report.Statuses) != 0 || len(report.Excluded) != 0 {
		t.Errorf("the campaign report counts %v and %v of a campaign not launched", report.Statuses, report.Excluded)
	}
}

// TestOnSQLiteErasuresCommitWhileALaunchWrites is the SQLite half of
// "erasure never waits for a launch" (issue 15; PostgreSQL:
// TestErasureDoesNotWaitForALaunch, which runs on both). The launch
// writes one row per transaction and is held while it decides "late",
// after it wrote "early" and "staying". Two erasures must commit
// meanwhile (before, SQLite's one writer was the launch's until its
// commit, and they waited for it or gave up with EUNAVAILABLE): "early",
// whose delivery is already written, and "late", whose facts the launch
// has already read. Until it ends nobody sees the launch, and at its end
// neither erased customer has a planned delivery, and both count as
// erased.
func TestOnSQLiteErasuresCommitWhileALaunchWrites(t *testing.T) {
	onSQLite(t, func(t *testing.T) {
		ctx := context.Background()
		f := newCampaignFixture(t, testenv.SQLite)
		f.s.SetLaunchWriteBatch(1)
		cs, camp := fourCustomers(f)
		pp := pausingPlanner{Planner: campaigns.NewPlanner(settings), at: cs["late"].ID,
			reached: make(chan struct{}), resume: make(chan struct{})}
		type result struct {
			c   *models.Campaign
			err error
		}
		launched := make(chan result, 1)
		go func() {
			c, err := f.s.LaunchCampaign(ctx, camp.ID, pp)
			launched <- result{c, err}
		}()
		<-pp.reached
		if d, _ := rowsOf(t, f.s, camp.ID); d != 2 {
			t.Fatalf("the held launch stored %d deliveries, want early's and staying's", d)
		}
		wantNotLaunched(t, f.s, f.clk.Now(), camp.ID, "staying")
		for _, ext := range []string{"early", "late"} {
			if err := f.s.EraseCustomer(ctx, ext); err != nil {
				close(pp.resume)
				t.Fatalf("erasing %s while a launch plans: %v", ext, err)
			}
		}
		close(pp.resume)
		r := <-launched
		if r.err != nil {
			t.Fatal(r.err)
		}
		if r.c.State != models.CampaignScheduled || r.c.Planned != 2 || r.c.Excluded[models.ReasonErased] != 2 {
			t.Errorf("launch = %s, planned %d, excluded %v; want scheduled, 2 planned, 2 erased", r.c.State, r.c.Planned, r.c.Excluded)
		}
		wantDeliveries(t, f.s, camp.ID, map[int64]string{cs["early"].ID: "skipped/erased", cs["staying"].ID: "planned",
			cs["late"].ID: "skipped/erased", cs["last"].ID: "planned"})
		entries, _, err := f.s.AuditEntries(ctx, models.AuditFilter{}, models.Page{Limit: models.MaxPageLimit})
		if err != nil {
			t.Fatal(err)
		}
		// Audit ids grow in commit order on SQLite's one writer: both
		// erasures committed before the launch did.
		var launchedAt int64
		var erasedAt []int64
		for _, e := range entries {
			switch e.Action {
			case models.AuditCampaignLaunched:
				launchedAt = e.ID
			case models.AuditCustomerErased:
				erasedAt = append(erasedAt, e.ID)
			}
		}
		if len(erasedAt) != 2 || launchedAt == 0 || slices.Max(erasedAt) > launchedAt {
			t.Errorf("audit ids: erasures %v, launch %d; want two erasures committed before the launch", erasedAt, launchedAt)
		}
		// The launch's event feeds candor_deliveries_planned_total: the two
		// erased customers' deliveries, written and then skipped, are not
		// counted as planned.
		if got := plannedByChannel(t, f.s, camp.ID); sumOf(got) != 2 {
			t.Errorf("planned_by_channel of the launch event = %v, want 2 in all (the erased ones taken out)", got)
		}
	})
}

// plannedByChannel reads planned_by_channel of the campaign's move to
// scheduled from the events table.
func plannedByChannel(t *testing.T, s *store.Store, id int64) map[string]int64 {
	t.Helper()
	events, err := s.Events(context.Background(), 0, models.MaxPageLimit)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		var d struct {
			Campaign int64            `json:"campaign_id"`
			To       string           `json:"to"`
			Planned  map[string]int64 `json:"planned_by_channel"`
		}
		if e.Type == models.EventCampaignState && json.Unmarshal(e.Data, &d) == nil &&
			d.Campaign == id && d.To == string(models.CampaignScheduled) {
			return d.Planned
		}
	}
	t.Fatalf("no campaign.state_changed event to scheduled for campaign %d", id)
	return nil
}

func sumOf(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// failingPlanner is the real planner, except that deciding about the
// customer at runs fail first.
type failingPlanner struct {
	models.Planner
	at   int64
	fail func() error
}

func (p failingPlanner) Plan(t models.PlanTarget) models.CampaignPlan {
	return failingPlan{CampaignPlan: p.Planner.Plan(t), p: p}
}

type failingPlan struct {
	models.CampaignPlan
	p failingPlanner
}

func (p failingPlan) Decide(ctx context.Context, f *models.PlanFacts) (models.PlanDecision, error) {
	if f.Customer.ID == p.p.at {
		if err := p.p.fail(); err != nil {
			return models.PlanDecision{}, err
		}
	}
	return p.CampaignPlan.Decide(ctx, f)
}

// TestOnSQLiteALaunchThatFailsMidWriteLeavesNothing: a SQLite launch that
// fails after some of its short transactions committed (here its planner
// fails on the third customer) removes what it wrote, and a retry
// launches the campaign whole.
func TestOnSQLiteALaunchThatFailsMidWriteLeavesNothing(t *testing.T) {
	onSQLite(t, func(t *testing.T) {
		ctx := context.Background()
		f := newCampaignFixture(t, testenv.SQLite)
		f.s.SetLaunchWriteBatch(1)
		cs, camp := fourCustomers(f)
		var written int64
		broken := errors.New("the planner broke")
		fp := failingPlanner{Planner: campaigns.NewPlanner(settings), at: cs["late"].ID, fail: func() error {
			written, _ = rowsOf(t, f.s, camp.ID)
			return broken
		}}
		if _, err := f.s.LaunchCampaign(ctx, camp.ID, fp); !errors.Is(err, broken) {
			t.Fatalf("launch with a failing planner: %v, want its error", err)
		}
		if written != 2 {
			t.Fatalf("the launch had written %d deliveries when it failed, want 2", written)
		}
		if d, x := rowsOf(t, f.s, camp.ID); d != 0 || x != 0 {
			t.Errorf("the failed launch left %d deliveries and %d exclusions", d, x)
		}
		wantRelaunch(t, f.s, f.clk.Now(), camp.ID)
	})
}

// TestOnSQLiteALaunchWhoseProcessDiesMidWriteLeavesNothingToSend: the
// process dies (its database closes under it) after the launch wrote two
// deliveries in transactions of their own, so it cannot clean up. After
// a restart the dispatcher hands none of them on and the API shows none.
// The next launch, here of another campaign of the same content, removes
// them before it plans (they would hold those customers' content dedup),
// and launching the first campaign again launches it whole.
func TestOnSQLiteALaunchWhoseProcessDiesMidWriteLeavesNothingToSend(t *testing.T) {
	onSQLite(t, func(t *testing.T) {
		ctx := context.Background()
		f, open := sharedFileFixture(t)
		s := f.s
		s.SetLaunchWriteBatch(1)
		cs, camp := fourCustomers(f)
		fp := failingPlanner{Planner: campaigns.NewPlanner(settings), at: cs["late"].ID, fail: func() error {
			s.Close() // the process dies: nothing it does from here reaches the database
			return nil
		}}
		if _, err := s.LaunchCampaign(ctx, camp.ID, fp); err == nil {
			t.Fatal("a launch whose database closed under it succeeded")
		}
		restarted := open()
		if d, _ := rowsOf(t, restarted, camp.ID); d != 2 {
			t.Fatalf("the dead launch left %d deliveries, want the 2 it wrote", d)
		}
		wantNotLaunched(t, restarted, f.clk.Now(), camp.ID, "staying")
		f.s = restarted
		same := f.campaign(camp.ContentID, *camp.SegmentID)
		wantRelaunch(t, restarted, f.clk.Now(), same.ID)
		if d, x := rowsOf(t, restarted, camp.ID); d != 0 || x != 0 {
			t.Errorf("the dead launch's %d deliveries and %d exclusions are still stored", d, x)
		}
		c, err := restarted.LaunchCampaign(ctx, camp.ID, campaigns.NewPlanner(settings))
		if err != nil {
			t.Fatalf("launching the first campaign again: %v", err)
		}
		if c.State != models.CampaignCompleted || c.Excluded[models.ReasonAlreadyReceived] != 4 {
			t.Errorf("launched again: %s, excluded %v; want completed, all 4 already received", c.State, c.Excluded)
		}
	})
}

// wantRelaunch launches campaign id again and checks that it is launched
// whole, once: four deliveries stored, four handed on.
func wantRelaunch(t *testing.T, s *store.Store, now time.Time, id int64) {
	t.Helper()
	ctx := context.Background()
	c, err := s.LaunchCampaign(ctx, id, campaigns.NewPlanner(settings))
	if err != nil {
		t.Fatalf("launching again: %v", err)
	}
	if c.State != models.CampaignScheduled || c.Planned != 4 {
		t.Errorf("launched again: %s with %d planned, want scheduled with 4", c.State, c.Planned)
	}
	if d, x := rowsOf(t, s, id); d != 4 || x != 0 {
		t.Errorf("after launching again: %d deliveries and %d exclusions stored, want 4 and 0", d, x)
	}
	due, err := s.DueDeliveries(ctx, models.DueCursor{}, now.Add(7*24*time.Hour), 1000)
	if err != nil {
		t.Fatal(err)
	}
	if handed := len(due); handed != 4 {
		t.Errorf("the dispatcher handed on %d deliveries, want 4", handed)
	}
}

// TestOnSQLiteACampaignChangedDuringItsLaunchGetsNoRows: a SQLite launch
// does not hold the writer, so the draft can be edited, cancelled or
// deleted while it plans. The launch then ends with nothing planned
// (ECONFLICT, or ENOTFOUND for a deleted campaign) and no row of it is
// left, instead of launching a campaign that is no longer the one asked.
func TestOnSQLiteACampaignChangedDuringItsLaunchGetsNoRows(t *testing.T) {
	tests := []struct {
		name   string
		change func(f *campaignFixture, c *models.Campaign) error
		code   string
	}{
		{"an edited window", func(f *campaignFixture, c *models.Campaign) error {
			spread := c.Spread
			_, err := f.s.UpdateCampaign(context.Background(), c.ID, &models.CampaignInput{Name: c.Name, ContentID: c.ContentID,
				SegmentID: c.SegmentID, Window: models.CampaignWindow{NotBefore: c.Window.NotBefore, NotAfter: c.Window.NotAfter.Add(time.Hour)},
				Spread: &spread})
			return err
		}, models.ECONFLICT},
		{"a cancellation", func(f *campaignFixture, c *models.Campaign) error {
			_, err := f.s.CancelCampaign(context.Background(), c.ID)
			return err
		}, models.ECONFLICT},
		{"a deletion", func(f *campaignFixture, c *models.Campaign) error {
			return f.s.DeleteCampaign(context.Background(), c.ID)
		}, models.ENOTFOUND},
	}
	onSQLite(t, func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				f := newCampaignFixture(t, testenv.SQLite)
				f.s.SetLaunchWriteBatch(1)
				cs, camp := fourCustomers(f)
				pp := pausingPlanner{Planner: campaigns.NewPlanner(settings), at: cs["late"].ID,
					reached: make(chan struct{}), resume: make(chan struct{})}
				launched := make(chan error, 1)
				go func() {
					_, err := f.s.LaunchCampaign(context.Background(), camp.ID, pp)
					launched <- err
				}()
				<-pp.reached
				err := tt.change(f, camp)
				close(pp.resume)
				if err != nil {
					t.Fatalf("%s during the launch: %v", tt.name, err)
				}
				wantCode(t, <-launched, tt.code)
				if d, x := rowsOf(t, f.s, camp.ID); d != 0 || x != 0 {
					t.Errorf("%d deliveries and %d exclusions stored for the campaign", d, x)
				}
			})
		}
	})
}

// TestOnSQLiteLaunchesFromTwoProcessesPlanOneAtATime: a SQLite launch no
// longer holds the writer while it plans, so the planning lock is a file
// lock that holds across processes (here two stores on one file). While
// the first launch is held mid-plan, the second cannot start planning
// (its request gives up waiting); once the first is done, the second
// plans after it and sees its deliveries: every customer allows one
// message a day, so it plans nobody.
func TestOnSQLiteLaunchesFromTwoProcessesPlanOneAtATime(t *testing.T) {
	onSQLite(t, func(t *testing.T) {
		ctx := context.Background()
		f, open := sharedFileFixture(t)
		s := f.s
		var held *models.Customer
		for _, ext := range []string{"a", "b", "c"} {
			held = f.customer(ext, "main", true, func(in *models.CustomerInput) { in.Cadence = &models.Cadence{Max: 1, Per: "24h"} })
		}
		seg := f.segment("")
		first, second := f.campaign(f.approved(contentInput()), seg), f.campaign(f.approved(contentInput()), seg)
		other := open()
		pp := pausingPlanner{Planner: campaigns.NewPlanner(settings), at: held.ID,
			reached: make(chan struct{}), resume: make(chan struct{})}
		launched := make(chan error, 1)
		go func() {
			_, err := s.LaunchCampaign(ctx, first.ID, pp)
			launched <- err
		}()
		<-pp.reached
		waiting, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		_, err := other.LaunchCampaign(waiting, second.ID, campaigns.NewPlanner(settings))
		cancel()
		close(pp.resume)
		if err == nil {
			t.Error("the second process launched while the first one was planning")
		}
		if err := <-launched; err != nil {
			t.Fatal(err)
		}
		c, err := other.LaunchCampaign(ctx, second.ID, campaigns.NewPlanner(settings))
		if err != nil {
			t.Fatal(err)
		}
		if c.Planned != 0 {
			t.Errorf("second launch planned %d (excluded %v); want nobody: the first one's deliveries fill every cadence", c.Planned, c.Excluded)
		}
	})
}

// TestAnErasureThatCannotGetTheWriterIsUnavailable: on SQLite an erasure
// waits for the writer (a launch, another process) only as long as the
// busy timeout allows, a few attempts; then it is a 503 with Retry-After
// (EUNAVAILABLE) that applied nothing, not an internal error, and the
// retry the client makes once the writer is free goes through. Before,
// SQLite's "database is locked" reached the client as a 500.
func TestAnErasureThatCannotGetTheWriterIsUnavailable(t *testing.T) {
	onSQLite(t, func(t *testing.T) {
		ctx := context.Background()
		path := testenv.SQLitePath(t)
		s := mustOpenOptions(t, testenv.SQLite, func(o *store.Options) { o.SQLitePath = path; o.MaxConns = 1 })
		mustPutCustomer(t, s, customerInput("leaving"))
		writer := mustOpenOptions(t, testenv.SQLite, func(o *store.Options) { o.SQLitePath = path })
		hold := writer.DB().Begin() // BEGIN IMMEDIATE: takes the writer
		if hold.Error != nil {
			t.Fatal(hold.Error)
		}
		defer hold.Rollback()
		// The pool's one connection waits 20 ms for the writer instead of
		// the configured 10 s, so the test does not wait for minutes.
		if err := s.DB().Exec("PRAGMA busy_timeout = 20").Error; err != nil {
			t.Fatal(err)
		}
		wantCode(t, s.EraseCustomer(ctx, "leaving"), models.EUNAVAILABLE)
		if _, err := s.Customer(ctx, "leaving"); err != nil {
			t.Fatalf("the refused erasure changed the customer: %v", err)
		}
		if err := hold.Rollback().Error; err != nil {
			t.Fatal(err)
		}
		if err := s.EraseCustomer(ctx, "leaving"); err != nil {
			t.Fatalf("the retry once the writer is free: %v", err)
		}
	})
}

// sharedFileFixture is a campaign fixture on a SQLite file that open opens
// again, as a second process (or the same one after a restart) would.
func sharedFileFixture(t *testing.T) (f *campaignFixture, open func() *store.Store) {
	t.Helper()
	path, clk := testenv.SQLitePath(t), newClock()
	open = func() *store.Store {
		return mustOpenOptions(t, testenv.SQLite, func(o *store.Options) { o.SQLitePath, o.Now = path, clk.Now })
	}
	s := open()
	return &campaignFixture{t: t, s: s, clk: clk, editor: mustKey(t, s, "editor", models.RoleEditor),
		admin: mustKey(t, s, "admin", models.RoleAdmin)}, open
}
