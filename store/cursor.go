package store

import (
	"bytes"
	"encoding/base64"
	"strconv"
	"unicode/utf8"

	"github.com/candor/candor/models"
)

// Cursors are opaque to clients (base64url of the last row's id or key), so
// the ordering behind them can change without breaking the API contract.

func encodeCursor(last string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(last))
}

// errBadCursor is EINVALID with a field error on "cursor", so the API
// answers 422 naming the query parameter.
func errBadCursor() error {
	return &models.Error{
		Code:    models.EINVALID,
		Message: "The cursor is not valid.",
		Fields: []models.FieldError{{
			Field:  "cursor",
			Rule:   "cursor",
			Detail: "must be a next_cursor value returned by an earlier page of this list",
		}},
	}
}

// decodeKeyCursor returns the key after which a page starts ("" for the
// first page). EINVALID for a cursor this package did not produce.
func decodeKeyCursor(cursor string) (string, error) {
	if cursor == "" {
		return "", nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	// A cursor is echoed into a query: only text this package could have
	// produced may pass (PostgreSQL rejects NUL and invalid UTF-8).
	if err != nil || len(raw) == 0 || len(raw) > 200 || !utf8.Valid(raw) || bytes.IndexByte(raw, 0) >= 0 {
		return "", errBadCursor()
	}
	return string(raw), nil
}

// decodeIDCursor returns the id after which a page starts (0 for the first
// page). EINVALID for a cursor this package did not produce.
func decodeIDCursor(cursor string) (int64, error) {
	key, err := decodeKeyCursor(cursor)
	if err != nil || key == "" {
		return 0, err
	}
	id, err := strconv.ParseInt(key, 10, 64)
	if err != nil || id <= 0 {
		return 0, errBadCursor()
	}
	return id, nil
}

// pageLimit applies the default and the maximum page size.
func pageLimit(limit int) int {
	switch {
	case limit <= 0:
		return models.DefaultPageLimit
	case limit > models.MaxPageLimit:
		return models.MaxPageLimit
	}
	return limit
}
