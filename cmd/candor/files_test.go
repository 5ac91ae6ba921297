package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/candor/candor/internal/testenv"
)

func TestApikeyCreateKeepsTheKeyOutOfItsLog(t *testing.T) {
	e := backendEnv(t, testenv.Backends()[0])
	e["CANDOR_DATA_DIR"] = t.TempDir()
	delete(e, "CANDOR_DATABASE_URL")
	delete(e, "CANDOR_REDIS_URL")
	if code, _, stderr := run(t, e, "migrate"); code != 0 { // apikey needs an existing database
		t.Fatalf("migrate: exit %d: %s", code, stderr)
	}
	code, key, stderr := run(t, e, "apikey", "create", "--name", "quiet", "--role", "viewer", "--owner-name", "quiet", "--owner-email", "quiet@example.com")
	key = strings.TrimSpace(key)
	if code != 0 || !strings.HasPrefix(key, "cnd_") {
		t.Fatalf("apikey create: exit %d, stdout %q, stderr %s", code, key, stderr)
	}
	// The shortest part of the key that identifies it: the prefix the
	// store keeps for display (cnd_ and a few characters after it).
	if strings.Contains(stderr, key[:len("cnd_")+4]) || strings.Contains(stderr, "prefix") {
		t.Errorf("the log names the key's prefix:\n%s", stderr)
	}
}

func TestTheEmbeddedDatabaseFilesAreOnlyReadableByTheOwner(t *testing.T) {
	old := syscall.Umask(0o022) // the usual umask, which leaves files world-readable
	defer syscall.Umask(old)
	dir := t.TempDir()
	if code, _, stderr := run(t, env{"CANDOR_DATA_DIR": dir}, "migrate"); code != 0 {
		t.Fatalf("migrate: exit %d: %s", code, stderr)
	}
	code, _, stderr := run(t, env{"CANDOR_DATA_DIR": dir}, "apikey", "create", "--name", "perm", "--role", "viewer", "--owner-name", "perm", "--owner-email", "perm@example.com")
	if code != 0 {
		t.Fatalf("apikey create: exit %d: %s", code, stderr)
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(matches) < 2 {
		t.Fatalf("data dir holds %v, want the database and secret.key at least", matches)
	}
	for _, path := range matches {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %v, want no access for group and others", filepath.Base(path), st.Mode().Perm())
		}
	}
}
