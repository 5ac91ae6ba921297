package store_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/candor/candor/campaigns/segment"
	"github.com/candor/candor/store"
)

func TestTheSQLiteFileAndItsWALAreOwnerOnly(t *testing.T) {
	old := syscall.Umask(0o022) // the usual umask, which leaves files world-readable
	defer syscall.Umask(old)
	for _, tt := range []struct {
		name     string
		existing bool
	}{
		{"a new database is created 0600 with its WAL and shared memory", false},
		{"an existing database that others could read is made 0600", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "candor.db")
			if tt.existing {
				if err := os.WriteFile(path, nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			s, err := store.Open(context.Background(), store.Options{SQLitePath: path, Keys: testKeys(t), Rules: segment.Language{}})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := s.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			files, _ := filepath.Glob(path + "*")
			if len(files) < 2 {
				t.Fatalf("files %v: want the database and its WAL while it is open", files)
			}
			for _, f := range files {
				st, err := os.Stat(f)
				if err != nil {
					t.Fatal(err)
				}
				if st.Mode().Perm() != 0o600 {
					t.Errorf("%s has mode %v, want -rw-------", filepath.Base(f), st.Mode().Perm())
				}
			}
		})
	}
}
