package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/candor/candor/campaigns/segment"
	"github.com/candor/candor/models"
	"github.com/candor/candor/secrets"
	"github.com/candor/candor/store"
)

// buildCandor builds the candor binary once into a temporary directory.
func buildCandor(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "candor")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// procs runs `candor worker` processes and kills them for real.
type procs struct {
	t    testing.TB
	bin  string
	env  []string
	dir  string
	mu   sync.Mutex
	cmds map[int]*exec.Cmd
	runs int
}

// start starts (or restarts) worker slot i; its log goes to the test's
// temporary directory.
func (p *procs) start(i int) {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.runs++
	log, err := os.Create(filepath.Join(p.dir, fmt.Sprintf("worker-%d-%d.log", i, p.runs)))
	if err != nil {
		p.t.Fatal(err)
	}
	cmd := exec.Command(p.bin, "worker")
	// Each worker serves its health on a port of its own.
	cmd.Env, cmd.Stdout, cmd.Stderr = append(append([]string{}, p.env...), "CANDOR_WORKER_ADDR=127.0.0.1:0"), log, log
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("start worker: %v", err)
	}
	go func() { _ = cmd.Wait(); log.Close() }()
	p.cmds[i] = cmd
}

// kill sends SIGKILL to worker slot i: no shutdown, sends cut off.
func (p *procs) kill(i int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c := p.cmds[i]; c != nil {
		_ = c.Process.Signal(syscall.SIGKILL)
	}
}

// stopAll stops every worker (SIGKILL: the test is over).
func (p *procs) stopAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.cmds {
		_ = c.Process.Signal(syscall.SIGKILL)
	}
}

// tail returns the last lines of every worker log, for a failure message.
func (p *procs) tail() string {
	files, _ := filepath.Glob(filepath.Join(p.dir, "worker-*.log"))
	var b strings.Builder
	for _, f := range files {
		data, _ := os.ReadFile(f)
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		fmt.Fprintf(&b, "== %s\n%s\n", filepath.Base(f), strings.Join(lines[max(0, len(lines)-5):], "\n"))
	}
	return b.String()
}

// openChaosStore opens the test's database in-process with the workers'
// secret, so fingerprints and links agree.
func openChaosStore(t testing.TB, dbURL, secret string) *store.Store {
	t.Helper()
	keys, err := secrets.New(secret, "")
	if err != nil {
		t.Fatal(err)
	}
	s, err := store.Open(context.Background(), store.Options{DatabaseURL: dbURL, Keys: keys, Rules: segment.Language{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.InstallFingerprintKey(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// chaosCustomers creates n opted-in customers, half preferring email and
// half the webhook channel, with a window open all day, concurrently.
func chaosCustomers(t *testing.T, s *store.Store, n int) {
	t.Helper()
	ctx := context.Background()
	all := []models.Window{{Days: []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}, Start: "00:00", End: "24:00"}}
	zones := []string{"Europe/London", "Asia/Kathmandu", "America/Santiago", "Australia/Lord_Howe"}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 8)
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			ext, ch := fmt.Sprintf("chaos-%04d", i), models.ChannelEmail
			if i%2 == 1 {
				ch = models.ChannelWebhook
			}
			in := &models.CustomerInput{ExternalID: ext, Email: ext + "@example.com", Name: "C " + ext, Locale: "en",
				Timezone: zones[i%len(zones)], PreferredChannel: ch, PreferredWindows: all,
				Attributes: map[string]any{"group": "chaos"}}
			if _, _, err := s.PutCustomer(ctx, in); err != nil {
				errs <- err
				return
			}
			cin := &models.ConsentInput{Status: models.ConsentOptedIn, Source: models.SourceAPI,
				Evidence: models.Evidence{Text: "Send me guides", FormVersion: "v1", IP: "203.0.113.7", UserAgent: "test"}}
			if _, _, err := s.SetConsent(ctx, ext, "technology-alternatives", cin); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		t.Fatalf("create customers: %v", err)
	}
}

// chaosCampaign creates approved content, a segment and a campaign open
// from now, and launches it.
func chaosCampaign(t *testing.T, s *store.Store, planner models.Planner) *models.Campaign {
	t.Helper()
	ctx := context.Background()
	editor, _, err := s.CreateAPIKey(ctx, &models.APIKeyInput{Name: "editor", Role: models.RoleEditor, OwnerName: "editor", OwnerEmail: "editor@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	admin, _, err := s.CreateAPIKey(ctx, &models.APIKeyInput{Name: "admin", Role: models.RoleAdmin, OwnerName: "admin", OwnerEmail: "admin@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	expires := time.Now().Add(365 * 24 * time.Hour).UTC()
	c, err := s.CreateContent(ctx, &models.ContentInput{Kind: models.KindEducation, Topic: "technology-alternatives",
		Title: "Chaos guide", Summary: "How and why.", DefaultLocale: "en", AsOf: "2025-03-01", ExpiresAt: &expires,
		Sources: []models.Source{{Title: "Docs", URL: "https://example.org/docs"}},
		Variants: []models.Variant{{Locale: "en", Channel: models.ChannelEmail, Subject: "Guide", Text: "Hello {{.Customer.Name}}."},
			{Locale: "en", Channel: models.ChannelWebhook, Title: "Guide", Text: "Hello {{.Customer.Name}}."}}}, editor.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SubmitContent(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApproveContent(ctx, c.ID, &models.Approval{ApprovedBy: admin.ID}, func(*models.Content) []models.Finding { return nil }); err != nil {
		t.Fatal(err)
	}
	seg, err := s.CreateSegment(ctx, &models.SegmentInput{Name: "chaos", Rule: json.RawMessage(`{"field":"attributes.group","op":"eq","value":"chaos"}`)})
	if err != nil {
		t.Fatal(err)
	}
	now, spread := time.Now().UTC().Truncate(time.Microsecond), false
	camp, err := s.CreateCampaign(ctx, &models.CampaignInput{Name: "chaos", ContentID: c.ID, SegmentID: &seg.ID, Spread: &spread,
		Window: models.CampaignWindow{NotBefore: now, NotAfter: now.Add(48 * time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	if camp, err = s.LaunchCampaign(ctx, camp.ID, planner); err != nil {
		t.Fatal(err)
	}
	return camp
}
