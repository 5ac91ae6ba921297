package configs

import (
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/candor/candor/models"
	"github.com/candor/candor/secrets"
)

// Problem is one bad setting: the environment variable that names it
// (even when the value came from the YAML file, because that name is the
// one the documentation uses), a short rule id for programs and tests, and
// an explanation for people. A Detail never quotes a secret.
type Problem struct {
	Var    string
	Rule   string
	Detail string
}

// String formats p as "CANDOR_SMTP_PORT: must be 1-65535, got 0".
func (p Problem) String() string { return p.Var + ": " + p.Detail }

// Error lists every problem found by Load or Validate. It is never shown
// over HTTP: commands print it and exit non-zero.
type Error struct {
	Problems []Problem
}

// Error returns one line per problem, in the order found.
func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// problems collects Problems while checking.
type problems []Problem

func (ps *problems) add(name, rule, format string, args ...any) {
	*ps = append(*ps, Problem{Var: name, Rule: rule, Detail: fmt.Sprintf(format, args...)})
}

// err returns nil when nothing was found, so callers can return it as is.
func (ps problems) err() error {
	if len(ps) == 0 {
		return nil
	}
	return &Error{Problems: ps}
}

var smsSenderRE = regexp.MustCompile(`^(\+[1-9][0-9]{6,14}|[A-Za-z0-9 ]*[A-Za-z][A-Za-z0-9 ]*)$`)

// Validate checks every setting for a command that accepts mode and
// returns an *Error listing all problems, or nil. The mode decides which
// settings are required; the rules on a value that is set are the same
// in every mode.
func (c *Config) Validate(mode Mode) error {
	var p problems
	c.validateBackends(&p, mode)
	c.validateSecrets(&p, mode)
	c.validateHTTP(&p)
	c.validateAudienceDefaults(&p)
	c.validateChannels(&p)
	c.validateRuntime(&p)
	return p.err()
}

func (c *Config) validateBackends(p *problems, mode Mode) {
	if c.DatabaseURL != "" {
		checkURL(p, "CANDOR_DATABASE_URL", c.DatabaseURL, "postgres", "postgresql")
	}
	if c.RedisURL != "" {
		checkURL(p, "CANDOR_REDIS_URL", c.RedisURL, "redis", "rediss")
	}
	const mixed = "is required because %s is set: use PostgreSQL and Redis together or neither; a mix of real and embedded backends is not supported"
	switch {
	case c.DatabaseURL != "" && c.RedisURL == "" && mode != ModeMigrate && mode != ModeDatabase:
		p.add("CANDOR_REDIS_URL", "backend_pair", mixed, "CANDOR_DATABASE_URL")
	case c.RedisURL != "" && c.DatabaseURL == "":
		p.add("CANDOR_DATABASE_URL", "backend_pair", mixed, "CANDOR_REDIS_URL")
	case c.Embedded() && mode == ModeReal:
		const detail = "is required by this command; only candor run can use the embedded backends"
		p.add("CANDOR_DATABASE_URL", "required", detail)
		p.add("CANDOR_REDIS_URL", "required", detail)
	case c.Embedded() && c.DataDir == "":
		p.add("CANDOR_DATA_DIR", "required", "is required in embedded mode: it holds the database and the generated secret key")
	}
}

