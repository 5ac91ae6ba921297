package store

import (
	"context"
	"log/slog"
	"time"

	"gorm.io/gorm/logger"
)

// slowQueryThreshold is the duration above which a query is logged.
const slowQueryThreshold = 500 * time.Millisecond

// gormLogger reports slow queries only. Errors are returned to callers,
// who decide whether they matter (a unique violation during an upsert
// race does not), and SQL is logged without its parameters, which carry
// emails and phone numbers.
type gormLogger struct{ log *slog.Logger }

func (l gormLogger) LogMode(logger.LogLevel) logger.Interface { return l }

func (l gormLogger) Info(context.Context, string, ...any)  {}
func (l gormLogger) Warn(context.Context, string, ...any)  {}
func (l gormLogger) Error(context.Context, string, ...any) {}

func (l gormLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	elapsed := time.Since(begin)
	if elapsed < slowQueryThreshold {
		return
	}
	sql, rows := fc()
	l.log.WarnContext(ctx, "slow query", "duration_ms", elapsed.Milliseconds(), "rows", rows, "sql", sql)
}

// ParamsFilter keeps parameters out of the SQL handed to Trace.
func (l gormLogger) ParamsFilter(_ context.Context, sql string, _ ...any) (string, []any) {
	return sql, nil
}
