package configs_test

import (
	"strings"
	"testing"
	"time"

	"github.com/candor/candor/configs"
	"github.com/google/go-cmp/cmp"
)

// validReal returns a configuration for PostgreSQL and Redis with every
// optional setting filled in, so each test case breaks exactly one rule.
func validReal() *configs.Config {
	c := configs.Defaults()
	c.DatabaseURL = "postgres://candor:pw@db:5432/candor?sslmode=disable"
	c.RedisURL = "redis://redis:6379/0"
	c.SecretKey = strings.Repeat("k", 40)
	c.SecretKeyPrevious = strings.Repeat("p", 40)
	c.AdminAPIKey = "cnd_" + strings.Repeat("a", 40)
	c.PublicURL = "https://candor.example.com"
	c.DefaultTimezone = "Europe/Berlin"
	c.DefaultWindows = "mon-fri 09:00-17:00"
	c.MaxMessagesPerCustomer = "4/30d"
	c.SMTP = configs.SMTP{Host: "smtp.example.com", Port: 587, Username: "candor", Password: "pw", From: "Candor <news@example.com>", TLS: "starttls"}
	c.SMS = configs.SMS{URL: "https://sms.example.com", AccountSID: "AC123", Token: "token", From: "+14155550123"}
	c.WebhookChannelURL = "https://crm.example.com/candor"
	c.WebhookChannelSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	c.MetricsToken = "metrics-token"
	return c
}

