package configs_test

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/candor/candor/configs"
	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

func TestVars(t *testing.T) {
	// The public contract of DESIGN.md and the README: renaming a variable
	// breaks deployments, so it must fail here first.
	want := []string{
		"CANDOR_CONFIG", "CANDOR_HTTP_ADDR", "CANDOR_DATABASE_URL", "CANDOR_REDIS_URL", "CANDOR_DATA_DIR",
		"CANDOR_SECRET_KEY", "CANDOR_SECRET_KEY_PREVIOUS", "CANDOR_SECRET_KEY_PREVIOUS_UNTIL", "CANDOR_PREFERENCE_LINK_MAX_AGE", "CANDOR_DOUBLE_OPT_IN_EXPIRY",
		"CANDOR_ADMIN_API_KEY", "CANDOR_PUBLIC_URL",
		"CANDOR_DEFAULT_TIMEZONE", "CANDOR_DEFAULT_WINDOWS", "CANDOR_MAX_MESSAGES_PER_CUSTOMER",
		"CANDOR_SMTP_HOST", "CANDOR_SMTP_PORT", "CANDOR_SMTP_USERNAME", "CANDOR_SMTP_PASSWORD", "CANDOR_SMTP_FROM", "CANDOR_SMTP_TLS",
		"CANDOR_SMS_URL", "CANDOR_SMS_ACCOUNT_SID", "CANDOR_SMS_TOKEN", "CANDOR_SMS_FROM", "CANDOR_WEBHOOK_CHANNEL_URL",
		"CANDOR_WEBHOOK_CHANNEL_SECRET", "CANDOR_EMAIL_RATE", "CANDOR_SMS_RATE", "CANDOR_WEBHOOK_RATE", "CANDOR_WEBHOOK_ALLOW_PRIVATE", "CANDOR_WEBHOOK_DISABLE_AFTER_FAILURES",
		"CANDOR_METRICS_TOKEN", "CANDOR_WORKER_CONCURRENCY", "CANDOR_WORKER_LEASE", "CANDOR_WORKER_ADDR", "CANDOR_MAX_BODY_BYTES", "CANDOR_API_RATE_LIMIT",
		"CANDOR_PAGE_RATE_LIMIT", "CANDOR_PAGE_CLIENT_RATE_LIMIT",
		"CANDOR_SHUTDOWN_TIMEOUT",
		"CANDOR_DB_STATEMENT_TIMEOUT", "CANDOR_DB_PREVIEW_TIMEOUT", "CANDOR_DB_MAX_CONNS", "CANDOR_DB_CONN_MAX_LIFETIME", "CANDOR_LOG_LEVEL",
	}
	var got, secret []string
	for _, v := range configs.Vars() {
		got = append(got, v.Name)
		if v.Secret {
			secret = append(secret, v.Name)
		}
		if v.Description == "" {
			t.Errorf("%s has no description", v.Name)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("variables (-want +got):\n%s", diff)
	}
	wantSecret := []string{
		"CANDOR_DATABASE_URL", "CANDOR_REDIS_URL", "CANDOR_SECRET_KEY", "CANDOR_SECRET_KEY_PREVIOUS", "CANDOR_ADMIN_API_KEY",
		"CANDOR_SMTP_PASSWORD", "CANDOR_SMS_URL", "CANDOR_SMS_TOKEN", "CANDOR_WEBHOOK_CHANNEL_URL", "CANDOR_WEBHOOK_CHANNEL_SECRET", "CANDOR_METRICS_TOKEN",
	}
	if diff := cmp.Diff(wantSecret, secret); diff != "" {
		t.Errorf("variables that may hold a secret (-want +got):\n%s", diff)
	}
}

func TestLoadReportsEveryTypedVariableByName(t *testing.T) {
	// Load maps the env library's errors, which name Go fields, back to
	// variables; a second field of the same name and type would break it.
	typed := regexp.MustCompile(`^([0-9]+[a-z]*|true|false)$`) // defaults of numbers, durations and flags
	for _, v := range configs.Vars() {
		if !typed.MatchString(v.Default) {
			continue
		}
		t.Run(v.Name+" names itself when it cannot be parsed", func(t *testing.T) {
			_, err := configs.Load(envFrom(map[string]string{v.Name: "not-a-value"}))
			if diff := cmp.Diff([]string{v.Name + " parse"}, rules(t, err)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestExampleConfig(t *testing.T) {
	const path = "candor.example.yaml"
	t.Run("it loads, validates and equals the defaults", func(t *testing.T) {
		c, err := configs.Load(envFrom(map[string]string{"CANDOR_CONFIG": path}))
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if err := c.Validate(configs.ModeEmbedded); err != nil {
			t.Errorf("Validate:\n%v", err)
		}
		if diff := cmp.Diff(configs.Defaults(), c); diff != "" {
			t.Errorf("example values differ from the defaults (-defaults +example):\n%s", diff)
		}
	})
	t.Run("it sets and comments every setting", func(t *testing.T) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := yaml.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		for _, v := range configs.Vars() {
			if v.Key != "" && !hasKey(doc, v.Key) {
				t.Errorf("key %s (%s) is missing", v.Key, v.Name)
			}
			if !strings.Contains(string(data), "# "+v.Name) {
				t.Errorf("no comment names %s", v.Name)
			}
		}
	})
}

// hasKey reports whether the dotted path is a key of the YAML mapping m.
func hasKey(m map[string]any, path string) bool {
	head, rest, nested := strings.Cut(path, ".")
	v, ok := m[head]
	if !ok || !nested {
		return ok
	}
	sub, ok := v.(map[string]any)
	return ok && hasKey(sub, rest)
}

// dockerfileVarRE finds the CANDOR_ variables an ENV instruction sets.
var dockerfileVarRE = regexp.MustCompile(`\bCANDOR_[A-Z_]+=`)

func TestDeploymentFiles(t *testing.T) {
	known := map[string]bool{}
	for _, v := range configs.Vars() {
		known[v.Name] = true
	}

	t.Run("the Dockerfile sets only known variables", func(t *testing.T) {
		f, err := os.Open("../Dockerfile")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		var names []string
		for sc := bufio.NewScanner(f); sc.Scan(); {
			names = append(names, dockerfileVarRE.FindAllString(sc.Text(), -1)...)
		}
		if len(names) == 0 {
			t.Fatal("the Dockerfile sets no CANDOR_ variable; expected at least CANDOR_DATA_DIR")
		}
		for _, n := range names {
			if !known[strings.TrimSuffix(n, "=")] {
				t.Errorf("the Dockerfile sets unknown variable %s", n)
			}
		}
	})

	var compose struct {
		Services map[string]struct {
			Command     []string          `yaml:"command"`
			Environment map[string]string `yaml:"environment"`
		} `yaml:"services"`
	}
	data, err := os.ReadFile("../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &compose); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	hostEnv := map[string]string{"CANDOR_SECRET_KEY": strings.Repeat("s", 48)}
	for _, command := range []string{"migrate", "api", "worker"} {
		t.Run("the "+command+" service is configured for real backends", func(t *testing.T) {
			var env map[string]string
			for _, svc := range compose.Services {
				if slices.Equal(svc.Command, []string{command}) {
					env = svc.Environment
				}
			}
			if env == nil {
				t.Fatalf("no service runs candor %s with an environment", command)
			}
			resolved := map[string]string{}
			for name, value := range env {
				if !known[name] {
					t.Errorf("unknown variable %s", name)
				}
				v, err := interpolate(value, hostEnv)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				resolved[name] = v
			}
			c, err := configs.Load(envFrom(resolved))
			if err != nil {
				t.Fatalf("Load:\n%v", err)
			}
			if err := c.Validate(configs.ModeReal); err != nil {
				t.Errorf("Validate:\n%v", err)
			}
		})
	}
	t.Run("a missing secret key stops compose with a clear message", func(t *testing.T) {
		for _, svc := range compose.Services {
			if v, ok := svc.Environment["CANDOR_SECRET_KEY"]; ok {
				_, err := interpolate(v, nil)
				if err == nil || !strings.Contains(err.Error(), "set CANDOR_SECRET_KEY") {
					t.Errorf("interpolating %q without CANDOR_SECRET_KEY: error %v, want one saying to set it", v, err)
				}
			}
		}
	})
}

var composeVarRE = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([-?])([^}]*))?\}`)

// interpolate expands compose's ${NAME}, ${NAME:-default} and
// ${NAME:?error} forms the way docker compose does for set-or-empty
// variables.
func interpolate(s string, env map[string]string) (string, error) {
	var err error
	out := composeVarRE.ReplaceAllStringFunc(s, func(m string) string {
		sub := composeVarRE.FindStringSubmatch(m)
		if v := env[sub[1]]; v != "" {
			return v
		}
		if sub[2] == "?" {
			err = fmt.Errorf("required variable %s is missing a value: %s", sub[1], sub[3])
		}
		return sub[3]
	})
	return out, err
}
