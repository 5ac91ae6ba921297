package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/candor/candor/internal/testenv"
)

// shCommand is one command of a README `sh` block: its text without
// comments (continuation lines and multi-line quotes joined) and the
// status the README says it answers ("# -> 201"), 0 when it says none.
type shCommand struct {
	text   string
	status int
}

var statusRE = regexp.MustCompile(`->\s*([1-5][0-9][0-9])\b`)

// readmeSession returns the commands of the `sh` blocks under the
// README's "A first session with curl", in order.
func readmeSession(tb testing.TB) []shCommand {
	tb.Helper()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		tb.Fatal(err)
	}
	text := string(data)
	start := strings.Index(text, "## A first session with curl")
	if start < 0 {
		tb.Fatal(`README has no "## A first session with curl" section`)
	}
	text = text[start:]
	if end := strings.Index(text[3:], "\n## "); end >= 0 {
		text = text[:end+3]
	}
	var cmds []shCommand
	for _, block := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(text, -1) {
		cmds = append(cmds, splitShell(block[1])...)
	}
	return cmds
}

// splitShell splits shell text into commands: a command ends at a newline
// outside quotes that does not follow a backslash. Comments are dropped,
// except that the first "-> NNN" in the comments after a command, up to
// the next command, is its documented status.
func splitShell(src string) []shCommand {
	var cmds []shCommand
	var cur strings.Builder
	var single, double, comment bool
	flush := func() {
		if t := strings.TrimSpace(cur.String()); t != "" {
			cmds = append(cmds, shCommand{text: t})
		}
		cur.Reset()
	}
	var note strings.Builder
	attach := func() {
		if m := statusRE.FindStringSubmatch(note.String()); m != nil && len(cmds) > 0 && cmds[len(cmds)-1].status == 0 {
			cmds[len(cmds)-1].status, _ = strconv.Atoi(m[1])
		}
		note.Reset()
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case comment:
			if c == '\n' {
				comment = false
				attach()
				if !single && !double && !strings.HasSuffix(strings.TrimRight(cur.String(), " "), "\\") {
					flush()
				}
				continue
			}
			note.WriteByte(c)
			continue
		case c == '\'' && !double:
			single = !single
		case c == '"' && !single:
			double = !double
		case c == '#' && !single && !double && (i == 0 || src[i-1] == ' ' || src[i-1] == '\n'):
			if strings.TrimSpace(cur.String()) != "" && !strings.HasSuffix(strings.TrimRight(cur.String(), " "), "\\") {
				flush() // a trailing comment belongs to the command before it
			}
			comment = true
			continue
		case c == '\n' && !single && !double:
			if strings.HasSuffix(strings.TrimRight(cur.String(), " "), "\\") {
				cur.WriteByte(c)
				continue
			}
			flush()
			continue
		}
		cur.WriteByte(c)
	}
	flush()
	attach()
	return cmds
}

