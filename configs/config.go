// Package configs loads Candor's settings: built-in defaults, then an
// optional YAML file named by CANDOR_CONFIG, then CANDOR_* environment
// variables, each overriding the one before.
//
// Validate reports every bad setting at once, one line each, named by its
// environment variable, so an operator fixes a broken deployment in one
// round trip instead of one restart per mistake. Secrets never appear in
// error messages or in the config's log and string forms.
package configs

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/candor/candor/models"
	"github.com/candor/candor/secrets"
	"golang.org/x/time/rate"
)

// Config holds every setting. Each leaf field names its environment
// variable (env tag), its key in the YAML file (yaml tag) and a one-line
// description (desc tag), so Vars, the loaders and the redacting log form
// all read one list. A roles tag says which serving command alone reads
// the setting ("api" or "worker"; none: both), for their --help. A
// redact tag keeps a value out of logs: "value" hides it, "url" hides
// credentials and query, "origin" keeps scheme and host only.
type Config struct {
	HTTPAddr          string `env:"CANDOR_HTTP_ADDR" yaml:"http_addr" desc:"Address the HTTP server listens on."`
	DatabaseURL       string `env:"CANDOR_DATABASE_URL" yaml:"database_url" redact:"url" desc:"PostgreSQL URL (postgres://...). Empty, together with CANDOR_REDIS_URL: embedded SQLite under CANDOR_DATA_DIR."`
	RedisURL          string `env:"CANDOR_REDIS_URL" yaml:"redis_url" redact:"url" desc:"Redis URL (redis:// or rediss://). Empty, together with CANDOR_DATABASE_URL: in-process Redis."`
	DataDir           string `env:"CANDOR_DATA_DIR" yaml:"data_dir" desc:"Directory of the embedded database and of the generated secret key (embedded mode)."`
	SecretKey         string `env:"CANDOR_SECRET_KEY" yaml:"secret_key" redact:"value" desc:"At least 32 characters; signs customer links and keys address fingerprints. Required with PostgreSQL (not by candor migrate); generated in CANDOR_DATA_DIR if unset in embedded mode."`
	SecretKeyPrevious string `env:"CANDOR_SECRET_KEY_PREVIOUS" yaml:"secret_key_previous" redact:"value" desc:"The previous CANDOR_SECRET_KEY during a rotation: links signed with it still verify."`
	// SecretKeyPreviousUntil is a string, not a time.Time, so the README
	// table and the example file show "unset" rather than year 1.
	SecretKeyPreviousUntil string        `env:"CANDOR_SECRET_KEY_PREVIOUS_UNTIL" yaml:"secret_key_previous_until" desc:"End of a key rotation (RFC 3339 time, e.g. 2026-07-01T00:00:00Z): from then on links signed with CANDOR_SECRET_KEY_PREVIOUS no longer verify. Unset: they verify while that variable is set."`
	PreferenceLinkMaxAge   time.Duration `env:"CANDOR_PREFERENCE_LINK_MAX_AGE" yaml:"preference_link_max_age" desc:"How long a preference center link works after the message carrying it was sent, e.g. 2160h (90 days); 0s: no limit. Unsubscribe links never expire by age."`
	DoubleOptInExpiry      time.Duration `env:"CANDOR_DOUBLE_OPT_IN_EXPIRY" yaml:"double_opt_in_expiry" desc:"How long an opt-in for a double opt-in topic waits for the customer's confirmation (1h to 90 days); then it lapses and the consent is recorded as opted_out with source double_opt_in."`
	AdminAPIKey            string        `env:"CANDOR_ADMIN_API_KEY" yaml:"admin_api_key" redact:"value" desc:"If set, this key (cnd_..., at least 24 characters) exists as an admin API key at start."`
	PublicURL              string        `env:"CANDOR_PUBLIC_URL" yaml:"public_url" desc:"Absolute http(s) base of the links put into messages; a trailing slash is removed. Unset: http://localhost:PORT with the port of CANDOR_HTTP_ADDR (its host when it names one), and the start-up log says so."`

	DefaultTimezone        string `env:"CANDOR_DEFAULT_TIMEZONE" yaml:"default_timezone" desc:"IANA time zone for customers without one. Unset: such customers are excluded."`
	DefaultWindows         string `env:"CANDOR_DEFAULT_WINDOWS" yaml:"default_windows" desc:"Send windows for customers without any, e.g. \"mon-fri 09:00-17:00; sat 10:00-12:00\". Unset: such customers are excluded."`
	MaxMessagesPerCustomer string `env:"CANDOR_MAX_MESSAGES_PER_CUSTOMER" yaml:"max_messages_per_customer" desc:"Service-wide cap per customer, \"N/<n>d\" or \"N/<n>h\" such as \"4/30d\"; the stricter of this and the customer's own cadence applies. Unset: no global cap."`

	SMTP                 SMTP   `yaml:"smtp"`
	SMS                  SMS    `yaml:"sms"`
	WebhookChannelURL    string `env:"CANDOR_WEBHOOK_CHANNEL_URL" yaml:"webhook_channel_url" redact:"origin" desc:"Endpoint that receives the messages of customers who prefer the webhook channel."`
	WebhookChannelSecret string `env:"CANDOR_WEBHOOK_CHANNEL_SECRET" yaml:"webhook_channel_secret" roles:"worker" redact:"value" desc:"Standard Webhooks secret (whsec_<base64>) that signs the webhook channel's messages. Required with CANDOR_WEBHOOK_CHANNEL_URL."`

	EmailRate           string `env:"CANDOR_EMAIL_RATE" yaml:"email_rate" desc:"Most emails sent, \"N/s\" or \"N/m\"."`
	SMSRate             string `env:"CANDOR_SMS_RATE" yaml:"sms_rate" desc:"Most text messages sent, \"N/s\" or \"N/m\"."`
	WebhookRate         string `env:"CANDOR_WEBHOOK_RATE" yaml:"webhook_rate" desc:"Most webhook-channel messages sent, \"N/s\" or \"N/m\"."`
	WebhookAllowPrivate bool   `env:"CANDOR_WEBHOOK_ALLOW_PRIVATE" yaml:"webhook_allow_private" desc:"Allow webhook URLs that use plain http or resolve to private, loopback, link-local or metadata addresses (the webhook channel and outbound webhook endpoints). For tests, local development and the demo only."`
	WebhookDisableAfter int    `env:"CANDOR_WEBHOOK_DISABLE_AFTER_FAILURES" yaml:"webhook_disable_after_failures" roles:"worker" desc:"An outbound webhook endpoint is disabled after this many failed attempts in a row (2-10000) that began at least 24 hours earlier; a webhook_endpoint.disabled event is written."`

	MetricsToken      string        `env:"CANDOR_METRICS_TOKEN" yaml:"metrics_token" redact:"value" desc:"If set, /metrics requires \"Authorization: Bearer <token>\"."`
	WorkerConcurrency int           `env:"CANDOR_WORKER_CONCURRENCY" yaml:"worker_concurrency" roles:"worker" desc:"Tasks one worker process runs at once (1-1000). Sends wait on the network, not the CPU, so this is well above the core count."`
	WorkerLease       time.Duration `env:"CANDOR_WORKER_LEASE" yaml:"worker_lease" roles:"worker" desc:"How long a worker holds the deliveries it claimed (5s to 1h). A worker that dies mid-send gives them up after this: re-sent on channels that de-duplicate (sms, webhook), unknown on email."`
	WorkerAddr        string        `env:"CANDOR_WORKER_ADDR" yaml:"worker_addr" roles:"worker" desc:"Address where candor worker serves /healthz, /readyz and /metrics (candor run serves them on CANDOR_HTTP_ADDR)."`
	MaxBodyBytes      int64         `env:"CANDOR_MAX_BODY_BYTES" yaml:"max_body_bytes" roles:"api" desc:"Largest accepted request body in bytes (1 KiB to 64 MiB)."`
	APIRateLimit      string        `env:"CANDOR_API_RATE_LIMIT" yaml:"api_rate_limit" roles:"api" desc:"Requests one API key may make, \"N/s\" or \"N/m\" (bursts up to N), shared by every API process through Redis; \"off\" disables it. Past it the answer is 429 with Retry-After."`
	PageRateLimit     string        `env:"CANDOR_PAGE_RATE_LIMIT" yaml:"page_rate_limit" roles:"api" desc:"Requests one customer link may make to /p/ and /u/, \"N/s\" or \"N/m\" (bursts up to N), counted in Redis; \"off\" disables it. Past it the answer is a 429 page with Retry-After."`
	PageClientLimit   string        `env:"CANDOR_PAGE_CLIENT_RATE_LIMIT" yaml:"page_client_rate_limit" roles:"api" desc:"Requests one client address (IPv4, or IPv6 /64) may make to /p/ and /u/ over all links, \"N/s\" or \"N/m\"; \"off\" disables it. One-click unsubscribe POSTs are not counted (mail providers send them for many customers)."`
	ShutdownTimeout   time.Duration `env:"CANDOR_SHUTDOWN_TIMEOUT" yaml:"shutdown_timeout" desc:"How long shutdown waits for requests and sends in flight (1s to 10m)."`
	StatementTimeout  time.Duration `env:"CANDOR_DB_STATEMENT_TIMEOUT" yaml:"db_statement_timeout" desc:"PostgreSQL statement_timeout of every statement the API and the worker run, launches included (1s to 1h; migrate and seed run without one)."`
	PreviewTimeout    time.Duration `env:"CANDOR_DB_PREVIEW_TIMEOUT" yaml:"db_preview_timeout" roles:"api" desc:"Longest a segment or campaign preview, or a page of segment members, may run on either database (1s to 10m, at most CANDOR_DB_STATEMENT_TIMEOUT); past it the request is a 503 and its query is stopped."`
	DBMaxConns        int           `env:"CANDOR_DB_MAX_CONNS" yaml:"db_max_conns" desc:"Most database connections one process opens (1-1000); as many are kept open while idle, so bursts reuse them instead of opening new ones. Keep the sum over all processes below PostgreSQL's max_connections."`
	DBConnMaxLifetime time.Duration `env:"CANDOR_DB_CONN_MAX_LIFETIME" yaml:"db_conn_max_lifetime" desc:"How long a database connection is used before it is replaced (1m to 24h), so a failover or a changed server setting is picked up."`
	LogLevel          string        `env:"CANDOR_LOG_LEVEL" yaml:"log_level" desc:"debug, info, warn or error."`
}

