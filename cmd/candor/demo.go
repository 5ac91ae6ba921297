package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/campaigns/content"
	"github.com/candor/candor/campaigns/delivery"
	"github.com/candor/candor/configs"
	"github.com/candor/candor/demo"
	"github.com/candor/candor/models"
	"github.com/candor/candor/worker"
)

// demoKeyFile keeps the demo's admin key in the data directory (0600,
// like secret.key), so a second `candor run --demo` can show it again:
// API keys are otherwise shown once and only their hash is stored.
const demoKeyFile = "demo-admin.key"

// checkDemo refuses --demo outside embedded mode, before anything is
// opened: demo customers and a launched campaign have no place in a real
// database (and with no channel settings nothing would arrive).
func checkDemo(getenv func(string) string) error {
	cfg, err := loadConfig(getenv, configs.ModeEmbedded)
	if err != nil {
		return err
	}
	if !cfg.Embedded() {
		return &configError{lines: []string{"--demo runs only in embedded mode: unset CANDOR_DATABASE_URL and CANDOR_REDIS_URL " +
			"(it would add demo customers and a launched campaign to that database)"}}
	}
	return nil
}

// runDemo prepares the demo world (or finds it) and prints to out where to
// look. The key goes to out (stdout), never to the log.
func (a *app) runDemo(ctx context.Context, out io.Writer) error {
	svc := campaigns.NewService(a.store, campaigns.NewPlanner(planSettings(a.cfg)))
	res, err := demo.Prepare(ctx, demo.Options{Store: a.store, Launch: svc.LaunchCampaign, Now: time.Now(),
		Check: func(c *models.Content) []models.Finding {
			return content.CheckContent(&c.ContentInput, content.CheckOptions{Now: time.Now(), PublicURL: a.linkBase()})
		}})
	if err != nil {
		return fmt.Errorf("prepare the demo: %w", err)
	}
	keyPath := filepath.Join(a.cfg.DataDir, demoKeyFile)
	key := res.ReviewerKey
	if key != "" {
		if err := os.WriteFile(keyPath, []byte(key+"\n"), 0o600); err != nil {
			return fmt.Errorf("keep the demo key: %w", err)
		}
	} else if b, err := os.ReadFile(keyPath); err == nil {
		key = strings.TrimSpace(string(b))
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("read the demo key: %w", err)
	}
	a.log.Info("demo ready", "created", res.Created, "campaign_id", res.Campaign.ID, "planned", res.Campaign.Planned)
	printDemo(out, a.linkBase(), keyPath, key, res, worker.CustomerLinks(a.keys, a.linkBase()))
	return nil
}

// printDemo tells a newcomer what the demo made and where to look.
func printDemo(out io.Writer, base, keyPath, key string, res *demo.Result, links delivery.Links) {
	base = strings.TrimRight(base, "/")
	c := res.Campaign
	state := "ready (made just now)"
	if !res.Created {
		state = "ready (found from an earlier run: nothing was added)"
	}
	w := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }
	w("")
	w("Candor demo %s", state)
	w("  campaign %d %q: %s, %d deliveries planned, excluded %v", c.ID, c.Name, c.State, c.Planned, c.Excluded)
	w("  Half of the customers have a window open now: their messages arrive in the outbox within a minute or two;")
	w("  the others wait for weekday mornings in their own time zone.")
	w("")
	if key != "" {
		w("  export KEY=$(cat %s)   # admin key of %q", keyPath, "Demo Reviewer")
	} else {
		w("  The demo's admin key is gone from %s: create one with `candor apikey create --role admin ...`.", keyPath)
	}
	w(`  H="Authorization: Bearer $KEY"`)
	w("  curl -s -H \"$H\" '%s/v1/outbox?campaign_id=%d'          # the messages as the channels would carry them", base, c.ID)
	w("  curl -s -H \"$H\" %s/v1/campaigns/%d/deliveries         # every delivery and its status", base, c.ID)
	w("  curl -s -H \"$H\" %s/v1/campaigns/%d/explain/%s   # why %s gets nothing", base, c.ID, res.Excluded, res.Excluded)
	w("  curl -s -H \"$H\" %s/v1/campaigns/%d/report             # the trust report: funnel, respect, reactions", base, c.ID)
	_, prefs := links(res.SampleCustomer)
	w("  %s", prefs)
	w("      ^ %s's preference center", res.Sample)
	w("  %s/docs                                                # the whole API", base)
	w("")
}
