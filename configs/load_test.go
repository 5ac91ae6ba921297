package configs_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/candor/candor/configs"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestLoadPrecedence(t *testing.T) {
	const file = `
http_addr: ":9000"
public_url: "https://file.example.com/"
worker_concurrency: 5
shutdown_timeout: 45s
webhook_allow_private: true
smtp:
  host: smtp.file.example.com
  port: 2525
  from: news@example.com
sms:
  token: file-token
`
	tests := []struct {
		name   string
		file   string
		env    map[string]string
		modify func(want *configs.Config)
	}{
		{"the environment overrides defaults without a file", "", map[string]string{
			"CANDOR_HTTP_ADDR":             "127.0.0.1:8081",
			"CANDOR_DATABASE_URL":          "postgres://db/candor",
			"CANDOR_REDIS_URL":             "redis://cache:6379/1",
			"CANDOR_SMTP_PORT":             "465",
			"CANDOR_SMTP_TLS":              "TLS",
			"CANDOR_WEBHOOK_ALLOW_PRIVATE": "true",
			"CANDOR_MAX_BODY_BYTES":        "2048",
			"CANDOR_SHUTDOWN_TIMEOUT":      "1m30s",
			"CANDOR_LOG_LEVEL":             "DEBUG",
		}, func(w *configs.Config) {
			w.HTTPAddr, w.DatabaseURL, w.RedisURL = "127.0.0.1:8081", "postgres://db/candor", "redis://cache:6379/1"
			w.SMTP.Port, w.SMTP.TLS = 465, "tls"
			w.WebhookAllowPrivate, w.MaxBodyBytes, w.ShutdownTimeout, w.LogLevel = true, 2048, 90*time.Second, "debug"
		}},
		{"the file overrides defaults and keeps the rest", file, nil, func(w *configs.Config) {
			w.HTTPAddr, w.PublicURL, w.WorkerConcurrency = ":9000", "https://file.example.com", 5
			w.ShutdownTimeout, w.WebhookAllowPrivate = 45*time.Second, true
			w.SMTP = configs.SMTP{Host: "smtp.file.example.com", Port: 2525, From: "news@example.com", TLS: "starttls"}
			w.SMS.Token = "file-token"
		}},
		{"the environment overrides the file", file, map[string]string{
			"CANDOR_HTTP_ADDR":             ":7000",
			"CANDOR_SMTP_PORT":             "25",
			"CANDOR_SMS_TOKEN":             "env-token",
			"CANDOR_WEBHOOK_ALLOW_PRIVATE": "false",
			"CANDOR_SHUTDOWN_TIMEOUT":      "5s",
		}, func(w *configs.Config) {
			w.HTTPAddr, w.PublicURL, w.WorkerConcurrency = ":7000", "https://file.example.com", 5
			w.ShutdownTimeout, w.WebhookAllowPrivate = 5*time.Second, false
			w.SMTP = configs.SMTP{Host: "smtp.file.example.com", Port: 25, From: "news@example.com", TLS: "starttls"}
			w.SMS.Token = "env-token"
		}},
		{"an empty variable leaves the file's value", file, map[string]string{
			"CANDOR_HTTP_ADDR": "",
			"CANDOR_SMTP_HOST": "",
		}, func(w *configs.Config) {
			w.HTTPAddr, w.PublicURL, w.WorkerConcurrency = ":9000", "https://file.example.com", 5
			w.ShutdownTimeout, w.WebhookAllowPrivate = 45*time.Second, true
			w.SMTP = configs.SMTP{Host: "smtp.file.example.com", Port: 2525, From: "news@example.com", TLS: "starttls"}
			w.SMS.Token = "file-token"
		}},
		{"an empty file keeps the defaults", "# nothing set\n", nil, func(w *configs.Config) {}},
		{"every trailing slash of the public URL is removed", "", map[string]string{
			"CANDOR_PUBLIC_URL": "https://candor.example.com/base//",
		}, func(w *configs.Config) { w.PublicURL = "https://candor.example.com/base" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range tt.env {
				env[k] = v
			}
			if tt.file != "" {
				env["CANDOR_CONFIG"] = writeFile(t, "candor.yaml", tt.file)
			}
			got, err := configs.Load(envFrom(env))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			want := configs.Defaults()
			tt.modify(want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name    string
		file    string // written to a file named by CANDOR_CONFIG unless empty
		env     map[string]string
		want    []string
		message string // a line the error must contain
	}{
		{"an unknown top-level key in the file is rejected", "http_addr: \":80\"\nsmpt:\n  host: x\n", nil,
			[]string{"CANDOR_CONFIG yaml"}, `line 2: unknown setting "smpt"`},
		{"an unknown key inside a section is rejected", "smtp:\n  hots: smtp.example.com\n", nil,
			[]string{"CANDOR_CONFIG yaml"}, `line 2: unknown setting "hots"`},
		{"a value of the wrong type in the file is rejected", "worker_concurrency: many\n", nil,
			[]string{"CANDOR_CONFIG yaml"}, "line 1: cannot unmarshal"},
		{"malformed YAML is rejected", "http_addr: [\n", nil,
			[]string{"CANDOR_CONFIG yaml"}, "yaml:"},
		{"a missing file is rejected", "", map[string]string{"CANDOR_CONFIG": "/nonexistent/candor.yaml"},
			[]string{"CANDOR_CONFIG file"}, "CANDOR_CONFIG: cannot read the config file"},
		{"a port that is not a number is rejected", "", map[string]string{"CANDOR_SMTP_PORT": "smtp"},
			[]string{"CANDOR_SMTP_PORT parse"}, `CANDOR_SMTP_PORT: must be a whole number, got "smtp"`},
		{"a concurrency that is not a number is rejected", "", map[string]string{"CANDOR_WORKER_CONCURRENCY": "lots"},
			[]string{"CANDOR_WORKER_CONCURRENCY parse"}, `CANDOR_WORKER_CONCURRENCY: must be a whole number, got "lots"`},
		{"a body limit that is not a number is rejected", "", map[string]string{"CANDOR_MAX_BODY_BYTES": "1MB"},
			[]string{"CANDOR_MAX_BODY_BYTES parse"}, `CANDOR_MAX_BODY_BYTES: must be a whole number, got "1MB"`},
		{"a flag that is not a boolean is rejected", "", map[string]string{"CANDOR_WEBHOOK_ALLOW_PRIVATE": "maybe"},
			[]string{"CANDOR_WEBHOOK_ALLOW_PRIVATE parse"}, `CANDOR_WEBHOOK_ALLOW_PRIVATE: must be true or false, got "maybe"`},
		{"a timeout without a unit is rejected", "", map[string]string{"CANDOR_SHUTDOWN_TIMEOUT": "20"},
			[]string{"CANDOR_SHUTDOWN_TIMEOUT parse"}, `CANDOR_SHUTDOWN_TIMEOUT: must be a duration such as 20s or 1m30s, got "20"`},
		{"file and environment problems are reported together", "smpt: {}\n", map[string]string{
			"CANDOR_SMTP_PORT": "x", "CANDOR_SHUTDOWN_TIMEOUT": "soon",
		}, []string{"CANDOR_CONFIG yaml", "CANDOR_SMTP_PORT parse", "CANDOR_SHUTDOWN_TIMEOUT parse"}, "CANDOR_SMTP_PORT: must be a whole number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range tt.env {
				env[k] = v
			}
			if tt.file != "" {
				env["CANDOR_CONFIG"] = writeFile(t, "candor.yaml", tt.file)
			}
			c, err := configs.Load(envFrom(env))
			if err == nil {
				t.Fatalf("Load succeeded with %+v, want an error", c)
			}
			if diff := cmp.Diff(tt.want, rules(t, err), sortStrings); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if !strings.Contains(err.Error(), tt.message) {
				t.Errorf("error %q does not contain %q", err, tt.message)
			}
		})
	}
}

func TestLoadAndValidateReportsUnreadableAndInvalidValuesTogether(t *testing.T) {
	env := map[string]string{"CANDOR_SMTP_PORT": "abc", "CANDOR_SMTP_TLS": "maybe", "CANDOR_WORKER_CONCURRENCY": "0"}
	_, err := configs.LoadAndValidate(func(k string) string { return env[k] }, configs.ModeEmbedded)
	var cerr *configs.Error
	if !errors.As(err, &cerr) {
		t.Fatalf("err = %v, want *configs.Error", err)
	}
	var vars []string
	for _, p := range cerr.Problems {
		vars = append(vars, p.Var)
	}
	want := []string{"CANDOR_SMTP_PORT", "CANDOR_SMTP_TLS", "CANDOR_WORKER_CONCURRENCY"}
	if diff := cmp.Diff(want, vars, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("problem variables (-want +got):\n%s", diff)
	}
}
