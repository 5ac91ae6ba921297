package main

import (
	"strings"
	"testing"
)

func TestApikeyCreateNeedsAnOwner(t *testing.T) {
	e := env{"CANDOR_DATA_DIR": t.TempDir()}
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"without owner flags", []string{"--name", "n", "--role", "admin"}, "owner-"},
		{"with an owner email that is not one", []string{"--name", "n", "--role", "admin", "--owner-name", "Ada", "--owner-email", "ada"}, "--owner-email"},
		{"with an empty owner name", []string{"--name", "n", "--role", "admin", "--owner-name", "", "--owner-email", "ada@example.com"}, "--owner-name"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := run(t, e, append([]string{"apikey", "create"}, tt.args...)...)
			if code == 0 || stdout != "" || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want a failure naming %s", code, stdout, stderr, tt.want)
			}
		})
	}
	if code, _, stderr := run(t, e, "migrate"); code != 0 { // apikey needs an existing database
		t.Fatalf("migrate: exit %d: %s", code, stderr)
	}
	code, _, stderr := run(t, e, "apikey", "create", "--name", "laptop", "--role", "admin", "--owner-name", "Ada Admin", "--owner-email", "ada@example.com")
	if code != 0 {
		t.Fatalf("apikey create: exit %d: %s", code, stderr)
	}
	code, list, stderr := run(t, e, "apikey", "list")
	if code != 0 || !strings.Contains(list, "OWNER") || !strings.Contains(list, "ada@example.com") {
		t.Errorf("apikey list: exit %d, stdout %q, stderr %s; want the owner", code, list, stderr)
	}
}