// SMTP holds the email channel's server settings. Email goes through SMTP
// only when Host is set.
type SMTP struct {
	Host     string `env:"CANDOR_SMTP_HOST" yaml:"host" desc:"SMTP server host name. Unset: the email channel has no transport of its own."`
	Port     int    `env:"CANDOR_SMTP_PORT" yaml:"port" roles:"worker" desc:"SMTP server port."`
	Username string `env:"CANDOR_SMTP_USERNAME" yaml:"username" roles:"worker" desc:"SMTP user name; empty for no authentication."`
	Password string `env:"CANDOR_SMTP_PASSWORD" yaml:"password" roles:"worker" redact:"value" desc:"SMTP password."`
	From     string `env:"CANDOR_SMTP_FROM" yaml:"from" roles:"worker" desc:"Sender address, e.g. \"Candor <news@example.com>\". Required with CANDOR_SMTP_HOST."`
	TLS      string `env:"CANDOR_SMTP_TLS" yaml:"tls" roles:"worker" desc:"starttls, tls (implicit TLS, usually port 465) or none."`
}

// SMS holds the text message channel's HTTP provider settings. Text
// messages go through the provider only when URL is set.
type SMS struct {
	URL        string `env:"CANDOR_SMS_URL" yaml:"url" redact:"origin" desc:"Base URL of a Twilio-compatible SMS API, e.g. https://api.twilio.com. Unset: the sms channel has no transport of its own."`
	AccountSID string `env:"CANDOR_SMS_ACCOUNT_SID" yaml:"account_sid" roles:"worker" desc:"Account id of the SMS API (the user name of its basic auth). Required with CANDOR_SMS_URL."`
	Token      string `env:"CANDOR_SMS_TOKEN" yaml:"token" roles:"worker" redact:"value" desc:"Auth token of the SMS API (the password of its basic auth)."`
	From       string `env:"CANDOR_SMS_FROM" yaml:"from" roles:"worker" desc:"Sender: an E.164 number or an alphanumeric sender id of up to 11 characters."`
}