func (c *Config) validateSecrets(p *problems, mode Mode) {
	switch {
	case c.SecretKey == "" && mode != ModeMigrate && (c.DatabaseURL != "" || mode == ModeReal):
		p.add("CANDOR_SECRET_KEY", "required", "is required with PostgreSQL: every process must sign and verify links with the same key (generate one with: openssl rand -base64 48)")
	case c.SecretKey != "" && len(c.SecretKey) < secrets.MinSecretLength:
		p.add("CANDOR_SECRET_KEY", "min_length", "must be at least %d characters, got %d", secrets.MinSecretLength, len(c.SecretKey))
	}
	switch {
	case c.SecretKeyPrevious == "":
	case len(c.SecretKeyPrevious) < secrets.MinSecretLength:
		p.add("CANDOR_SECRET_KEY_PREVIOUS", "min_length", "must be at least %d characters, got %d", secrets.MinSecretLength, len(c.SecretKeyPrevious))
	case c.SecretKeyPrevious == c.SecretKey:
		p.add("CANDOR_SECRET_KEY_PREVIOUS", "differs", "must differ from CANDOR_SECRET_KEY; after a rotation it holds the old key")
	}
	if c.SecretKeyPreviousUntil != "" {
		if _, err := time.Parse(time.RFC3339, c.SecretKeyPreviousUntil); err != nil {
			p.add("CANDOR_SECRET_KEY_PREVIOUS_UNTIL", "format", "must be an RFC 3339 time such as 2026-07-01T00:00:00Z, got %q", c.SecretKeyPreviousUntil)
		} else if c.SecretKeyPrevious == "" {
			p.add("CANDOR_SECRET_KEY_PREVIOUS_UNTIL", "requires", "is set but CANDOR_SECRET_KEY_PREVIOUS is not: it ends a rotation that has not begun")
		}
	}
	if c.DoubleOptInExpiry < time.Hour || c.DoubleOptInExpiry > 90*24*time.Hour {
		p.add("CANDOR_DOUBLE_OPT_IN_EXPIRY", "range", "must be between 1h and 2160h (90 days), got %s", c.DoubleOptInExpiry)
	}
	if c.PreferenceLinkMaxAge < 0 || (c.PreferenceLinkMaxAge > 0 && c.PreferenceLinkMaxAge < 24*time.Hour) {
		p.add("CANDOR_PREFERENCE_LINK_MAX_AGE", "range", "must be 0s (no limit) or at least 24h: links are dated by day, got %s", c.PreferenceLinkMaxAge)
	}
	if c.AdminAPIKey != "" && (!strings.HasPrefix(c.AdminAPIKey, secrets.APIKeyPrefix) || len(c.AdminAPIKey) < 24) {
		p.add("CANDOR_ADMIN_API_KEY", "format", "must start with %q and be at least 24 characters", secrets.APIKeyPrefix)
	}
}

func (c *Config) validateHTTP(p *problems) {
	if _, port, err := net.SplitHostPort(c.HTTPAddr); err != nil || !validPort(port) {
		p.add("CANDOR_HTTP_ADDR", "address", `must be "host:port" or ":port" such as ":8080", got %q`, c.HTTPAddr)
	}
	if _, port, err := net.SplitHostPort(c.WorkerAddr); err != nil || !validPort(port) {
		p.add("CANDOR_WORKER_ADDR", "address", `must be "host:port" or ":port" such as ":8081", got %q`, c.WorkerAddr)
	}
	if _, _, ok := c.APIRate(); !ok && c.APIRateLimit != "off" {
		p.add("CANDOR_API_RATE_LIMIT", "rate", `must be "N/s" or "N/m" with N a whole number from 1 to %d, or "off", got %q`, maxRate, c.APIRateLimit)
	}
	for name, spec := range map[string]string{"CANDOR_PAGE_RATE_LIMIT": c.PageRateLimit, "CANDOR_PAGE_CLIENT_RATE_LIMIT": c.PageClientLimit} {
		if _, _, ok := parseRequestRate(spec); !ok && spec != "off" {
			p.add(name, "rate", `must be "N/s" or "N/m" with N a whole number from 1 to %d, or "off", got %q`, maxRate, spec)
		}
	}
	// An empty CANDOR_PUBLIC_URL is valid: links follow CANDOR_HTTP_ADDR
	// (Config.LinkBase).
	if c.PublicURL != "" {
		if u := checkHTTPURL(p, "CANDOR_PUBLIC_URL", c.PublicURL); u != nil && (u.User != nil || u.RawQuery != "" || u.Fragment != "") {
			p.add("CANDOR_PUBLIC_URL", "base_url", "must be a plain base URL without credentials, query or fragment, because paths are appended to it")
		}
	}
	if c.MaxBodyBytes < 1<<10 || c.MaxBodyBytes > 64<<20 {
		p.add("CANDOR_MAX_BODY_BYTES", "range", "must be between %d and %d bytes, got %d", 1<<10, 64<<20, c.MaxBodyBytes)
	}
}

