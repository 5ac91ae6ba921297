package configs_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/candor/candor/configs"
	"github.com/candor/candor/models"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/time/rate"
)

// envFrom returns a getenv that reads m, as os.Getenv reads the process.
func envFrom(m map[string]string) func(string) string {
	return func(name string) string { return m[name] }
}

// writeFile writes content to a fresh file and returns its path.
func writeFile(tb testing.TB, name, content string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// rules returns the "VAR rule" pairs of a *configs.Error, for compact diffs.
func rules(tb testing.TB, err error) []string {
	tb.Helper()
	if err == nil {
		return nil
	}
	var cerr *configs.Error
	if !errors.As(err, &cerr) {
		tb.Fatalf("error is %T, want *configs.Error: %v", err, err)
	}
	var out []string
	for _, p := range cerr.Problems {
		out = append(out, p.Var+" "+p.Rule)
	}
	return out
}

func TestDefaults(t *testing.T) {
	// Spelled out rather than taken from Defaults(), so changing a default
	// is a visible decision in this test and in the README table.
	want := &configs.Config{
		HTTPAddr:            ":8080",
		DataDir:             "./data",
		SMTP:                configs.SMTP{Port: 587, TLS: "starttls"},
		EmailRate:           "50/s",
		SMSRate:             "10/s",
		WebhookRate:         "50/s",
		WebhookDisableAfter: 8,
		WorkerConcurrency:   20,
		WorkerLease:         5 * time.Minute,
		WorkerAddr:          ":8081",
		DoubleOptInExpiry:   7 * 24 * time.Hour,
		MaxBodyBytes:        1048576,
		APIRateLimit:        "20/s",
		PageRateLimit:       "30/m",
		PageClientLimit:     "300/m",
		ShutdownTimeout:     20 * time.Second,
		StatementTimeout:    time.Minute,
		PreviewTimeout:      15 * time.Second,
		DBMaxConns:          20,
		DBConnMaxLifetime:   30 * time.Minute,
		LogLevel:            "info",
	}
	got, err := configs.Load(envFrom(nil))
	if err != nil {
		t.Fatalf("Load with an empty environment: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
	if !got.Embedded() {
		t.Error("the defaults are not embedded mode")
	}
	if err := got.Validate(configs.ModeEmbedded); err != nil {
		t.Errorf("the defaults are invalid for candor run:\n%v", err)
	}
}

func TestParseRate(t *testing.T) {
	tests := []struct {
		name    string
		spec    string
		want    rate.Limit
		wantErr bool
	}{
		{"a per-second rate is taken as is", "50/s", 50, false},
		{"a per-minute rate is divided by sixty", "30/m", 0.5, false},
		{"the largest count is accepted", "1000000/s", 1e6, false},
		{"a zero count is rejected", "0/s", 0, true},
		{"a negative count is rejected", "-5/s", 0, true},
		{"a count above the limit is rejected", "1000001/s", 0, true},
		{"a fractional count is rejected", "1.5/s", 0, true},
		{"an hourly unit is rejected", "50/h", 0, true},
		{"a missing unit is rejected", "50", 0, true},
		{"an empty rate is rejected", "", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := configs.ParseRate(tt.spec)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseRate(%q) error = %v, want error %v", tt.spec, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("ParseRate(%q) = %v, want %v", tt.spec, got, tt.want)
			}
		})
	}
}

func TestRate(t *testing.T) {
	c := configs.Defaults()
	c.EmailRate, c.SMSRate, c.WebhookRate = "120/m", "3/s", "bad"
	tests := []struct {
		name string
		ch   models.Channel
		want rate.Limit
	}{
		{"email uses CANDOR_EMAIL_RATE", models.ChannelEmail, 2},
		{"sms uses CANDOR_SMS_RATE", models.ChannelSMS, 3},
		{"an invalid rate gives zero", models.ChannelWebhook, 0},
		{"an unknown channel gives zero", models.Channel("fax"), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.Rate(tt.ch); got != tt.want {
				t.Errorf("Rate(%q) = %v, want %v", tt.ch, got, tt.want)
			}
		})
	}
}

func TestChannelConfigured(t *testing.T) {
	tests := []struct {
		name   string
		modify func(c *configs.Config)
		want   map[models.Channel]bool
	}{
		{"no channel is configured by default", func(c *configs.Config) {},
			map[models.Channel]bool{models.ChannelEmail: false, models.ChannelSMS: false, models.ChannelWebhook: false}},
		{"an SMTP host configures email only", func(c *configs.Config) { c.SMTP.Host = "smtp.example.com" },
			map[models.Channel]bool{models.ChannelEmail: true, models.ChannelSMS: false, models.ChannelWebhook: false}},
		{"an SMS URL configures sms only", func(c *configs.Config) { c.SMS.URL = "https://sms.example.com" },
			map[models.Channel]bool{models.ChannelEmail: false, models.ChannelSMS: true, models.ChannelWebhook: false}},
		{"a webhook channel URL configures webhook only", func(c *configs.Config) { c.WebhookChannelURL = "https://crm.example.com/hook" },
			map[models.Channel]bool{models.ChannelEmail: false, models.ChannelSMS: false, models.ChannelWebhook: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := configs.Defaults()
			tt.modify(c)
			got := map[models.Channel]bool{}
			for _, ch := range models.Channels {
				got[ch] = c.ChannelConfigured(ch)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ChannelConfigured (-want +got):\n%s", diff)
			}
		})
	}
}