// Defaults returns the configuration used when neither the file nor the
// environment sets anything: embedded backends, local URLs.
func Defaults() *Config {
	return &Config{
		HTTPAddr:            ":8080",
		DataDir:             "./data",
		SMTP:                SMTP{Port: 587, TLS: "starttls"},
		EmailRate:           "50/s",
		SMSRate:             "10/s",
		WebhookRate:         "50/s",
		WebhookDisableAfter: 8,
		WorkerConcurrency:   20,
		WorkerLease:         5 * time.Minute,
		WorkerAddr:          ":8081",
		DoubleOptInExpiry:   7 * 24 * time.Hour,
		MaxBodyBytes:        1 << 20,
		APIRateLimit:        "20/s",
		PageRateLimit:       "30/m",
		PageClientLimit:     "300/m",
		ShutdownTimeout:     20 * time.Second,
		StatementTimeout:    60 * time.Second,
		PreviewTimeout:      15 * time.Second,
		DBMaxConns:          20,
		DBConnMaxLifetime:   30 * time.Minute,
		LogLevel:            "info",
	}
}

// Mode says which backends a command accepts.
type Mode int

const (
	// ModeEmbedded accepts either backend pair: embedded SQLite and
	// in-process Redis when both URLs are empty, else PostgreSQL and Redis
	// (candor run).
	ModeEmbedded Mode = iota
	// ModeReal requires PostgreSQL and Redis (candor api, candor worker):
	// an in-process Redis cannot be shared between processes.
	ModeReal
	// ModeMigrate requires only a database (candor migrate): PostgreSQL,
	// or the embedded SQLite file when both URLs are empty. A migration
	// job uses neither Redis nor the secret key, so it need not be given
	// them; settings that are set are still checked, so a broken shared
	// configuration fails at the first step of a release.
	ModeMigrate
	// ModeDatabase requires only a database and, with PostgreSQL, the
	// secret key (candor seed: it seals the consent ledger but queues
	// nothing): PostgreSQL, or the embedded SQLite file when both URLs
	// are empty. CANDOR_REDIS_URL need not be set; if it is, it is checked.
	ModeDatabase
)

