package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/candor/candor/campaigns/segment"
	"github.com/candor/candor/configs"
	"github.com/candor/candor/models"
	"github.com/candor/candor/secrets"
	"github.com/candor/candor/store"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

// configError carries one line per configuration problem; main prints
// them and exits with status 2.
type configError struct{ lines []string }

func (e *configError) Error() string { return strings.Join(e.lines, "; ") }

// app holds what every command shares: configuration, logger, keys, the
// store and (for serving commands) the Redis URL.
type app struct {
	cfg      *configs.Config
	log      *slog.Logger
	keys     *secrets.Keys
	store    *store.Store
	redisURL string
	mini     *miniredis.Miniredis
	redis    *redis.Client
	// metrics is the process's Prometheus registry: the API's /metrics
	// serves it, and the send path registers its series on it.
	metrics *prometheus.Registry
}

// loadConfig loads and validates the configuration.
func loadConfig(getenv func(string) string, mode configs.Mode) (*configs.Config, error) {
	cfg, err := configs.LoadAndValidate(getenv, mode)
	if err != nil {
		return nil, &configError{lines: strings.Split(err.Error(), "\n")}
	}
	return cfg, nil
}

// openApp loads config, opens the store (migrating it in embedded mode)
// and, with withRedis, connects to Redis or starts the embedded one.
// configs.ModeReal refuses the embedded mode (api and worker commands);
// configs.ModeMigrate needs no Redis and no secret key.
func openApp(ctx context.Context, getenv func(string) string, logOut io.Writer, command string, mode configs.Mode, withRedis bool) (*app, error) {
	cfg, err := loadConfig(getenv, mode)
	if err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, log: newLogger(logOut, cfg.LogLevel).With("command", command), metrics: prometheus.NewRegistry()}
	routeRedisLogs(a.log)
	secret := cfg.SecretKey
	sqlitePath := filepath.Join(cfg.DataDir, "candor.db")
	if cfg.Embedded() {
		if command == "apikey" || command == "migrate status" || command == "migrate down" {
			// A key written to a new, empty database would never work
			// against the server the operator meant, and a new database
			// has no schema to show or roll back.
			if err := requireDatabaseFile(cfg.DataDir, sqlitePath); err != nil {
				return nil, err
			}
		}
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("create data dir: %w", err)
		}
		keyFile := "CANDOR_SECRET_KEY"
		generated := false
		if secret == "" {
			keyFile = filepath.Join(cfg.DataDir, "secret.key")
			if secret, generated, err = embeddedSecret(cfg.DataDir); err != nil {
				return nil, err
			}
		}
		// The first line an embedded process logs, so what it uses and
		// where it keeps it is the first thing a person reads.
		what := "embedded mode: SQLite database"
		if withRedis {
			what += " and in-process Redis"
		}
		a.log.Info(what+"; for trying Candor and for tests, not for production",
			"database", sqlitePath, "data_dir", cfg.DataDir, "secret_key", keyFile, "secret_key_generated", generated)
	}
	if secret == "" && mode == configs.ModeMigrate {
		// Migrations sign, seal and fingerprint nothing (the fingerprint
		// key is installed by the serving commands), so a throwaway key
		// only satisfies store.Open and a migration job needs no secret.
		secret = secrets.GenerateSecret()
	}
	if a.keys, err = secrets.New(secret, cfg.SecretKeyPrevious); err != nil {
		return nil, &configError{lines: []string{"CANDOR_SECRET_KEY: " + err.Error()}}
	}
	a.keys.SetTokenPolicy(cfg.TokenPolicy())
	opts := store.Options{DatabaseURL: cfg.DatabaseURL, SQLitePath: sqlitePath, Keys: a.keys, Rules: segment.Language{}, Logger: a.log,
		MaxConns: cfg.DBMaxConns, ConnMaxLifetime: cfg.DBConnMaxLifetime, ConfirmationExpiry: cfg.DoubleOptInExpiry}
	migrating := strings.HasPrefix(command, "migrate")
	if !migrating && command != "seed" {
		// Serving statements are bounded (issue 15); building indexes
		// and bulk loads may rightly take longer.
		opts.StatementTimeout, opts.PreviewTimeout = cfg.StatementTimeout, cfg.PreviewTimeout
	}
	a.store, err = store.Open(ctx, opts)
	if err != nil {
		return nil, describeOpenError(err, cfg.DatabaseURL)
	}
	// The migrate commands decide themselves: `migrate status` and
	// `migrate down` must see the schema as it is.
	if cfg.Embedded() && !migrating {
		if err := a.store.Migrate(ctx); err != nil {
			a.Close()
			return nil, fmt.Errorf("migrate embedded database: %w", err)
		}
	}
	if !cfg.Embedded() && !migrating {
		if err := a.checkSchema(ctx); err != nil {
			a.Close()
			return nil, err
		}
	}
	if !migrating {
		if err := a.store.InstallFingerprintKey(ctx); err != nil {
			a.Close()
			return nil, err
		}
	}
	// Not for migrate: on a fresh database the api_keys table does not
	// exist until the migrations have run; the serving commands ensure it.
	if cfg.AdminAPIKey != "" && !migrating {
		if err := a.store.EnsureAPIKey(ctx, "admin (CANDOR_ADMIN_API_KEY)", cfg.AdminAPIKey, models.RoleAdmin); err != nil {
			a.Close()
			return nil, fmt.Errorf("ensure CANDOR_ADMIN_API_KEY: %w", err)
		}
	}
	if withRedis {
		if err := a.openRedis(); err != nil {
			a.Close()
			return nil, err
		}
	}
	return a, nil
}

