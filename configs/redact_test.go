package configs_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/candor/candor/configs"
)

func TestRedaction(t *testing.T) {
	c := validReal()
	c.SecretKey = "secret-key-0123456789-0123456789-0123"
	c.SecretKeyPrevious = "previous-key-0123456789-0123456789-01"
	c.AdminAPIKey = "cnd_adminkeysecret0123456789"
	c.DatabaseURL = "postgres://candor:dbpassword@db.internal:5432/candor?sslmode=disable&password=querypassword"
	c.RedisURL = "rediss://redisuser:redispassword@cache.internal:6380/0"
	c.SMTP.Password = "smtppassword"
	c.SMS.URL = "https://smsuser:smsurlpassword@sms.example.com/v1/acct-smspathtoken/messages?key=smsquerykey"
	c.SMS.Token = "smsbearertoken"
	c.WebhookChannelURL = "https://hooks.example.com/services/webhookpathtoken"
	c.MetricsToken = "metricsbearertoken"
	hidden := []string{
		c.SecretKey, c.SecretKeyPrevious, c.AdminAPIKey, "dbpassword", "querypassword", "redisuser", "redispassword",
		"smtppassword", "smsuser", "smsurlpassword", "smspathtoken", "smsquerykey", "smsbearertoken", "webhookpathtoken", "metricsbearertoken",
	}
	// Values that must stay visible, so the test fails if redaction
	// simply blanks everything.
	shown := []string{"db.internal:5432/candor", "cache.internal:6380/0", "https://sms.example.com", "https://hooks.example.com", "smtp.example.com", "[redacted]"}

	var jsonLog, textLog bytes.Buffer
	slog.New(slog.NewJSONHandler(&jsonLog, nil)).Info("starting", "config", c)
	slog.New(slog.NewTextHandler(&textLog, nil)).Info("starting", "config", *c)
	outputs := map[string]string{
		"a JSON log line":            jsonLog.String(),
		"a text log line":            textLog.String(),
		"%v of a pointer":            fmt.Sprintf("%v", c),
		"%+v of a value":             fmt.Sprintf("%+v", *c),
		"%#v of a value":             fmt.Sprintf("%#v", *c),
		"String":                     c.String(),
		"%v of the SMTP section":     fmt.Sprintf("%v", c.SMTP),
		"%#v of the SMS section":     fmt.Sprintf("%#v", c.SMS),
		"a log line of a section":    logLine(c.SMS),
		"%+v of a section's pointer": fmt.Sprintf("%+v", &c.SMTP),
	}
	for name, out := range outputs {
		t.Run(name+" hides every secret", func(t *testing.T) {
			for _, s := range hidden {
				if strings.Contains(out, s) {
					t.Errorf("output contains %q:\n%s", s, out)
				}
			}
		})
	}
	for _, name := range []string{"a JSON log line", "a text log line", "String"} {
		t.Run(name+" keeps what identifies each backend", func(t *testing.T) {
			for _, s := range shown {
				if !strings.Contains(outputs[name], s) {
					t.Errorf("output lacks %q:\n%s", s, outputs[name])
				}
			}
		})
	}
}

func TestRedactionOfValuesThatAreNotURLs(t *testing.T) {
	c := configs.Defaults()
	c.DatabaseURL = "host=db user=candor password=dsnpassword"
	c.RedisURL = "cache:6379 redispassword"
	out := logLine(c)
	for _, s := range []string{"dsnpassword", "redispassword"} {
		if strings.Contains(out, s) {
			t.Errorf("log line contains %q:\n%s", s, out)
		}
	}
	if !strings.Contains(out, "not a URL") {
		t.Errorf("log line does not say the value is not a URL:\n%s", out)
	}
}

// logLine returns v as logged by a JSON handler.
func logLine(v any) string {
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "value", v)
	return buf.String()
}