// Embedded reports whether the config selects the embedded backends,
// that is, neither CANDOR_DATABASE_URL nor CANDOR_REDIS_URL is set.
func (c *Config) Embedded() bool { return c.DatabaseURL == "" && c.RedisURL == "" }

// ChannelConfigured reports whether ch has transport settings of its own
// (SMTP host, SMS provider URL, webhook channel URL: the variable its
// models.ChannelSpec names as Settings.Transport). In embedded mode a
// channel without them writes to the outbox instead.
func (c *Config) ChannelConfigured(ch models.Channel) bool {
	spec, ok := models.ChannelSpecFor(ch)
	return ok && c.setting(spec.Settings.Transport) != ""
}

// Rate returns the send rate of ch in messages per second (the variable
// its models.ChannelSpec names as Settings.Rate), or 0 for an unknown
// channel or an invalid rate (Validate reports those).
func (c *Config) Rate(ch models.Channel) rate.Limit {
	spec, ok := models.ChannelSpecFor(ch)
	if !ok {
		return 0
	}
	r, err := ParseRate(c.setting(spec.Settings.Rate))
	if err != nil {
		return 0
	}
	return r
}

// ParsedDefaultWindows returns CANDOR_DEFAULT_WINDOWS parsed, or nil when
// it is unset or invalid (Validate reports the latter).
func (c *Config) ParsedDefaultWindows() []models.Window {
	if c.DefaultWindows == "" {
		return nil
	}
	ws, err := models.ParseWindowsSpec(c.DefaultWindows)
	if err != nil {
		return nil
	}
	return ws
}

// ParsedMaxMessages returns CANDOR_MAX_MESSAGES_PER_CUSTOMER parsed, or
// nil when it is unset or invalid (Validate reports the latter).
func (c *Config) ParsedMaxMessages() *models.Cadence {
	if c.MaxMessagesPerCustomer == "" {
		return nil
	}
	cad, err := models.ParseCadenceSpec(c.MaxMessagesPerCustomer)
	if err != nil {
		return nil
	}
	return cad
}