func TestValidate(t *testing.T) {
	// api, run, migrate and seed name the commands that validate with each mode.
	api, run, migrate, seed := configs.ModeReal, configs.ModeEmbedded, configs.ModeMigrate, configs.ModeDatabase
	tests := []struct {
		name   string
		base   func() *configs.Config
		mode   configs.Mode
		modify func(c *configs.Config)
		want   []string
	}{
		{"a complete real configuration is valid for candor api", validReal, api, func(c *configs.Config) {}, nil},
		{"a complete real configuration is valid for candor run", validReal, run, func(c *configs.Config) {}, nil},
		{"the defaults are valid for candor run", configs.Defaults, run, func(c *configs.Config) {}, nil},
		{"the defaults lack backends and a secret for candor api", configs.Defaults, api, func(c *configs.Config) {},
			[]string{"CANDOR_DATABASE_URL required", "CANDOR_REDIS_URL required", "CANDOR_SECRET_KEY required"}},

		{"a postgresql scheme is accepted", validReal, api, func(c *configs.Config) { c.DatabaseURL = "postgresql://db/candor" }, nil},
		{"a rediss scheme is accepted", validReal, api, func(c *configs.Config) { c.RedisURL = "rediss://:pw@redis:6380/0" }, nil},
		{"a database URL with another scheme is rejected", validReal, api, func(c *configs.Config) { c.DatabaseURL = "mysql://db/candor" },
			[]string{"CANDOR_DATABASE_URL url_scheme"}},
		{"a database URL that does not parse is rejected", validReal, api, func(c *configs.Config) { c.DatabaseURL = "postgres://u:p%zz@db/candor" },
			[]string{"CANDOR_DATABASE_URL url"}},
		{"a database keyword string is rejected", validReal, api, func(c *configs.Config) { c.DatabaseURL = "host=db dbname=candor" },
			[]string{"CANDOR_DATABASE_URL url"}},
		{"a Redis URL with another scheme is rejected", validReal, api, func(c *configs.Config) { c.RedisURL = "http://redis:6379" },
			[]string{"CANDOR_REDIS_URL url_scheme"}},
		{"a database without Redis is a confusing mix", validReal, run, func(c *configs.Config) { c.RedisURL = "" },
			[]string{"CANDOR_REDIS_URL backend_pair"}},
		{"Redis without a database is a confusing mix", validReal, run, func(c *configs.Config) { c.DatabaseURL = "" },
			[]string{"CANDOR_DATABASE_URL backend_pair"}},
		{"a database without Redis is enough for candor seed", validReal, seed, func(c *configs.Config) { c.RedisURL = "" }, nil},
		{"candor seed on PostgreSQL still needs the secret key", validReal, seed, func(c *configs.Config) { c.RedisURL, c.SecretKey, c.SecretKeyPrevious = "", "", "" },
			[]string{"CANDOR_SECRET_KEY required"}},
		{"the defaults are valid for candor seed (embedded)", configs.Defaults, seed, func(c *configs.Config) {}, nil},
		{"embedded mode needs a data directory", configs.Defaults, run, func(c *configs.Config) { c.DataDir = "" },
			[]string{"CANDOR_DATA_DIR required"}},
		{"real backends need no data directory", validReal, api, func(c *configs.Config) { c.DataDir = "" }, nil},

		{"PostgreSQL without a secret key is rejected even for candor run", validReal, run, func(c *configs.Config) { c.SecretKey, c.SecretKeyPrevious = "", "" },
			[]string{"CANDOR_SECRET_KEY required"}},
		{"a secret key of 31 characters is rejected", validReal, api, func(c *configs.Config) { c.SecretKey = strings.Repeat("k", 31) },
			[]string{"CANDOR_SECRET_KEY min_length"}},
		{"a secret key of 32 characters is accepted", validReal, api, func(c *configs.Config) { c.SecretKey = strings.Repeat("k", 32) }, nil},
		{"a short secret key is rejected in embedded mode too", configs.Defaults, run, func(c *configs.Config) { c.SecretKey = "short" },
			[]string{"CANDOR_SECRET_KEY min_length"}},
		{"a short previous secret key is rejected", validReal, api, func(c *configs.Config) { c.SecretKeyPrevious = "short" },
			[]string{"CANDOR_SECRET_KEY_PREVIOUS min_length"}},
		{"a previous secret key equal to the current one is rejected", validReal, api, func(c *configs.Config) { c.SecretKeyPrevious = c.SecretKey },
			[]string{"CANDOR_SECRET_KEY_PREVIOUS differs"}},
		{"the end of a rotation is accepted as an RFC 3339 time", validReal, api, func(c *configs.Config) {
			c.SecretKeyPrevious, c.SecretKeyPreviousUntil = strings.Repeat("p", 32), "2026-07-01T00:00:00Z"
		}, nil},
		{"the end of a rotation that is not a time is rejected", validReal, api, func(c *configs.Config) {
			c.SecretKeyPrevious, c.SecretKeyPreviousUntil = strings.Repeat("p", 32), "next week"
		}, []string{"CANDOR_SECRET_KEY_PREVIOUS_UNTIL format"}},
		{"the end of a rotation without a previous key is rejected", validReal, api, func(c *configs.Config) {
			c.SecretKeyPrevious, c.SecretKeyPreviousUntil = "", "2026-07-01T00:00:00Z"
		}, []string{"CANDOR_SECRET_KEY_PREVIOUS_UNTIL requires"}},
		{"a preference link max age under a day is rejected", validReal, api, func(c *configs.Config) { c.PreferenceLinkMaxAge = time.Hour },
			[]string{"CANDOR_PREFERENCE_LINK_MAX_AGE range"}},
		{"a preference link max age of 90 days is accepted", validReal, api, func(c *configs.Config) { c.PreferenceLinkMaxAge = 90 * 24 * time.Hour }, nil},
		{"a double opt-in expiry under an hour is rejected", validReal, api, func(c *configs.Config) { c.DoubleOptInExpiry = time.Minute },
			[]string{"CANDOR_DOUBLE_OPT_IN_EXPIRY range"}},
		{"a double opt-in expiry over 90 days is rejected", validReal, api, func(c *configs.Config) { c.DoubleOptInExpiry = 91 * 24 * time.Hour },
			[]string{"CANDOR_DOUBLE_OPT_IN_EXPIRY range"}},
		{"a double opt-in expiry of a day is accepted", validReal, api, func(c *configs.Config) { c.DoubleOptInExpiry = 24 * time.Hour }, nil},
		{"an admin key without the cnd_ prefix is rejected", validReal, api, func(c *configs.Config) { c.AdminAPIKey = strings.Repeat("a", 40) },
			[]string{"CANDOR_ADMIN_API_KEY format"}},
		{"an admin key of 23 characters is rejected", validReal, api, func(c *configs.Config) { c.AdminAPIKey = "cnd_" + strings.Repeat("a", 19) },
			[]string{"CANDOR_ADMIN_API_KEY format"}},
		{"an admin key of 24 characters is accepted", validReal, api, func(c *configs.Config) { c.AdminAPIKey = "cnd_" + strings.Repeat("a", 20) }, nil},

		{"a listen address without a port is rejected", validReal, api, func(c *configs.Config) { c.HTTPAddr = "localhost" },
			[]string{"CANDOR_HTTP_ADDR address"}},
		{"a listen address with a named port is rejected", validReal, api, func(c *configs.Config) { c.HTTPAddr = ":http" },
			[]string{"CANDOR_HTTP_ADDR address"}},
		{"a listen address on port 0 is accepted", validReal, api, func(c *configs.Config) { c.HTTPAddr = "127.0.0.1:0" }, nil},
		{"an empty public URL is accepted: links follow the listen address", validReal, api, func(c *configs.Config) { c.PublicURL = "" }, nil},
		{"a worker address without a port is rejected", validReal, api, func(c *configs.Config) { c.WorkerAddr = "localhost" },
			[]string{"CANDOR_WORKER_ADDR address"}},
		{"a request rate of N per minute is accepted", validReal, api, func(c *configs.Config) { c.APIRateLimit = "600/m" }, nil},
		{"a request rate that is off is accepted", validReal, api, func(c *configs.Config) { c.APIRateLimit = "off" }, nil},
		{"a request rate per hour is rejected", validReal, api, func(c *configs.Config) { c.APIRateLimit = "5/h" },
			[]string{"CANDOR_API_RATE_LIMIT rate"}},
		{"a request rate of zero is rejected", validReal, api, func(c *configs.Config) { c.APIRateLimit = "0/s" },
			[]string{"CANDOR_API_RATE_LIMIT rate"}},
		{"page limits that are off are accepted", validReal, api, func(c *configs.Config) { c.PageRateLimit, c.PageClientLimit = "off", "off" }, nil},
		{"a page limit per link that is not a rate is rejected", validReal, api, func(c *configs.Config) { c.PageRateLimit = "30" },
			[]string{"CANDOR_PAGE_RATE_LIMIT rate"}},
		{"a page limit per client of zero is rejected", validReal, api, func(c *configs.Config) { c.PageClientLimit = "0/m" },
			[]string{"CANDOR_PAGE_CLIENT_RATE_LIMIT rate"}},
		{"a relative public URL is rejected", validReal, api, func(c *configs.Config) { c.PublicURL = "/candor" },
			[]string{"CANDOR_PUBLIC_URL url"}},
		{"a public URL that is not http is rejected", validReal, api, func(c *configs.Config) { c.PublicURL = "ftp://candor.example.com" },
			[]string{"CANDOR_PUBLIC_URL url_scheme"}},
		{"a public URL without a host is rejected", validReal, api, func(c *configs.Config) { c.PublicURL = "https:///candor" },
			[]string{"CANDOR_PUBLIC_URL url_host"}},
		{"a public URL with a query is rejected", validReal, api, func(c *configs.Config) { c.PublicURL = "https://candor.example.com?x=1" },
			[]string{"CANDOR_PUBLIC_URL base_url"}},
		{"a public URL with a path is accepted", validReal, api, func(c *configs.Config) { c.PublicURL = "https://example.com/candor" }, nil},
		{"a body limit below 1 KiB is rejected", validReal, api, func(c *configs.Config) { c.MaxBodyBytes = 1023 },
			[]string{"CANDOR_MAX_BODY_BYTES range"}},
		{"a body limit above 64 MiB is rejected", validReal, api, func(c *configs.Config) { c.MaxBodyBytes = 64<<20 + 1 },
			[]string{"CANDOR_MAX_BODY_BYTES range"}},

		{"an unknown default time zone is rejected", validReal, api, func(c *configs.Config) { c.DefaultTimezone = "Mars/Olympus" },
			[]string{"CANDOR_DEFAULT_TIMEZONE iana_timezone"}},
		{"the server's Local zone is rejected as a default", validReal, api, func(c *configs.Config) { c.DefaultTimezone = "Local" },
			[]string{"CANDOR_DEFAULT_TIMEZONE iana_timezone"}},
		{"Factory is rejected as a default", validReal, api, func(c *configs.Config) { c.DefaultTimezone = "Factory" },
			[]string{"CANDOR_DEFAULT_TIMEZONE iana_timezone"}},
		{"a host-only zone such as right/UTC is rejected as a default", validReal, api, func(c *configs.Config) { c.DefaultTimezone = "right/UTC" },
			[]string{"CANDOR_DEFAULT_TIMEZONE iana_timezone"}},
		{"a standard link such as US/Eastern is accepted as a default", validReal, api, func(c *configs.Config) { c.DefaultTimezone = "US/Eastern" }, nil},
		{"default windows with an unknown day are rejected", validReal, api, func(c *configs.Config) { c.DefaultWindows = "mon-fry 09:00-17:00" },
			[]string{"CANDOR_DEFAULT_WINDOWS windows"}},
		{"default windows ending before they start are rejected", validReal, api, func(c *configs.Config) { c.DefaultWindows = "mon 17:00-09:00" },
			[]string{"CANDOR_DEFAULT_WINDOWS windows"}},
		{"a global cap without a period is rejected", validReal, api, func(c *configs.Config) { c.MaxMessagesPerCustomer = "4" },
			[]string{"CANDOR_MAX_MESSAGES_PER_CUSTOMER cadence"}},
		{"a global cap in weeks is rejected", validReal, api, func(c *configs.Config) { c.MaxMessagesPerCustomer = "4/1w" },
			[]string{"CANDOR_MAX_MESSAGES_PER_CUSTOMER cadence"}},

		{"an SMTP port of 0 is rejected", validReal, api, func(c *configs.Config) { c.SMTP.Port = 0 },
			[]string{"CANDOR_SMTP_PORT range"}},
		{"an SMTP port above 65535 is rejected", validReal, api, func(c *configs.Config) { c.SMTP.Port = 65536 },
			[]string{"CANDOR_SMTP_PORT range"}},
		{"an unknown SMTP TLS mode is rejected", validReal, api, func(c *configs.Config) { c.SMTP.TLS = "ssl" },
			[]string{"CANDOR_SMTP_TLS enum"}},
		{"an SMTP host with a port is rejected", validReal, api, func(c *configs.Config) { c.SMTP.Host = "smtp.example.com:25" },
			[]string{"CANDOR_SMTP_HOST host"}},
		{"an SMTP host given as an IPv6 address is accepted", validReal, api, func(c *configs.Config) { c.SMTP.Host = "2001:db8::25" }, nil},
		{"an SMTP host without a sender is rejected", validReal, api, func(c *configs.Config) { c.SMTP.From = "" },
			[]string{"CANDOR_SMTP_FROM required"}},
		{"an SMTP sender that is not an address is rejected", validReal, api, func(c *configs.Config) { c.SMTP.From = "Candor News" },
			[]string{"CANDOR_SMTP_FROM email"}},
		{"SMTP credentials without a host are rejected", validReal, api, func(c *configs.Config) { c.SMTP.Host = "" },
			[]string{"CANDOR_SMTP_HOST required"}},
		{"an SMTP password without a user name is rejected", validReal, api, func(c *configs.Config) { c.SMTP.Username = "" },
			[]string{"CANDOR_SMTP_USERNAME required"}},
		{"an SMTP host without credentials is accepted", validReal, api, func(c *configs.Config) { c.SMTP.Username, c.SMTP.Password = "", "" }, nil},
		{"an SMS URL that is not http is rejected", validReal, api, func(c *configs.Config) { c.SMS.URL = "ftp://sms.example.com" },
			[]string{"CANDOR_SMS_URL url_scheme"}},
		{"an SMS token without a URL is rejected", validReal, api, func(c *configs.Config) { c.SMS.URL = "" },
			[]string{"CANDOR_SMS_URL required"}},
		{"an alphanumeric SMS sender is accepted", validReal, api, func(c *configs.Config) { c.SMS.From = "Candor" }, nil},
		{"an SMS sender of 12 characters is rejected", validReal, api, func(c *configs.Config) { c.SMS.From = "CandorNewsXY" },
			[]string{"CANDOR_SMS_FROM sender"}},
		{"a national SMS number is rejected", validReal, api, func(c *configs.Config) { c.SMS.From = "01511234567" },
			[]string{"CANDOR_SMS_FROM sender"}},
		{"an SMS URL without an account id is rejected", validReal, api, func(c *configs.Config) { c.SMS.AccountSID = "" },
			[]string{"CANDOR_SMS_ACCOUNT_SID required"}},
		{"a webhook channel without a whsec_ secret is rejected", validReal, api, func(c *configs.Config) { c.WebhookChannelSecret = "secret" },
			[]string{"CANDOR_WEBHOOK_CHANNEL_SECRET secret"}},
		{"a relative webhook channel URL is rejected", validReal, api, func(c *configs.Config) { c.WebhookChannelURL = "crm.example.com/candor" },
			[]string{"CANDOR_WEBHOOK_CHANNEL_URL url"}},
		{"an email rate in words is rejected", validReal, api, func(c *configs.Config) { c.EmailRate = "fast" },
			[]string{"CANDOR_EMAIL_RATE rate"}},
		{"an SMS rate of zero is rejected", validReal, api, func(c *configs.Config) { c.SMSRate = "0/s" },
			[]string{"CANDOR_SMS_RATE rate"}},
		{"a webhook rate per hour is rejected", validReal, api, func(c *configs.Config) { c.WebhookRate = "100/h" },
			[]string{"CANDOR_WEBHOOK_RATE rate"}},

		{"a worker concurrency of 0 is rejected", validReal, api, func(c *configs.Config) { c.WorkerConcurrency = 0 },
			[]string{"CANDOR_WORKER_CONCURRENCY range"}},
		{"a worker concurrency of 1001 is rejected", validReal, api, func(c *configs.Config) { c.WorkerConcurrency = 1001 },
			[]string{"CANDOR_WORKER_CONCURRENCY range"}},
		{"a worker concurrency of 1000 is accepted", validReal, api, func(c *configs.Config) { c.WorkerConcurrency = 1000 }, nil},
		{"a statement timeout below a second is rejected", validReal, api, func(c *configs.Config) { c.StatementTimeout = 500 * time.Millisecond },
			[]string{"CANDOR_DB_STATEMENT_TIMEOUT range", "CANDOR_DB_PREVIEW_TIMEOUT range"}},
		{"a statement timeout above an hour is rejected", validReal, api, func(c *configs.Config) { c.StatementTimeout = 61 * time.Minute },
			[]string{"CANDOR_DB_STATEMENT_TIMEOUT range"}},
		{"a preview timeout below a second is rejected", validReal, api, func(c *configs.Config) { c.PreviewTimeout = 0 },
			[]string{"CANDOR_DB_PREVIEW_TIMEOUT range"}},
		{"a preview may not outlast a statement", validReal, api, func(c *configs.Config) { c.StatementTimeout, c.PreviewTimeout = 10*time.Second, 20*time.Second },
			[]string{"CANDOR_DB_PREVIEW_TIMEOUT range"}},
		{"a pool of no connections is rejected", validReal, api, func(c *configs.Config) { c.DBMaxConns = 0 },
			[]string{"CANDOR_DB_MAX_CONNS range"}},
		{"a pool of 1001 connections is rejected", validReal, api, func(c *configs.Config) { c.DBMaxConns = 1001 },
			[]string{"CANDOR_DB_MAX_CONNS range"}},
		{"a connection lifetime below a minute is rejected", validReal, api, func(c *configs.Config) { c.DBConnMaxLifetime = time.Second },
			[]string{"CANDOR_DB_CONN_MAX_LIFETIME range"}},
		{"a connection lifetime above a day is rejected", validReal, api, func(c *configs.Config) { c.DBConnMaxLifetime = 25 * time.Hour },
			[]string{"CANDOR_DB_CONN_MAX_LIFETIME range"}},
		{"a shutdown timeout below a second is rejected", validReal, api, func(c *configs.Config) { c.ShutdownTimeout = 500 * time.Millisecond },
			[]string{"CANDOR_SHUTDOWN_TIMEOUT range"}},
		{"a shutdown timeout above ten minutes is rejected", validReal, api, func(c *configs.Config) { c.ShutdownTimeout = 11 * time.Minute },
			[]string{"CANDOR_SHUTDOWN_TIMEOUT range"}},
		{"an unknown log level is rejected", validReal, api, func(c *configs.Config) { c.LogLevel = "verbose" },
			[]string{"CANDOR_LOG_LEVEL enum"}},

		{"a database URL alone is valid for candor migrate", validReal, migrate, func(c *configs.Config) {
			c.RedisURL, c.SecretKey, c.SecretKeyPrevious, c.AdminAPIKey = "", "", "", ""
		}, nil},
		{"a complete real configuration is valid for candor migrate", validReal, migrate, func(c *configs.Config) {}, nil},
		{"the defaults are valid for candor migrate, which then migrates the embedded file", configs.Defaults, migrate, func(c *configs.Config) {}, nil},
		{"candor migrate of the embedded file needs a data directory", configs.Defaults, migrate, func(c *configs.Config) { c.DataDir = "" },
			[]string{"CANDOR_DATA_DIR required"}},
		{"Redis without a database is a confusing mix for candor migrate too", validReal, migrate, func(c *configs.Config) { c.DatabaseURL = "" },
			[]string{"CANDOR_DATABASE_URL backend_pair"}},
		{"candor migrate still rejects a database URL with another scheme", validReal, migrate, func(c *configs.Config) { c.DatabaseURL = "mysql://db/candor" },
			[]string{"CANDOR_DATABASE_URL url_scheme"}},
		{"candor migrate still checks the settings that are set", validReal, migrate, func(c *configs.Config) {
			c.RedisURL, c.SecretKey, c.SMTP.Port = "http://redis:6379", "short", 0
		}, []string{"CANDOR_REDIS_URL url_scheme", "CANDOR_SECRET_KEY min_length", "CANDOR_SMTP_PORT range"}},

		{"every problem is reported at once", validReal, api, func(c *configs.Config) {
			c.RedisURL, c.SMTP.Port, c.EmailRate, c.LogLevel = "", 0, "", "loud"
		}, []string{"CANDOR_REDIS_URL backend_pair", "CANDOR_SMTP_PORT range", "CANDOR_EMAIL_RATE rate", "CANDOR_LOG_LEVEL enum"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.base()
			tt.modify(c)
			if diff := cmp.Diff(tt.want, rules(t, c.Validate(tt.mode)), sortStrings); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateMessageHasOneLinePerProblem(t *testing.T) {
	c := validReal()
	c.SMTP.Port, c.LogLevel = 0, "verbose"
	want := "CANDOR_SMTP_PORT: must be 1-65535, got 0\n" +
		`CANDOR_LOG_LEVEL: must be debug, info, warn or error, got "verbose"`
	err := c.Validate(configs.ModeReal)
	if err == nil {
		t.Fatal("Validate succeeded, want two problems")
	}
	if diff := cmp.Diff(want, err.Error()); diff != "" {
		t.Errorf("message (-want +got):\n%s", diff)
	}
}

func TestValidateNeverQuotesSecrets(t *testing.T) {
	secrets := []string{"tooshort-key-1", "tooshort-key-2", "adminsecret3", "dbsecret4", "redissecret5", "smssecret6", "smtpsecret7", "tokensecret8"}
	c := configs.Defaults()
	c.SecretKey = secrets[0]
	c.SecretKeyPrevious = secrets[1]
	c.AdminAPIKey = secrets[2]
	c.DatabaseURL = "postgres://candor:" + secrets[3] + "@db/%zz"
	c.RedisURL = "http://:" + secrets[4] + "@redis:6379"
	c.SMS.URL = "ftp://" + secrets[5] + "@sms.example.com"
	c.SMTP.Password = secrets[6]
	c.SMS.Token = secrets[7]

	err := c.Validate(configs.ModeReal)
	if err == nil {
		t.Fatal("Validate succeeded, want problems")
	}
	wantVars := []string{"CANDOR_SECRET_KEY min_length", "CANDOR_SECRET_KEY_PREVIOUS min_length", "CANDOR_ADMIN_API_KEY format",
		"CANDOR_DATABASE_URL url", "CANDOR_REDIS_URL url_scheme", "CANDOR_SMS_URL url_scheme", "CANDOR_SMS_ACCOUNT_SID required",
		"CANDOR_SMTP_HOST required", "CANDOR_SMTP_USERNAME required"}
	if diff := cmp.Diff(wantVars, rules(t, err), sortStrings); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	for _, s := range secrets {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error message contains the secret %q:\n%v", s, err)
		}
	}
}

func TestPreviousSecretKeyEndsWithTheRotation(t *testing.T) {
	end := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	prev := strings.Repeat("p", 32)
	tests := []struct {
		name  string
		until string
		now   time.Time
		want  string
	}{
		{"without an end the previous key is always handed out", "", end.Add(1000 * time.Hour), prev},
		{"before the end it is handed out", end.Format(time.RFC3339), end.Add(-time.Second), prev},
		{"from the end on it is withheld", end.Format(time.RFC3339), end, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := configs.Defaults()
			c.SecretKeyPrevious, c.SecretKeyPreviousUntil = prev, tt.until
			if got := c.PreviousSecretKey(tt.now); got != tt.want {
				t.Errorf("PreviousSecretKey = %q, want %q", got, tt.want)
			}
			if got := c.TokenPolicy().PreviousUntil; tt.until != "" && !got.Equal(end) {
				t.Errorf("TokenPolicy().PreviousUntil = %v, want %v", got, end)
			}
		})
	}
}