func (c *Config) validateAudienceDefaults(p *problems) {
	if c.DefaultTimezone != "" && !models.ValidTimezone(c.DefaultTimezone) {
		p.add("CANDOR_DEFAULT_TIMEZONE", "iana_timezone", "must be an IANA time zone such as Europe/Berlin, got %q", c.DefaultTimezone)
	}
	if c.DefaultWindows != "" {
		if _, err := models.ParseWindowsSpec(c.DefaultWindows); err != nil {
			p.add("CANDOR_DEFAULT_WINDOWS", "windows", `%v (want e.g. "mon-fri 09:00-17:00; sat 10:00-12:00")`, err)
		}
	}
	if c.MaxMessagesPerCustomer != "" {
		if _, err := models.ParseCadenceSpec(c.MaxMessagesPerCustomer); err != nil {
			p.add("CANDOR_MAX_MESSAGES_PER_CUSTOMER", "cadence", "%v", err)
		}
	}
}

func (c *Config) validateChannels(p *problems) {
	s := c.SMTP
	if s.Port < 1 || s.Port > 65535 {
		p.add("CANDOR_SMTP_PORT", "range", "must be 1-65535, got %d", s.Port)
	}
	if !slices.Contains([]string{"starttls", "tls", "none"}, s.TLS) {
		p.add("CANDOR_SMTP_TLS", "enum", "must be starttls, tls or none, got %q", s.TLS)
	}
	switch {
	case s.Host != "" && strings.Contains(s.Host, ":") && net.ParseIP(s.Host) == nil:
		p.add("CANDOR_SMTP_HOST", "host", "must be a host name without a port; set the port with CANDOR_SMTP_PORT")
	case s.Host == "" && (s.Username != "" || s.Password != ""):
		p.add("CANDOR_SMTP_HOST", "required", "is required when CANDOR_SMTP_USERNAME or CANDOR_SMTP_PASSWORD is set")
	}
	if s.Password != "" && s.Username == "" {
		p.add("CANDOR_SMTP_USERNAME", "required", "is required when CANDOR_SMTP_PASSWORD is set")
	}
	if s.Host != "" && s.From == "" {
		p.add("CANDOR_SMTP_FROM", "required", "is required when CANDOR_SMTP_HOST is set")
	} else if s.From != "" {
		if _, err := mail.ParseAddress(s.From); err != nil {
			p.add("CANDOR_SMTP_FROM", "email", `must be an email address such as "Candor <news@example.com>", got %q`, s.From)
		}
	}

	if c.SMS.URL != "" {
		checkHTTPURL(p, "CANDOR_SMS_URL", c.SMS.URL)
		if c.SMS.AccountSID == "" {
			p.add("CANDOR_SMS_ACCOUNT_SID", "required", "is required when CANDOR_SMS_URL is set")
		}
	} else if c.SMS.Token != "" {
		p.add("CANDOR_SMS_URL", "required", "is required when CANDOR_SMS_TOKEN is set")
	}
	if c.SMS.From != "" && (!smsSenderRE.MatchString(c.SMS.From) || (c.SMS.From[0] != '+' && len(c.SMS.From) > 11)) {
		p.add("CANDOR_SMS_FROM", "sender", "must be an E.164 number such as +14155550123 or an alphanumeric sender id of up to 11 characters, got %q", c.SMS.From)
	}
	if c.WebhookChannelURL != "" {
		checkHTTPURL(p, "CANDOR_WEBHOOK_CHANNEL_URL", c.WebhookChannelURL)
		if !webhookSecretRE.MatchString(c.WebhookChannelSecret) {
			p.add("CANDOR_WEBHOOK_CHANNEL_SECRET", "secret", "must be whsec_ followed by base64 of at least 24 bytes when CANDOR_WEBHOOK_CHANNEL_URL is set")
		}
	}

	for _, ch := range models.ChannelSpecs() {
		if _, err := ParseRate(c.setting(ch.Settings.Rate)); err != nil {
			p.add(ch.Settings.Rate, "rate", "%v", err)
		}
	}
}

