package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/candor/candor/models"
)

// migrations holds one directory of goose SQL files per dialect. The two
// dialects keep the same version numbers so `candor migrate` reports the
// same state on either backend.
//
//go:embed migrations
var migrations embed.FS

// MigrationState is the applied state of one migration file.
type MigrationState struct {
	Version int64
	Name    string
	Applied bool
}

// Migrate applies every pending migration. It is idempotent, and safe when
// several processes start at once on PostgreSQL: a session advisory lock
// lets one migrate while the others wait, then find nothing to do.
func (s *Store) Migrate(ctx context.Context) error {
	p, err := s.migrationProvider(ctx)
	if err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		_, err := p.Up(ctx)
		if err == nil {
			return nil
		}
		// SQLite has no advisory lock: a second process may lose the race
		// for a migration (each runs in its own transaction, so the loser
		// rolls back). Done is done, whoever applied it.
		if s.dialect != DialectSQLite || attempt == maxAttempts {
			return fmt.Errorf("store: migrate %s: %w", s.dialect, err)
		}
		if pending, perr := p.HasPending(ctx); perr == nil && !pending {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt) * 100 * time.Millisecond):
		}
	}
}

// MigrateDown rolls the schema back to version, running the down step of
// every applied migration above it, newest first, each in its own
// transaction; version 0 removes every table Candor made. It returns the
// versions it rolled back, in that order. For going back to an older
// release: stop every process of the newer one first, and read the
// release notes of the steps in docs/operations.md. EINVALID for a
// negative version or one above the schema's; a step that fails stops
// there, with the steps before it done.
func (s *Store) MigrateDown(ctx context.Context, version int64) ([]int64, error) {
	if version < 0 {
		return nil, models.Errorf(models.EINVALID, "The version to roll back to must be 0 or more, not %d.", version)
	}
	p, err := s.migrationProvider(ctx)
	if err != nil {
		return nil, err
	}
	current, err := p.GetDBVersion(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: migration version: %w", err)
	}
	if version > current {
		return nil, models.Errorf(models.EINVALID,
			"The schema is at version %d; rolling back to %d would apply migrations: run `candor migrate` for that.", current, version)
	}
	results, err := p.DownTo(ctx, version)
	var partial *goose.PartialError
	if errors.As(err, &partial) {
		results = partial.Applied
	}
	done := make([]int64, 0, len(results))
	for _, r := range results {
		done = append(done, r.Source.Version)
	}
	if err != nil {
		return done, fmt.Errorf("store: roll back %s to version %d: %w", s.dialect, version, err)
	}
	return done, nil
}

// MigrationStatus lists every known migration and whether it is applied.
func (s *Store) MigrationStatus(ctx context.Context) ([]MigrationState, error) {
	p, err := s.migrationProvider(ctx)
	if err != nil {
		return nil, err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: migration status: %w", err)
	}
	out := make([]MigrationState, 0, len(st))
	for _, m := range st {
		out = append(out, MigrationState{
			Version: m.Source.Version,
			Name:    m.Source.Path,
			Applied: m.State == goose.StateApplied,
		})
	}
	return out, nil
}

func (s *Store) migrationProvider(ctx context.Context) (*goose.Provider, error) {
	dir, dialect := "migrations/sqlite", goose.DialectSQLite3
	var opts []goose.ProviderOption
	if s.dialect == DialectPostgres {
		dir, dialect = "migrations/postgres", goose.DialectPostgres
		id, err := s.migrationLockID(ctx)
		if err != nil {
			return nil, err
		}
		// Poll every second rather than goose's default five, for up to
		// five minutes: a second process starting alongside should not
		// idle long once the first has finished.
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(id), lock.WithLockTimeout(1, 300))
		if err != nil {
			return nil, fmt.Errorf("store: migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	sub, err := fs.Sub(migrations, dir)
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	p, err := goose.NewProvider(dialect, s.sqlDB, sub, opts...)
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	return p, nil
}

// migrationLockID derives the advisory lock from the schema being
// migrated. Advisory locks are database-wide, so one fixed id would make
// unrelated schemas (tests run one per test) queue behind each other.
func (s *Store) migrationLockID(ctx context.Context) (int64, error) {
	var schema string
	if err := s.sqlDB.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return 0, fmt.Errorf("store: migration lock: %w", err)
	}
	h := fnv.New64a()
	h.Write([]byte("candor-migrate\x00" + schema))
	return int64(h.Sum64() >> 1), nil
}
