// Package seed generates deterministic synthetic customers, with consent
// ledgers whose hash chains verify and their current consent rows, for
// trying Candor and for benchmarks. It decides what the data is; the
// store's BulkLoad decides how it is written (COPY on PostgreSQL,
// multi-row INSERTs on SQLite, in one transaction).
package seed

import (
	"context"
	"time"

	"github.com/candor/candor/models"
	"github.com/candor/candor/store"
)

// Options configure Load.
type Options struct {
	// Customers is how many customers to add (1..MaxCustomers).
	Customers int
	// Seed selects the data: the same seed gives the same customers, with
	// external ids "seed<seed>-<n>", so one seed can be loaded only once.
	Seed uint64
	// Progress, if set, is called after each table is written.
	Progress func(table string, rows int64, elapsed time.Duration)
	// Step, if set, is called after each step of the load (store.BulkLoad.Step).
	Step func(table, step string, elapsed time.Duration)
	// Hash computes a ledger event's hash; nil means ComputeHash, the
	// ledger's own. Every seeded hash goes through this one function, so
	// a keyed ledger hash needs only a different one here.
	Hash HashFunc
}

// HashFunc returns the hash of a consent event whose PrevHash is set.
type HashFunc func(e *models.ConsentEvent) string

// Result counts what Load wrote.
type Result struct {
	Customers     int64
	ConsentEvents int64
	Consents      int64
}

// MaxCustomers bounds one Load call.
const MaxCustomers = 10_000_000

// BulkLoader writes tables in one transaction; *store.Store is one.
type BulkLoader interface {
	BulkLoad(ctx context.Context, load store.BulkLoad) ([]int64, error)
}

// Load bulk-loads deterministic synthetic customers with their consent
// ledgers and current consent rows, in one transaction. The events are
// sealed into the keyed ledger as they are written (each customer's chain
// is the ledger's own, and the load continues the global chain from the
// head), exactly as `candor ledger adopt` would seal them, so the seeded
// ledger verifies. It writes no outbox events: synthetic data is not news
// to any integration. EINVALID for a bad count; ECONFLICT when the seed
// was already loaded.
func Load(ctx context.Context, db BulkLoader, opts Options) (*Result, error) {
	if opts.Customers < 1 || opts.Customers > MaxCustomers {
		return nil, models.Errorf(models.EINVALID, "The number of customers must be between 1 and %d.", MaxCustomers)
	}
	hash := opts.Hash
	if hash == nil {
		hash = computeHash // ComputeHash, written faster
	}
	counts, err := db.BulkLoad(ctx, store.BulkLoad{
		ReserveTable: "customers",
		ReserveIDs:   int64(opts.Customers),
		ChainLedger:  true,
		Tables: func(base int64, ledger *store.BulkLedger) []store.BulkTable {
			return tables(opts.Seed, opts.Customers, base, hash, ledger)
		},
		Progress: opts.Progress,
		Step:     opts.Step,
	})
	if models.ErrorCode(err) == models.ECONFLICT {
		return nil, models.Errorf(models.ECONFLICT, "Seed customer already exists.")
	}
	if err != nil {
		return nil, err
	}
	return &Result{Customers: counts[0], ConsentEvents: counts[1], Consents: counts[2]}, nil
}

// chunkCustomers is how many customers one chunk of a table holds:
// large enough that handing chunks over costs little, small enough that
// the chunks in flight hold a few MB.
const chunkCustomers = 1024

