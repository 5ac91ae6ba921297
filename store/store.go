// Package store keeps Candor's state in PostgreSQL (production) or an
// embedded SQLite file (trying Candor, tests) through gorm. Every query of
// the service lives here; callers see only models types and coded errors.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/jackc/pgx/v5/pgconn"
	"go.opentelemetry.io/otel/trace"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/candor/candor/models"
	"github.com/candor/candor/secrets"
)

// Dialect names returned by Store.Dialect.
const (
	DialectPostgres = "postgres"
	DialectSQLite   = "sqlite"
)

// Options configure Open.
type Options struct {
	// DatabaseURL is a postgres:// URL; empty selects SQLite at SQLitePath.
	DatabaseURL string
	// SQLitePath is the file of the embedded database; its directory is
	// created if needed.
	SQLitePath string
	// Keys fingerprint addresses for suppression. Required.
	Keys *secrets.Keys
	// Rules parses and evaluates segment rules (campaigns/segment's
	// Language). Required: the store compiles rules, it does not define
	// them.
	Rules models.RuleLanguage
	// Now is the clock; nil means time.Now. The store always writes UTC
	// truncated to microseconds, whatever the clock returns.
	Now func() time.Time
	// Logger receives slow-query warnings (SQL without parameters, so no
	// PII); nil means slog.Default().
	Logger *slog.Logger
	// StatementTimeout is PostgreSQL's statement_timeout for every
	// connection of the pool, unless the URL sets one; 0 keeps the
	// server's (migrations and seeding run without one).
	StatementTimeout time.Duration
	// PreviewTimeout bounds each preview (segment and campaign previews,
	// segment member pages) on both backends; 0 means no bound of its own.
	PreviewTimeout time.Duration
	// MaxConns is the most connections the pool opens, and also the most
	// it keeps idle: a pool that closes idle connections beyond a smaller
	// limit reopens them on the next burst (issue 17 measured 1,580 new
	// PostgreSQL sessions in 10 s at 16 concurrent requests). 0 means
	// DefaultMaxConns.
	MaxConns int
	// ConnMaxLifetime retires a connection after this long, so a server
	// or pooler that was failed over or reconfigured is picked up. 0 means
	// DefaultConnMaxLifetime.
	ConnMaxLifetime time.Duration
	// ConfirmationExpiry is how long a double opt-in stays pending before
	// it lapses (CANDOR_DOUBLE_OPT_IN_EXPIRY); 0 means
	// models.DefaultConfirmationExpiry.
	ConfirmationExpiry time.Duration
}

// Pool defaults when Options leave them unset.
const (
	DefaultMaxConns        = 20
	DefaultConnMaxLifetime = 30 * time.Minute
)

// Store implements the models service interfaces on a gorm database.
type Store struct {
	db      *gorm.DB
	sqlDB   *sql.DB
	dialect string
	keys    *secrets.Keys
	rules   models.RuleLanguage
	// versions caches immutable content versions for claims
	// (contentVersion).
	versions sync.Map
	clock    func() time.Time
	log      *slog.Logger
	// planners admits at most maxPlanners launches and resumes of this
	// process at a time (see enterPlanning).
	planners chan struct{}
	// sqlitePath is the embedded database's file ("" on PostgreSQL); its
	// planning lock lives beside it (lockSQLitePlanning).
	sqlitePath string
	// launchBatch is how many rows a SQLite launch writes per
	// transaction (launchWriteBatch).
	launchBatch int
	// previewTimeout bounds previews (see previewing).
	previewTimeout time.Duration
	// apiKeys caches verified API keys for APIKeyCacheTTL.
	apiKeys apiKeyCache
	// confirmationExpiry is Options.ConfirmationExpiry with its default.
	confirmationExpiry time.Duration
	// tracer, set by EnableTracing, traces the statements sent with pgx
	// (traceStatement); nil means tracing is off.
	tracer trace.Tracer
}

var (
	_ models.CustomerService = (*Store)(nil)
	_ models.TopicService    = (*Store)(nil)
	_ models.ConsentService  = (*Store)(nil)
	_ models.APIKeyService   = (*Store)(nil)
)