func TestChannelSettingsNamedByTheRegistry(t *testing.T) {
	vars := map[string]bool{}
	for _, v := range configs.Vars() {
		vars[v.Name] = true
	}
	for _, spec := range models.ChannelSpecs() {
		t.Run("the "+string(spec.Name)+" channel's transport and rate are settings Candor reads", func(t *testing.T) {
			for _, name := range []string{spec.Settings.Transport, spec.Settings.Rate} {
				if !vars[name] {
					t.Errorf("%s is not a configuration variable", name)
				}
			}
			c, err := configs.Load(envFrom(map[string]string{
				spec.Settings.Transport: "https://transport.example.com", spec.Settings.Rate: "7/s"}))
			if err != nil {
				t.Fatal(err)
			}
			if !c.ChannelConfigured(spec.Name) {
				t.Errorf("setting %s does not configure %s", spec.Settings.Transport, spec.Name)
			}
			if got := c.Rate(spec.Name); got != 7 {
				t.Errorf("Rate(%q) = %v after %s=7/s, want 7", spec.Name, got, spec.Settings.Rate)
			}
		})
	}
}

func TestParsedAudienceDefaults(t *testing.T) {
	t.Run("unset defaults parse to nil", func(t *testing.T) {
		c := configs.Defaults()
		if ws := c.ParsedDefaultWindows(); ws != nil {
			t.Errorf("ParsedDefaultWindows() = %v, want nil", ws)
		}
		if cad := c.ParsedMaxMessages(); cad != nil {
			t.Errorf("ParsedMaxMessages() = %v, want nil", cad)
		}
	})
	t.Run("set defaults parse to domain values", func(t *testing.T) {
		c := configs.Defaults()
		c.DefaultWindows = "mon-wed 09:00-12:00; sat 10:00-24:00"
		c.MaxMessagesPerCustomer = "4/30d"
		wantWindows := []models.Window{
			{Days: []string{"mon", "tue", "wed"}, Start: "09:00", End: "12:00"},
			{Days: []string{"sat"}, Start: "10:00", End: "24:00"},
		}
		if diff := cmp.Diff(wantWindows, c.ParsedDefaultWindows()); diff != "" {
			t.Errorf("ParsedDefaultWindows (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(&models.Cadence{Max: 4, Per: "30d"}, c.ParsedMaxMessages()); diff != "" {
			t.Errorf("ParsedMaxMessages (-want +got):\n%s", diff)
		}
	})
	t.Run("invalid defaults parse to nil", func(t *testing.T) {
		c := configs.Defaults()
		c.DefaultWindows, c.MaxMessagesPerCustomer = "someday 09:00-12:00", "4/forever"
		if ws := c.ParsedDefaultWindows(); ws != nil {
			t.Errorf("ParsedDefaultWindows() = %v, want nil", ws)
		}
		if cad := c.ParsedMaxMessages(); cad != nil {
			t.Errorf("ParsedMaxMessages() = %v, want nil", cad)
		}
	})
}

// sortStrings compares string slices as sets with order ignored, for
// problems whose order follows map iteration or field order.
var sortStrings = cmpopts.SortSlices(func(a, b string) bool { return a < b })

func TestLinkBaseFollowsTheListenAddressWhenNoPublicURLIsSet(t *testing.T) {
	tests := []struct {
		name, httpAddr, publicURL, want, source string
	}{
		{"a port alone gives localhost on that port", ":18180", "", "http://localhost:18180", "CANDOR_HTTP_ADDR"},
		{"a named host is kept", "127.0.0.1:9000", "", "http://127.0.0.1:9000", "CANDOR_HTTP_ADDR"},
		{"a wildcard host becomes localhost", "0.0.0.0:8080", "", "http://localhost:8080", "CANDOR_HTTP_ADDR"},
		{"an IPv6 wildcard becomes localhost", "[::]:8080", "", "http://localhost:8080", "CANDOR_HTTP_ADDR"},
		{"an IPv6 host keeps its brackets", "[::1]:8080", "", "http://[::1]:8080", "CANDOR_HTTP_ADDR"},
		{"a public URL wins over the listen address", ":18180", "https://candor.example.com", "https://candor.example.com", "CANDOR_PUBLIC_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := configs.Defaults()
			c.HTTPAddr, c.PublicURL = tt.httpAddr, tt.publicURL
			base, source := c.LinkBase()
			if base != tt.want || source != tt.source {
				t.Errorf("LinkBase() = %q, %q; want %q, %q", base, source, tt.want, tt.source)
			}
		})
	}
}
