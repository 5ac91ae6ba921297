package worker

import (
	"context"
	"crypto/hmac"
	"errors"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/candor/candor/models"
)

// HeadAnchor keeps the longest ledger head a verification found intact
// somewhere the database writer the ledger guards against cannot reach.
// The database's own records of earlier verifications can be deleted by
// that writer together with the events it cut off; an anchor outside the
// database makes such a rewind show across a restart too.
type HeadAnchor interface {
	// Head returns the anchored head, 0 when none is kept; an error
	// when it cannot be read or does not verify (then it is no floor).
	Head(ctx context.Context) (int64, error)
	// Raise keeps head if it is longer than the anchored one.
	Raise(ctx context.Context, head int64) error
}

// anchorKey is the Redis key of RedisHeadAnchor.
const anchorKey = "candor:ledger:head-anchor"

// errAnchorUnsealed: the anchored value is not one the ledger wrote.
var errAnchorUnsealed = errors.New("the ledger head anchor in Redis does not verify: it is no floor")

// RedisHeadAnchor is a HeadAnchor in Redis: "head:key id:MAC", sealed
// under the ledger key (models.LedgerAnchorMAC). A flushed Redis loses it
// (the next clean verification writes it again), and then misses a
// rewind. It is not tied to one database: a database recreated or
// restored while Redis keeps the anchor is reported as a rewind until an
// operator deletes the key (docs/operations.md), which for a restore is
// the point: the consent changes since the backup are gone.
type RedisHeadAnchor struct {
	rdb  *redis.Client
	keys models.LedgerKeys
}

// NewRedisHeadAnchor returns the anchor kept in rdb, sealed with keys.
func NewRedisHeadAnchor(rdb *redis.Client, keys models.LedgerKeys) *RedisHeadAnchor {
	return &RedisHeadAnchor{rdb: rdb, keys: keys}
}

// Head implements HeadAnchor. Errors are Redis's, or errAnchorUnsealed.
func (a *RedisHeadAnchor) Head(ctx context.Context) (int64, error) {
	head, _, err := a.read(ctx)
	return head, err
}

// read returns the anchored head and the id of the key that sealed it.
func (a *RedisHeadAnchor) read(ctx context.Context) (int64, string, error) {
	raw, err := a.rdb.Get(ctx, anchorKey).Result()
	if errors.Is(err, redis.Nil) {
		return 0, "", nil
	}
	if err != nil {
		return 0, "", err
	}
	parts := strings.Split(raw, ":")
	if len(parts) != 3 {
		return 0, "", errAnchorUnsealed
	}
	head, err := strconv.ParseInt(parts[0], 10, 64)
	key, ok := a.keys.LedgerKey(parts[1])
	if err != nil || !ok || !hmac.Equal([]byte(models.LedgerAnchorMAC(key, parts[1], head)), []byte(parts[2])) {
		return 0, "", errAnchorUnsealed
	}
	return head, parts[1], nil
}

// Raise implements HeadAnchor: it writes head, sealed under the current
// key, unless a value at least as long sealed under that key is there (a
// value sealed under the previous key is sealed again, before a second
// rotation retires that key). Only the lease holder of the ledger
// verification calls it, so the read and the write need no transaction.
// Errors are Redis's.
func (a *RedisHeadAnchor) Raise(ctx context.Context, head int64) error {
	kid, key := a.keys.CurrentLedgerKey()
	cur, curKey, err := a.read(ctx)
	if err != nil && !errors.Is(err, errAnchorUnsealed) {
		return err
	}
	if err == nil && cur >= head && curKey == kid {
		return nil
	}
	head = max(head, cur)
	val := strconv.FormatInt(head, 10) + ":" + kid + ":" + models.LedgerAnchorMAC(key, kid, head)
	return a.rdb.Set(ctx, anchorKey, val, 0).Err()
}