// Open connects to the database described by opts and checks that it
// answers. It does not migrate: call Migrate. EINVALID for bad options,
// EUNAVAILABLE when the database cannot be reached.
func Open(ctx context.Context, opts Options) (*Store, error) {
	if opts.Keys == nil {
		return nil, models.Errorf(models.EINVALID, "store: Options.Keys is required")
	}
	if opts.Rules == nil {
		return nil, models.Errorf(models.EINVALID, "store: Options.Rules is required")
	}
	s := &Store{keys: opts.Keys, rules: opts.Rules, clock: opts.Now, log: opts.Logger, planners: make(chan struct{}, maxPlanners),
		launchBatch: launchWriteBatch, previewTimeout: opts.PreviewTimeout, confirmationExpiry: opts.ConfirmationExpiry}
	if s.confirmationExpiry <= 0 {
		s.confirmationExpiry = models.DefaultConfirmationExpiry
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	cfg := &gorm.Config{
		// Explicit transactions wrap every multi-statement change; a
		// single statement is atomic on its own.
		SkipDefaultTransaction: true,
		NowFunc:                s.now,
		Logger:                 gormLogger{log: s.log},
	}

	var dialector gorm.Dialector
	if opts.DatabaseURL != "" {
		if !strings.HasPrefix(opts.DatabaseURL, "postgres://") && !strings.HasPrefix(opts.DatabaseURL, "postgresql://") {
			return nil, models.Errorf(models.EINVALID, "store: database URL must start with postgres:// or postgresql://")
		}
		s.dialect = DialectPostgres
		pool, err := openPostgres(opts.DatabaseURL, opts.StatementTimeout)
		if err != nil {
			return nil, err
		}
		dialector = postgres.New(postgres.Config{Conn: pool})
	} else {
		if opts.SQLitePath == "" {
			return nil, models.Errorf(models.EINVALID, "store: either a database URL or an SQLite path is required")
		}
		if err := os.MkdirAll(filepath.Dir(opts.SQLitePath), 0o700); err != nil {
			return nil, fmt.Errorf("store: create data directory: %w", err)
		}
		if err := ownerOnlyFiles(opts.SQLitePath); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		s.dialect, s.sqlitePath = DialectSQLite, opts.SQLitePath
		pool, err := openSQLite(sqliteDSN(opts.SQLitePath))
		if err != nil {
			return nil, models.Errorf(models.EUNAVAILABLE, "store: cannot open sqlite database: %v", err)
		}
		dialector = &sqlite.Dialector{Conn: pool}
	}

	db, err := gorm.Open(dialector, cfg)
	if err != nil {
		return nil, models.Errorf(models.EUNAVAILABLE, "store: cannot open %s database: %v", s.dialect, redact(err))
	}
	s.db = db
	if err := registerUnavailable(db); err != nil {
		return nil, err
	}
	if s.sqlDB, err = db.DB(); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	s.sizePool(opts.MaxConns, opts.ConnMaxLifetime)
	if err := s.Ping(ctx); err != nil {
		s.sqlDB.Close()
		return nil, err
	}
	return s, nil
}

// sizePool applies the pool settings on both dialects: idle equals open,
// because a connection closed for being idle beyond the limit is reopened
// at the next burst, and on PostgreSQL each reopening is a new server
// process.
func (s *Store) sizePool(maxConns int, lifetime time.Duration) {
	if maxConns <= 0 {
		maxConns = DefaultMaxConns
	}
	if lifetime <= 0 {
		lifetime = DefaultConnMaxLifetime
	}
	s.sqlDB.SetMaxOpenConns(maxConns)
	s.sqlDB.SetMaxIdleConns(maxConns)
	s.sqlDB.SetConnMaxLifetime(lifetime)
}

// PoolStats returns the connection pool's statistics, for metrics and
// tests.
func (s *Store) PoolStats() sql.DBStats { return s.sqlDB.Stats() }

// redact drops the connection string from driver errors, which may quote
// it with its password.
func redact(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "postgres"); i >= 0 && strings.Contains(msg[i:], "://") {
		return "connection failed (details withheld: they contain the database URL)"
	}
	return msg
}

// Close closes the connection pool.
func (s *Store) Close() error { return s.sqlDB.Close() }