// checkSchema refuses to start against a database whose migrations are
// not all applied: with several processes, only `candor migrate` changes
// the schema, and a process on an old schema would fail on every request.
func (a *app) checkSchema(ctx context.Context) error {
	states, err := a.store.MigrationStatus(ctx)
	if err != nil {
		return fmt.Errorf("read migration status: %w", err)
	}
	pending := 0
	for _, m := range states {
		if !m.Applied {
			pending++
		}
	}
	if pending > 0 {
		return fmt.Errorf("the database has %d pending migration(s): run `candor migrate` first", pending)
	}
	return nil
}

func (a *app) openRedis() error {
	a.redisURL = a.cfg.RedisURL
	if a.cfg.Embedded() {
		a.mini = miniredis.NewMiniRedis()
		a.mini.ClockTTL(true) // asynq relies on expiring keys (leases, locks)
		if err := a.mini.StartAddr("127.0.0.1:0"); err != nil {
			return fmt.Errorf("start embedded redis: %w", err)
		}
		a.redisURL = "redis://" + a.mini.Addr()
	}
	opt, err := redis.ParseURL(a.redisURL)
	if err != nil {
		return &configError{lines: []string{"CANDOR_REDIS_URL: " + err.Error()}}
	}
	a.redis = redis.NewClient(opt)
	return nil
}

// pingRedis is the /readyz check for Redis. It answers within 2 s even
// when Redis accepts the connection and never replies: go-redis applies
// its own read timeout (3 s) rather than the context's deadline unless
// told otherwise, so the ping runs aside and the deadline wins.
func (a *app) pingRedis(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- a.redis.Ping(ctx).Err() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("redis ping: %w", ctx.Err())
	}
}

// Close releases everything openApp acquired.
func (a *app) Close() {
	if a.redis != nil {
		a.redis.Close()
	}
	if a.mini != nil {
		a.mini.Close()
	}
	if a.store != nil {
		if err := a.store.Close(); err != nil {
			a.log.Warn("close database", "error", err.Error())
		}
	}
}

// embeddedSecret reads the data dir's generated secret key, creating it
// on first start (generated true), so links stay valid across restarts of
// the embedded mode.
func embeddedSecret(dir string) (secret string, generated bool, err error) {
	path := filepath.Join(dir, "secret.key")
	b, err := os.ReadFile(path)
	if err == nil {
		return strings.TrimSpace(string(b)), false, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", false, fmt.Errorf("read %s: %w", path, err)
	}
	secret = secrets.GenerateSecret()
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		return "", false, fmt.Errorf("write %s: %w", path, err)
	}
	return secret, true, nil
}

// requireDatabaseFile refuses to go on when the data directory holds no
// embedded database, naming the directory and the way out.
func requireDatabaseFile(dir, path string) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("read %s: %w", path, err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	return fmt.Errorf("no Candor database in %s (CANDOR_DATA_DIR): start `candor run` with this CANDOR_DATA_DIR first, "+
		"or set CANDOR_DATA_DIR (or CANDOR_DATABASE_URL) to what the server uses", abs)
}