// LinkBase returns the base of the links put into messages and says where
// it came from: CANDOR_PUBLIC_URL when set, else http://HOST:PORT from
// CANDOR_HTTP_ADDR, with localhost for a wildcard or missing host, so a
// server on :18180 writes links to port 18180 rather than to a port
// nobody listens on.
func (c *Config) LinkBase() (base, source string) {
	if c.PublicURL != "" {
		return c.PublicURL, "CANDOR_PUBLIC_URL"
	}
	host, port, err := net.SplitHostPort(c.HTTPAddr)
	if err != nil {
		return "http://localhost:8080", "default"
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port), "CANDOR_HTTP_ADDR"
}

// APIRate returns CANDOR_API_RATE_LIMIT as requests per period, or ok
// false when it is "off" or invalid (Validate reports the latter).
func (c *Config) APIRate() (requests int, period time.Duration, ok bool) {
	return parseRequestRate(c.APIRateLimit)
}

// PageRates returns CANDOR_PAGE_RATE_LIMIT and
// CANDOR_PAGE_CLIENT_RATE_LIMIT as requests per period; a limit that is
// "off" (or invalid, which Validate reports) has ok false.
func (c *Config) PageRates() (perLink, perClient RequestRate) {
	var l, cl RequestRate
	l.Requests, l.Period, l.On = parseRequestRate(c.PageRateLimit)
	cl.Requests, cl.Period, cl.On = parseRequestRate(c.PageClientLimit)
	return l, cl
}

// RequestRate is a request limit: Requests per Period, On unless "off".
type RequestRate struct {
	Requests int
	Period   time.Duration
	On       bool
}

// parseRequestRate reads "N/s" or "N/m" as a whole number per period.
func parseRequestRate(spec string) (int, time.Duration, bool) {
	count, unit, _ := strings.Cut(spec, "/")
	n, err := strconv.Atoi(count)
	if err != nil || n < 1 || n > maxRate {
		return 0, 0, false
	}
	switch unit {
	case "s":
		return n, time.Second, true
	case "m":
		return n, time.Minute, true
	}
	return 0, 0, false
}

// maxRate bounds N in a rate so a typo such as "50000000/s" cannot turn
// the limiter off by accident.
const maxRate = 1_000_000

// ParseRate parses a send rate, "N/s" or "N/m" with N a whole number from
// 1 to 1,000,000, into messages per second.
func ParseRate(spec string) (rate.Limit, error) {
	count, unit, _ := strings.Cut(spec, "/")
	n, err := strconv.Atoi(count)
	if err != nil || n < 1 || n > maxRate || (unit != "s" && unit != "m") {
		return 0, fmt.Errorf(`must be "N/s" or "N/m" with N a whole number from 1 to %d, got %q`, maxRate, spec)
	}
	if unit == "m" {
		return rate.Limit(float64(n) / 60), nil
	}
	return rate.Limit(n), nil
}

// TokenPolicy returns how long customer links stay valid: the previous
// key until CANDOR_SECRET_KEY_PREVIOUS_UNTIL and preference links for
// CANDOR_PREFERENCE_LINK_MAX_AGE. Call it on a validated config (an
// unparsable time reads as unset).
func (c *Config) TokenPolicy() secrets.TokenPolicy {
	p := secrets.TokenPolicy{PreviousUntil: c.previousUntil()}
	if c.PreferenceLinkMaxAge > 0 {
		p.MaxAge = map[secrets.Purpose]time.Duration{secrets.PurposePreferences: c.PreferenceLinkMaxAge}
	}
	return p
}

// PreviousSecretKey returns CANDOR_SECRET_KEY_PREVIOUS while the rotation
// lasts (before CANDOR_SECRET_KEY_PREVIOUS_UNTIL, or always when that is
// unset) and "" after it, so every component that verifies with the
// previous key (customer links, the consent ledger's keyring) stops at the
// same moment.
func (c *Config) PreviousSecretKey(now time.Time) string {
	if until := c.previousUntil(); !until.IsZero() && !now.Before(until) {
		return ""
	}
	return c.SecretKeyPrevious
}

func (c *Config) previousUntil() time.Time {
	t, _ := time.Parse(time.RFC3339, c.SecretKeyPreviousUntil)
	return t
}