// Ping checks that the database answers (for /readyz). EUNAVAILABLE if not.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := s.sqlDB.PingContext(ctx); err != nil {
		return models.Errorf(models.EUNAVAILABLE, "%s database is not reachable: %v", s.dialect, redact(err))
	}
	return nil
}

// Dialect returns "postgres" or "sqlite".
func (s *Store) Dialect() string { return s.dialect }

// DB returns the gorm handle, for later store files that add resources.
func (s *Store) DB() *gorm.DB { return s.db }

// now returns the current time as the store writes it: UTC at microsecond
// precision, because SQLite compares times as text and the consent hash
// covers microseconds only.
func (s *Store) now() time.Time { return s.clock().UTC().Truncate(time.Microsecond) }

// forUpdate locks the rows tx reads next until the transaction ends. Only
// Postgres needs it: SQLite transactions start with the write lock
// (_txlock=immediate) and reject FOR UPDATE.
func (s *Store) forUpdate(tx *gorm.DB) *gorm.DB {
	if s.dialect == DialectPostgres {
		return tx.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	return tx
}

// maxAttempts bounds retries of transactions that lost a race.
const maxAttempts = 5

// tx runs fn in a transaction and retries it when the database reports a
// transient conflict (SQLite busy, Postgres serialization failure or
// deadlock). With retryUnique it also retries unique violations, for
// upserts whose "does it exist" read raced another insert; the retry then
// finds the winner's row.
//
// A transaction whose statement lost the database connection is retried
// once: the statement failed, so the transaction did not commit and
// running it again cannot apply it twice. A failed COMMIT is never
// retried, since it may have committed; it is EUNAVAILABLE.
func (s *Store) tx(ctx context.Context, retryUnique bool, fn func(tx *gorm.DB) error) error {
	var err error
	lost := 0
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		var fnErr error
		err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error { fnErr = fn(tx); return fnErr })
		if fnErr != nil && isUnavailable(fnErr) && ctx.Err() == nil && lost == 0 {
			lost++
			continue
		}
		if err == nil || !(isTransient(err) || (retryUnique && isUniqueViolation(err))) {
			return unavailable(err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt*attempt) * 5 * time.Millisecond):
		}
	}
	return err
}

// errNoChange rolls back a transaction that found nothing to change.
var errNoChange = errors.New("store: no change")

// sqliteCoder is implemented by the SQLite driver's errors.
type sqliteCoder interface{ Code() int }

// SQLite primary result codes (the low byte of extended codes).
const (
	sqliteBusy       = 5
	sqliteLocked     = 6
	sqliteConstraint = 19
)

func isTransient(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "40001" || pg.Code == "40P01"
	}
	var sc sqliteCoder
	if errors.As(err, &sc) {
		c := sc.Code() & 0xff
		return c == sqliteBusy || c == sqliteLocked
	}
	return false
}

func isUniqueViolation(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23505"
	}
	var sc sqliteCoder
	if errors.As(err, &sc) && sc.Code()&0xff == sqliteConstraint {
		return strings.Contains(err.Error(), "UNIQUE constraint") || strings.Contains(err.Error(), "PRIMARY KEY")
	}
	return errors.Is(err, gorm.ErrDuplicatedKey)
}

func isForeignKeyViolation(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23503"
	}
	var sc sqliteCoder
	return errors.As(err, &sc) && sc.Code()&0xff == sqliteConstraint && strings.Contains(err.Error(), "FOREIGN KEY")
}

// mapError turns driver errors into coded errors: a missing row is
// ENOTFOUND and a unique violation ECONFLICT, both with a message naming
// what; a lost connection, a full pool or a statement timeout is
// EUNAVAILABLE (see isUnavailable); coded errors pass through; the rest
// is wrapped as internal.
func mapError(err error, what string) error {
	var coded *models.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &coded):
		return err
	case errors.Is(err, gorm.ErrRecordNotFound):
		return models.Errorf(models.ENOTFOUND, "%s not found.", what)
	case isUniqueViolation(err):
		return models.Errorf(models.ECONFLICT, "%s already exists.", what)
	case errors.Is(err, context.Canceled):
		return err
	case isStatementTimeout(err):
		return timeoutError(what, err)
	case isUnavailable(err):
		return unavailable(err)
	}
	return fmt.Errorf("store: %s: %w", what, err)
}
