package store

import (
	"context"
	"fmt"
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
	if len(sql) > maxLoggedSQL {
		// A multi-row INSERT of a batch repeats its placeholders a
		// thousand times; the head names the statement.
		sql = sql[:maxLoggedSQL] + fmt.Sprintf("... (%d bytes)", len(sql))
	}
	l.log.WarnContext(ctx, "slow query", "duration_ms", elapsed.Milliseconds(), "rows", rows, "sql", sql)
}

// maxLoggedSQL bounds the statement text of a slow-query line.
const maxLoggedSQL = 400

// ParamsFilter keeps parameters out of the SQL handed to Trace.
func (l gormLogger) ParamsFilter(_ context.Context, sql string, _ ...any) (string, []any) {
	return sql, nil
}