// webhookSecretRE is a Standard Webhooks secret: whsec_ and base64 of at
// least 24 bytes.
var webhookSecretRE = regexp.MustCompile(`^whsec_[A-Za-z0-9+/]{32,}={0,2}$`)

func (c *Config) validateRuntime(p *problems) {
	if c.WorkerConcurrency < 1 || c.WorkerConcurrency > 1000 {
		p.add("CANDOR_WORKER_CONCURRENCY", "range", "must be 1-1000, got %d", c.WorkerConcurrency)
	}
	if c.WebhookDisableAfter < 2 || c.WebhookDisableAfter > 10000 {
		p.add("CANDOR_WEBHOOK_DISABLE_AFTER_FAILURES", "range", "must be 2-10000, got %d", c.WebhookDisableAfter)
	}
	if c.WorkerLease < 5*time.Second || c.WorkerLease > time.Hour {
		p.add("CANDOR_WORKER_LEASE", "range", "must be between 5s and 1h, got %s", c.WorkerLease)
	}
	if c.ShutdownTimeout < time.Second || c.ShutdownTimeout > 10*time.Minute {
		p.add("CANDOR_SHUTDOWN_TIMEOUT", "range", "must be between 1s and 10m, got %s", c.ShutdownTimeout)
	}
	if c.StatementTimeout < time.Second || c.StatementTimeout > time.Hour {
		p.add("CANDOR_DB_STATEMENT_TIMEOUT", "range", "must be between 1s and 1h, got %s", c.StatementTimeout)
	}
	switch {
	case c.PreviewTimeout < time.Second || c.PreviewTimeout > 10*time.Minute:
		p.add("CANDOR_DB_PREVIEW_TIMEOUT", "range", "must be between 1s and 10m, got %s", c.PreviewTimeout)
	case c.PreviewTimeout > c.StatementTimeout:
		p.add("CANDOR_DB_PREVIEW_TIMEOUT", "range", "must be at most CANDOR_DB_STATEMENT_TIMEOUT (%s), got %s", c.StatementTimeout, c.PreviewTimeout)
	}
	if c.DBMaxConns < 1 || c.DBMaxConns > 1000 {
		p.add("CANDOR_DB_MAX_CONNS", "range", "must be 1-1000, got %d", c.DBMaxConns)
	}
	if c.DBConnMaxLifetime < time.Minute || c.DBConnMaxLifetime > 24*time.Hour {
		p.add("CANDOR_DB_CONN_MAX_LIFETIME", "range", "must be between 1m and 24h, got %s", c.DBConnMaxLifetime)
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.LogLevel) {
		p.add("CANDOR_LOG_LEVEL", "enum", "must be debug, info, warn or error, got %q", c.LogLevel)
	}
}

// checkURL reports a problem unless raw is an absolute URL with one of
// schemes, and returns the parsed URL if so. Parse errors are not quoted:
// they repeat the URL, which may carry a password.
func checkURL(p *problems, name, raw string, schemes ...string) *url.URL {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		p.add(name, "url", "is not a valid URL")
		return nil
	}
	if !slices.Contains(schemes, u.Scheme) {
		p.add(name, "url_scheme", "must use scheme %s, got %q", strings.Join(schemes, " or "), u.Scheme)
		return nil
	}
	return u
}

// checkHTTPURL is checkURL for http(s) endpoints, which also need a host.
func checkHTTPURL(p *problems, name, raw string) *url.URL {
	u := checkURL(p, name, raw, "http", "https")
	if u != nil && u.Host == "" {
		p.add(name, "url_host", "must name a host, as in https://example.com")
		return nil
	}
	return u
}

// validPort reports whether s is a decimal port; 0 asks the system for a
// free one, which tests use.
func validPort(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n >= 0 && n <= 65535
}
