package store

import (
	"context"
	"database/sql/driver"
	"path/filepath"
	"testing"
)

// handlelessConn is a driver connection of a shape sqliteHandle does not
// know: a driver version without the field.
type handlelessConn struct {
	driver.Conn
	handle uintptr
}

// zeroHandleConn has the field, but no database open.
type zeroHandleConn struct {
	driver.Conn
	db uintptr
}

// TestTheSQLiteHandleIsFoundOrOpenFails: the interrupt needs the
// driver's sqlite3* handle, which the driver keeps unexported. The
// driver's real connection has it; a connection without it, or with
// none open, is an error at Open, never a connection whose queries a
// cancelled request cannot stop.
func TestTheSQLiteHandleIsFoundOrOpenFails(t *testing.T) {
	pool, err := openSQLite(sqliteDSN(filepath.Join(t.TempDir(), "candor.db")))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	conn, err := pool.Driver().Open(sqliteDSN(filepath.Join(t.TempDir(), "other.db")))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	tests := []struct {
		name    string
		conn    driver.Conn
		wantErr bool
	}{
		{"the driver's connection has its handle", conn, false},
		{"a connection without the field is refused", handlelessConn{handle: 1}, true},
		{"a connection with no database open is refused", &zeroHandleConn{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := sqliteHandle(tt.conn)
			if (err != nil) != tt.wantErr || (err == nil && h == 0) {
				t.Errorf("sqliteHandle = %#x, %v; want an error: %v", h, err, tt.wantErr)
			}
		})
	}
	if err := pool.PingContext(context.Background()); err != nil {
		t.Errorf("a pool of wrapped connections does not answer: %v", err)
	}
}
