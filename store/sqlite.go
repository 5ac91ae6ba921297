package store

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
)

// ownerOnlyFiles creates the SQLite file with mode 0600, like secret.key,
// and narrows an existing one and its WAL and shared-memory files to it:
// the database holds every customer's PII. SQLite gives the -wal and -shm
// files it creates the database file's mode.
func ownerOnlyFiles(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("create database file: %w", err)
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("make %s owner-only: %w", filepath.Base(p), err)
		}
	}
	return nil
}

// sqliteDSN turns a file path into a DSN: WAL lets readers proceed during a
// write, busy_timeout waits for the lock instead of failing, and
// _txlock=immediate takes the write lock at BEGIN so two transactions never
// deadlock upgrading from read to write ("database is locked").
func sqliteDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}
