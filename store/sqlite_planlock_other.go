//go:build !unix

package store

import (
	"context"
	"sync"
)

// planLocks are the planning locks of this process, by database file.
var planLocks sync.Map

// lockSQLitePlanning takes the embedded database's planning lock (see the
// unix version). Without flock it holds within this process only: the
// embedded mode runs one process.
func lockSQLitePlanning(ctx context.Context, dbPath string) (func(), error) {
	v, _ := planLocks.LoadOrStore(dbPath, make(chan struct{}, 1))
	ch := v.(chan struct{})
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
