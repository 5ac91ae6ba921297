package store

import (
	"sync"
	"time"
)

// APIKeyCacheTTL is how long a process trusts an API key it verified
// without asking the database again. Issue 17 profiled GET customer at 16
// clients: authentication was one of its three round trips (the key, the
// rate limit, the customer). A key revoked through this process stops
// working here at once; other processes notice within this time, which
// docs/operations.md states. Unknown and revoked keys are never cached,
// so a new key works at once and a wrong one always asks the database.
const APIKeyCacheTTL = 2 * time.Second

// apiKeyCache holds verified API keys by the hash of their secret.
type apiKeyCache struct {
	mu      sync.Mutex
	entries map[string]cachedAPIKey
}

// cachedAPIKey is a verified key's row and when it stops being trusted.
type cachedAPIKey struct {
	row   apiKeyRow
	until time.Time
}

// get returns the row verified for hash, if it was verified less than
// APIKeyCacheTTL before now.
func (c *apiKeyCache) get(hash string, now time.Time) (apiKeyRow, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[hash]
	if !ok {
		return apiKeyRow{}, false
	}
	if !now.Before(e.until) {
		delete(c.entries, hash)
		return apiKeyRow{}, false
	}
	return e.row, true
}

// put trusts row, just verified against the database, until now + TTL.
func (c *apiKeyCache) put(hash string, row apiKeyRow, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]cachedAPIKey{}
	}
	c.entries[hash] = cachedAPIKey{row: row, until: now.Add(APIKeyCacheTTL)}
}

// touch records a last-use time written for the cached key of hash.
func (c *apiKeyCache) touch(hash string, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[hash]; ok {
		e.row.LastUsedAt = &at
		c.entries[hash] = e
	}
}

// forget drops every cached key: a revocation in this process takes
// effect in it at once.
func (c *apiKeyCache) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
}