func TestSplitShellFindsCommandsAndTheirStatuses(t *testing.T) {
	src := "curl -s -X PUT x -d '{\n  \"a\": 1}'   # -> 201\n" +
		"curl -s y \\\n  -d 'z'\n# -> 422 {\"type\": ...\n#   more\n" +
		"curl -s w  # no status here\n"
	got := splitShell(src)
	want := []shCommand{
		{text: "curl -s -X PUT x -d '{\n  \"a\": 1}'", status: 201},
		{text: "curl -s y \\\n  -d 'z'", status: 422},
		{text: "curl -s w", status: 0},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d commands %+v, want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("command %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// placeholders are the README's stand-ins for values of earlier answers.
var placeholders = []struct{ text, field string }{
	{"http://localhost:8080/u/AnUA...", "unsubscribe_url"},
	{"CURSOR", "next_cursor"},
}

// TestReadmeFirstSessionRunsAsDocumented runs every curl of the README's
// first session with the real curl against a started Candor (the
// documented `apikey create` included) and checks the status the README
// states for it. It also holds the README's words on the embedded mode's
// first log line and on links following CANDOR_HTTP_ADDR.
func TestReadmeFirstSessionRunsAsDocumented(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Fatal("this test runs the README's examples with curl, which is not installed: install curl")
	}
	cmds := readmeSession(t)
	curls := 0
	for _, c := range cmds {
		if strings.HasPrefix(c.text, "curl ") {
			curls++
			if c.status == 0 {
				t.Errorf("the README states no status (# -> NNN) for:\n%s", c.text)
			}
		}
	}
	if curls < 10 {
		t.Fatalf("found only %d curl commands in the README's first session", curls)
	}
	for _, backend := range testenv.Backends() {
		t.Run(backend, func(t *testing.T) {
			e := backendEnv(t, backend)
			delete(e, "CANDOR_PUBLIC_URL") // the README's links follow the listen address
			if backend == "postgres" {
				if code, _, stderr := run(t, e, "migrate"); code != 0 {
					t.Fatalf("migrate exit %d: %s", code, stderr)
				}
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			logs := &syncBuffer{}
			done := make(chan int, 1)
			go func() { done <- execute(ctx, []string{"run"}, io.Discard, logs, e.get) }()
			addr := e["CANDOR_HTTP_ADDR"]
			waitHealthy(t, "http://"+addr, done, logs)

			if backend == "sqlite" {
				first, _, _ := strings.Cut(logs.String(), "\n")
				if !strings.Contains(first, "embedded mode") || !strings.Contains(first, `"secret_key":"`+filepath.Join(e["CANDOR_DATA_DIR"], "secret.key")) {
					t.Errorf("the first log line does not announce the embedded mode and its secret key file:\n%s", first)
				}
			}
			if !strings.Contains(logs.String(), `"link_base":"http://`+addr+`"`) {
				t.Errorf("the start-up log does not say links use http://%s:\n%s", addr, logs.String())
			}

			values := map[string]string{}
			script := t.TempDir()
			var preamble []string
			for _, c := range cmds {
				switch {
				case strings.Contains(c.text, "go run ./cmd/candor apikey create"):
					values["KEY"] = readmeAPIKey(t, e, c.text)
				case strings.HasPrefix(c.text, "go run "):
					// Candor itself: started above.
				case strings.HasPrefix(c.text, "curl "):
					body := runReadmeCurl(t, curl, script, addr, values, preamble, c)
					var fields map[string]any
					if json.Unmarshal(body, &fields) == nil {
						for _, p := range placeholders {
							if v, ok := fields[p.field].(string); ok {
								values[p.field] = v
							}
						}
					}
				default:
					preamble = append(preamble, c.text)
				}
			}
			cancel()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("candor did not stop within 30s")
			}
		})
	}
}

// readmeAPIKey runs the README's `apikey create` arguments through the
// command line (while Candor runs, as the README orders it) and returns
// the key it prints.
func readmeAPIKey(t *testing.T, e env, text string) string {
	t.Helper()
	_, inner, _ := strings.Cut(text, "go run ./cmd/candor ")
	inner, _, _ = strings.Cut(inner, ")")
	out, err := exec.Command("bash", "-c", `printf '%s\0' `+inner).Output()
	if err != nil {
		t.Fatalf("split %q: %v", inner, err)
	}
	args := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	code, key, stderr := run(t, e, args...)
	if key = strings.TrimSpace(key); code != 0 || !strings.HasPrefix(key, "cnd_") {
		t.Fatalf("candor %s: exit %d, stdout %q, stderr %s", strings.Join(args, " "), code, key, stderr)
	}
	return key
}

// runReadmeCurl runs one README curl with the address and placeholders
// substituted and checks its documented status; it returns the body.
func runReadmeCurl(t *testing.T, curl, dir, addr string, values map[string]string, preamble []string, c shCommand) []byte {
	t.Helper()
	text := c.text
	for _, p := range placeholders {
		if strings.Contains(text, p.text) {
			v, ok := values[p.field]
			if !ok {
				t.Fatalf("no earlier answer gave %s for %q in:\n%s", p.field, p.text, text)
			}
			text = strings.ReplaceAll(text, p.text, v)
		}
	}
	text = strings.ReplaceAll(text, "localhost:8080", addr)
	bodyFile := filepath.Join(dir, "body")
	script := strings.Join(preamble, "\n") + "\n" + strings.Replace(text, "curl ", curl+" ", 1) +
		" -o " + bodyFile + " -w '%{http_code}'"
	cmd := exec.Command("bash", "-c", script)
	cmd.Env = append(os.Environ(), "KEY="+values["KEY"])
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s\n%s", err, out, c.text)
	}
	body, _ := os.ReadFile(bodyFile)
	if got := strings.TrimSpace(string(out)); got != strconv.Itoa(c.status) {
		t.Errorf("README says %d, got %s for:\n%s\nbody: %s", c.status, got, c.text, body)
	}
	return body
}
