package store

import (
	"bytes"
	"encoding/base64"
	"strconv"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/candor/candor/models"
)

// Every list of the service pages by keyset: a page holds the rows whose
// unique sort column is above the last one of the previous page. Cursors
// are opaque to clients (base64url of that last row's id or key), so the
// ordering behind them can change without breaking the API contract.
// idPage or keyPage decode a page request, pageBy reads it through gorm and
// cutPage trims a page read by hand (raw SQL) the same way.

// keyset is one decoded page request of a list ordered by a unique column:
// at most limit rows whose column is above after. On the first page after
// is the zero value, which every row is above (ids start at 1, keys are
// not empty).
type keyset[K int64 | string] struct {
	column string
	after  K
	limit  int
}

// idPage decodes a page of a list ordered by id. EINVALID for a cursor
// this package did not produce.
func idPage(p models.Page) (keyset[int64], error) {
	after, err := decodeIDCursor(p.Cursor)
	if err != nil {
		return keyset[int64]{}, err
	}
	return keyset[int64]{column: "id", after: after, limit: pageLimit(p.Limit)}, nil
}

// keyPage decodes a page of a list ordered by the text column. EINVALID
// for a cursor this package did not produce.
func keyPage(column string, p models.Page) (keyset[string], error) {
	after, err := decodeKeyCursor(p.Cursor)
	if err != nil {
		return keyset[string]{}, err
	}
	return keyset[string]{column: column, after: after, limit: pageLimit(p.Limit)}, nil
}

// pageBy reads the page ks asks for from q, which carries the list's own
// filter: rows of R ordered by ks.column, each converted by model. next is
// the cursor of the following page, "" on the last one. key returns a
// row's value of ks.column; what names the list in errors.
func pageBy[R, M any, K int64 | string](q *gorm.DB, ks keyset[K], what string, key func(R) K, model func(*R) (M, error)) (items []M, next string, err error) {
	var rows []R
	if err := q.Where(ks.column+" > ?", ks.after).Order(ks.column).Limit(ks.limit + 1).Find(&rows).Error; err != nil {
		return nil, "", mapError(err, what)
	}
	rows, next = cutPage(rows, ks.limit, key)
	items = make([]M, len(rows))
	for i := range rows {
		if items[i], err = model(&rows[i]); err != nil {
			return nil, "", err
		}
	}
	return items, next, nil
}

// cutPage trims rows, read with a limit of limit+1, to limit and returns
// the cursor of the next page if there was one more row ("" if not).
func cutPage[R any, K int64 | string](rows []R, limit int, key func(R) K) ([]R, string) {
	if len(rows) <= limit {
		return rows, ""
	}
	rows = rows[:limit]
	return rows, encodeCursor(keyText(key(rows[limit-1])))
}

// infallible adapts a row conversion that cannot fail to pageBy.
func infallible[R, M any](model func(*R) M) func(*R) (M, error) {
	return func(r *R) (M, error) { return model(r), nil }
}

// keyText is the text a cursor encodes for a key: an id in decimal, a
// text key as it is.
func keyText[K int64 | string](k K) string {
	if id, ok := any(k).(int64); ok {
		return strconv.FormatInt(id, 10)
	}
	return any(k).(string)
}

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
