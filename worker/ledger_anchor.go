package worker

import (
	"context"
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
	// Head returns the anchored head (Seq 0 when none is kept); an error
	// when it cannot be read or does not verify (then it is no floor).
	Head(ctx context.Context) (models.LedgerFloor, error)
	// Raise keeps head unless the anchored one, of the same ledger, is
	// longer (or as long, sealed under the current key and with its
	// hash); another ledger's anchor is replaced.
	Raise(ctx context.Context, head models.LedgerFloor) error
}

// anchorKey is the Redis key of RedisHeadAnchor.
const anchorKey = "candor:ledger:head-anchor"

// anchorSource names the anchor in a verification's report.
const anchorSource = "the head anchored in Redis"

// errAnchorUnsealed: the anchored value is not one the ledger wrote.
var errAnchorUnsealed = errors.New("the ledger head anchor in Redis does not verify: it is no floor")

// RedisHeadAnchor is a HeadAnchor in Redis: "head:hash:first event's
// hash:key id:MAC", sealed under the ledger key (models.LedgerAnchorMAC;
// "head:key id:MAC", as written before the hashes were kept, is still
// read; "head:hash:key id:MAC", written only by unreleased builds of
// session 14, counts as unsealed and is replaced). A flushed Redis loses it (the next clean verification writes it
// again), and then misses a rewind. It belongs to the ledger whose first
// event it names: a database recreated while Redis keeps the anchor has
// another first event, so the anchor is no floor for it and its first
// clean verification replaces it. A database restored from a backup has
// the same first event and is reported as a rewind until an operator
// deletes the key (docs/operations.md), which is the point: the consent
// changes since the backup are gone.
type RedisHeadAnchor struct {
	rdb  *redis.Client
	keys models.LedgerKeys
}

// NewRedisHeadAnchor returns the anchor kept in rdb, sealed with keys.
func NewRedisHeadAnchor(rdb *redis.Client, keys models.LedgerKeys) *RedisHeadAnchor {
	return &RedisHeadAnchor{rdb: rdb, keys: keys}
}

// Head implements HeadAnchor. Errors are Redis's, or errAnchorUnsealed.
func (a *RedisHeadAnchor) Head(ctx context.Context) (models.LedgerFloor, error) {
	head, _, err := a.read(ctx, a.rdb)
	return head, err
}

// read returns the anchored head and the id of the key that sealed it.
func (a *RedisHeadAnchor) read(ctx context.Context, rdb redis.Cmdable) (models.LedgerFloor, string, error) {
	raw, err := rdb.Get(ctx, anchorKey).Result()
	if errors.Is(err, redis.Nil) {
		return models.LedgerFloor{}, "", nil
	}
	if err != nil {
		return models.LedgerFloor{}, "", err
	}
	parts := strings.Split(raw, ":")
	if len(parts) == 3 { // written before the hashes were kept
		parts = []string{parts[0], "", "", parts[1], parts[2]}
	}
	if len(parts) != 5 {
		return models.LedgerFloor{}, "", errAnchorUnsealed
	}
	seq, err := strconv.ParseInt(parts[0], 10, 64)
	head := models.LedgerFloor{Seq: seq, Hash: parts[1], Genesis: parts[2], Source: anchorSource}
	kid := parts[3]
	if err != nil || models.CheckSeal(a.keys, kid, parts[4], func(key []byte) string {
		return models.LedgerAnchorMAC(key, kid, head)
	}) != models.SealValid {
		return models.LedgerFloor{}, "", errAnchorUnsealed
	}
	return head, kid, nil
}

// Raise implements HeadAnchor: it writes head, sealed under the current
// key, unless the anchored value is longer, or as long and with its hash,
// and sealed under that key (a value sealed under the previous key is
// sealed again, before a second rotation retires that key; a longer one
// is kept as it is). The read and the write are one Redis transaction
// (WATCH), retried when another writer got in between: only the lease
// holder of the ledger verification calls it, but a lease that expired
// under a slow run could let two verifiers raise at once, and the shorter
// head must not win. Errors are Redis's.
func (a *RedisHeadAnchor) Raise(ctx context.Context, head models.LedgerFloor) error {
	var err error
	for range raiseAttempts {
		if err = a.raiseOnce(ctx, head); !errors.Is(err, redis.TxFailedErr) {
			return err
		}
	}
	return err
}

// raiseAttempts bounds Raise's retries of a transaction that lost a race.
const raiseAttempts = 5

func (a *RedisHeadAnchor) raiseOnce(ctx context.Context, head models.LedgerFloor) error {
	kid, key := a.keys.CurrentLedgerKey()
	return a.rdb.Watch(ctx, func(tx *redis.Tx) error {
		cur, curKey, err := a.read(ctx, tx)
		if err != nil && !errors.Is(err, errAnchorUnsealed) {
			return err
		}
		// Another ledger's anchor (see models.LedgerFloor.Genesis) is
		// replaced, whatever its length.
		same := err == nil && (cur.Genesis == "" || head.Genesis == "" || cur.Genesis == head.Genesis)
		if same && curKey == kid && (cur.Seq > head.Seq || (cur.Seq == head.Seq && (cur.Hash != "" || head.Hash == ""))) {
			return nil
		}
		if same && cur.Seq > head.Seq {
			head = cur
		}
		val := strings.Join([]string{strconv.FormatInt(head.Seq, 10), head.Hash, head.Genesis, kid,
			models.LedgerAnchorMAC(key, kid, head)}, ":")
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, anchorKey, val, 0)
			return nil
		})
		return err
	}, anchorKey)
}
