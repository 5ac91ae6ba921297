package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/redis/go-redis/v9"
)

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// redisLogger routes go-redis's own messages (pool dial failures and the
// like, which it prints as plain text with log.Printf by default) into the
// JSON log. asynq's go-redis clients log through the same global logger.
type redisLogger struct{ l *slog.Logger }

func (r redisLogger) Printf(ctx context.Context, format string, v ...any) {
	r.l.WarnContext(ctx, fmt.Sprintf(format, v...))
}

// routeRedisLogs installs l as go-redis's logger. go-redis has one logger
// per process, so the last command to start wins; a process runs one.
func routeRedisLogs(l *slog.Logger) {
	redis.SetLogger(redisLogger{l.With("component", "redis")})
}
