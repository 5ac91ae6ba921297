//go:build unix

package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// lockSQLitePlanning takes the embedded database's planning lock and
// returns the function that releases it; it waits until ctx ends. A
// SQLite launch no longer holds the database's one writer while it plans
// (see campaign_launch_sqlite.go), so planners need a lock of their own:
// an exclusive flock on a file beside the database. It holds across every
// process that opens the file, and across two Stores of one process too,
// because each call opens the file anew and a flock belongs to the open
// file. The kernel drops it when the process dies, so a launch that
// crashed never leaves it taken. flock cannot wait for a context, so it
// is tried without blocking, a few times a second.
func lockSQLitePlanning(ctx context.Context, dbPath string) (func(), error) {
	f, err := os.OpenFile(dbPath+"-plan.lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: open the planning lock: %w", err)
	}
	wait := time.Millisecond
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			// Closing the file releases the lock.
			return func() { f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("store: take the planning lock: %w", err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 50*time.Millisecond)
	}
}
