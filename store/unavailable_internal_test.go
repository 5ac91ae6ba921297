package store

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/candor/candor/models"
)

func TestDatabaseLossIsUnavailableAndBadInputIsNot(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"a backend terminated by an administrator is unavailable", &pgconn.PgError{Code: "57P01"}, models.EUNAVAILABLE},
		{"a connection exception is unavailable", &pgconn.PgError{Code: "08006"}, models.EUNAVAILABLE},
		{"a statement timeout is unavailable", &pgconn.PgError{Code: "57014", Message: "canceling statement due to statement timeout"}, models.EUNAVAILABLE},
		{"an aborted COPY is not unavailable", &pgconn.PgError{Code: "57014", Message: "COPY from stdin failed: expected 2 values"}, models.EINTERNAL},
		{"too many connections is unavailable", &pgconn.PgError{Code: "53300"}, models.EUNAVAILABLE},
		{"waiting past the deadline for a pooled connection is unavailable", fmt.Errorf("get conn: %w", context.DeadlineExceeded), models.EUNAVAILABLE},
		{"a unique violation is a conflict", &pgconn.PgError{Code: "23505"}, models.ECONFLICT},
		{"a numeric overflow is internal", &pgconn.PgError{Code: "22003"}, models.EINTERNAL},
		{"a client that left is not unavailable", context.Canceled, models.EINTERNAL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := mapError(tt.err, "Thing")
			if got := models.ErrorCode(err); got != tt.want {
				t.Errorf("code = %q, want %q (err %v)", got, tt.want, err)
			}
			if tt.want == models.EUNAVAILABLE && !errors.Is(err, tt.err) {
				t.Errorf("%v does not unwrap to the driver's error", err)
			}
		})
	}
}