// tables describes the three tables a seed fills, for customers with ids
// base+1 .. base+n. Each regenerates the customers from (seed, i), chunk
// by chunk on every core (store.BulkTable.Chunk), so nothing is held in
// memory; the consent passes skip formatting the profiles. The ledger is
// sealed chunk by chunk too (chain.seal): only the hand-over of the
// chain's end from one chunk to the next is serial. The foreign keys of
// the consent tables are checked, and the secondary indexes of empty
// tables built, once after the COPY.
func tables(seed uint64, n int, base int64, hash HashFunc, ledger *store.BulkLedger) []store.BulkTable {
	chunks := (n + chunkCustomers - 1) / chunkCustomers
	chain := newChain(ledger, chunks)
	// customers generates chunk i's customers.
	// Their events share one arena, sized for the average history (1.44
	// events a customer).
	customers := func(i int, hash HashFunc, full bool) []seedCustomer {
		lo, hi := i*chunkCustomers, min((i+1)*chunkCustomers, n)
		out := make([]seedCustomer, 0, hi-lo)
		arena := make([]models.ConsentEvent, 0, (hi-lo)*3/2+8)
		for j := lo; j < hi; j++ {
			out = append(out, generateCustomerIn(&arena, seed, j, base+int64(j)+1, hash, full))
		}
		return out
	}
	// Each chunk fills one row slice for all its rows (BulkTable.Chunk:
	// emit keeps no row), with pointers to the generated fields where it
	// can: a pointer fits in an interface, a string or an int64 is copied
	// to the heap for it, and that was most of what the rows allocated.
	// COPY and SQLite read a non-nil pointer as the value it points to.
	return []store.BulkTable{
		{Name: "customers", Vacuum: true, DeferIndexes: true, Columns: []string{"id", "external_id", "email", "phone", "name", "locale",
			"timezone", "preferred_channel", "preferred_windows", "cadence", "attributes", "preference_version",
			"suppressed", "consent_seq", "created_at", "updated_at"},
			Chunks: chunks, Chunk: func(i int, emit func([]any) error) error {
				row := make([]any, 16)
				cs := customers(i, nil, true)
				for k := range cs {
					r := &cs[k].row
					var cadence any
					if r.Cadence != nil {
						cadence = r.Cadence
					}
					row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7] = &r.ID, &r.ExternalID, &r.Email, &r.Phone, &r.Name, &r.Locale, &r.Timezone, &r.PreferredChannel
					row[8], row[9], row[10], row[11], row[12], row[13], row[14], row[15] = &r.PreferredWindows, cadence, &r.Attributes, &r.PreferenceVersion, false, &r.ConsentSeq, &r.CreatedAt, &r.UpdatedAt
					if err := emit(row); err != nil {
						return err
					}
				}
				return nil
			}},
		{Name: "consent_events", DeferForeignKeys: true, DeferIndexes: true, Columns: []string{"customer_id", "seq", "topic", "status", "source", "evidence_text",
			"evidence_form_version", "ip_digest", "user_agent_digest", "created_at", "prev_hash", "hash",
			"key_id", "global_seq", "global_prev", "seal", "text_digest", "form_version_digest"},
			Chunks: chunks, Chunk: func(i int, emit func([]any) error) error {
				cs := customers(i, hash, false)
				chain.seal(i, cs)
				row := make([]any, 18)
				for _, sc := range cs {
					for k := range sc.events {
						e := &sc.events[k]
						row[0], row[1], row[2], row[3], row[4], row[5] = &e.CustomerID, &e.Seq, &e.Topic, string(e.Status), string(e.Source), &e.Evidence.Text
						row[6], row[7], row[8], row[9], row[10], row[11] = &e.Evidence.FormVersion, "", "", &e.CreatedAt, &e.PrevHash, &e.Hash
						row[12], row[13], row[14], row[15], row[16], row[17] = &e.KeyID, &e.GlobalSeq, &e.GlobalPrev, &e.Seal, &e.Evidence.TextDigest, &e.Evidence.FormVersionDigest
						if err := emit(row); err != nil {
							return err
						}
					}
				}
				return nil
			}},
		{Name: "consents", Vacuum: true, DeferForeignKeys: true, DeferIndexes: true, Columns: []string{"customer_id", "topic", "status", "source", "seq",
			"updated_at", "key_id", "event_hash", "mac"},
			Chunks: chunks, Chunk: func(i int, emit func([]any) error) error {
				sealer, row := chain.sealer(), make([]any, 9)
				for _, sc := range customers(i, hash, false) {
					if err := emitConsents(sc, chain, sealer, row, emit); err != nil {
						return err
					}
				}
				return nil
			}},
	}
}

// emitConsents emits the current consent rows of a customer, in row: each
// topic's last event, sealed to it, in the order the topics first
// appear. A customer has at most two events a topic, so the scans are
// short.
func emitConsents(sc seedCustomer, chain *chain, sealer *models.LedgerSealer, row []any, emit func([]any) error) error {
	events := sc.events
outer:
	for i := range events {
		for j := range i {
			if events[j].Topic == events[i].Topic {
				continue outer // not the topic's first event
			}
		}
		last := i
		for j := i + 1; j < len(events); j++ {
			if events[j].Topic == events[i].Topic {
				last = j
			}
		}
		e := &events[last]
		kid, mac := chain.stateMAC(sealer, e)
		row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8] = &e.CustomerID, &e.Topic, string(e.Status), string(e.Source), &e.Seq, &e.CreatedAt,
			kid, &e.Hash, mac
		if err := emit(row); err != nil {
			return err
		}
	}
	return nil
}
