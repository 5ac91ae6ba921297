package store_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/candor/candor/store"
)

// dbSchema is what the migrations built, in terms both dialects share,
// by table name. Bookkeeping tables (goose's, SQLite's own) are left out.
type dbSchema map[string]*dbTable

// dbTable is one table: columns by name, the primary key, the indexes by
// name (see dbIndex) and the triggers by name.
type dbTable struct {
	Columns    map[string]dbColumn
	PrimaryKey []string
	Indexes    map[string]dbIndex
	Triggers   map[string]string // name -> "BEFORE DELETE", ...
}

// dbColumn is a column's type family (see typeFamily) and nullability.
type dbColumn struct {
	Family   string
	Nullable bool
}

// dbIndex is an index other than the primary key's. Indexes that back a
// UNIQUE constraint are named "unique (col, ...)" on both dialects, since
// each names them its own way; explicitly created ones keep their names.
type dbIndex struct {
	Columns []string
	Unique  bool
	Partial bool
	Method  string // "btree" unless PostgreSQL says otherwise
}

// bookkeeping are tables no migration of ours creates.
var bookkeeping = []string{"goose_db_version", "sqlite_sequence"}

// typeFamilies maps declared types (lower case, without length or
// precision) of both dialects to a small set of families.
var typeFamilies = map[string]string{
	"smallint": "integer", "integer": "integer", "int": "integer", "bigint": "integer",
	"text": "text", "character varying": "text", "varchar": "text", "character": "text",
	"timestamp with time zone": "time", "timestamp without time zone": "time", "timestamptz": "time",
	"timestamp": "time", "datetime": "time", "date": "time",
	"boolean": "bool", "bool": "bool",
	"json": "json", "jsonb": "json",
	"bytea": "bytes", "blob": "bytes",
	"real": "real", "double precision": "real", "double": "real", "float": "real", "numeric": "real",
}

// typeFamily returns the family of a declared type, or "unknown TYPE".
func typeFamily(declared string) string {
	t := strings.ToLower(strings.TrimSpace(declared))
	if i := strings.IndexByte(t, '('); i >= 0 {
		t = strings.TrimSpace(t[:i])
	}
	if f, ok := typeFamilies[t]; ok {
		return f
	}
	return "unknown " + t
}

// uniqueName is the dialect-neutral name of a UNIQUE constraint's index.
func uniqueName(cols []string) string { return "unique (" + strings.Join(cols, ", ") + ")" }

// table returns the table named name, creating it.
func (sc dbSchema) table(name string) *dbTable {
	if sc[name] == nil {
		sc[name] = &dbTable{Columns: map[string]dbColumn{}, Indexes: map[string]dbIndex{}, Triggers: map[string]string{}}
	}
	return sc[name]
}

// query runs q on s and calls each for every row with a scanner of it.
func query(tb testing.TB, s *store.Store, q string, each func(scan func(dest ...any)), args ...any) {
	tb.Helper()
	rows, err := s.DB().Raw(q, args...).Rows()
	if err != nil {
		tb.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	for rows.Next() {
		each(func(dest ...any) {
			if err := rows.Scan(dest...); err != nil {
				tb.Fatalf("scan %s: %v", q, err)
			}
		})
	}
	if err := rows.Err(); err != nil {
		tb.Fatalf("%s: %v", q, err)
	}
}

// triggerRE finds a trigger's timing and event in its CREATE statement.
var triggerRE = regexp.MustCompile(`(?i)\b(BEFORE|AFTER|INSTEAD\s+OF)\s+(INSERT|UPDATE|DELETE)\b`)

// sqliteSchema reads the schema of an SQLite store.
func sqliteSchema(tb testing.TB, s *store.Store) dbSchema {
	tb.Helper()
	sc := dbSchema{}
	var names []string
	query(tb, s, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
		func(scan func(...any)) {
			var n string
			scan(&n)
			if !slices.Contains(bookkeeping, n) {
				names = append(names, n)
			}
		})
	for _, name := range names {
		t := sc.table(name)
		pk := map[int]string{}
		query(tb, s, "SELECT name, type, \"notnull\", pk FROM pragma_table_info(?)", func(scan func(...any)) {
			var (
				col, typ    string
				notNull, at int
			)
			scan(&col, &typ, &notNull, &at)
			// An INTEGER PRIMARY KEY is the rowid: never NULL.
			nullable := notNull == 0 && !(at > 0 && strings.EqualFold(typ, "INTEGER"))
			t.Columns[col] = dbColumn{Family: typeFamily(typ), Nullable: nullable}
			if at > 0 {
				pk[at] = col
			}
		}, name)
		for i := 1; i <= len(pk); i++ {
			t.PrimaryKey = append(t.PrimaryKey, pk[i])
		}
		type listed struct {
			name, origin    string
			unique, partial bool
		}
		var indexes []listed
		query(tb, s, "SELECT name, \"unique\", origin, partial FROM pragma_index_list(?)", func(scan func(...any)) {
			var l listed
			scan(&l.name, &l.unique, &l.origin, &l.partial)
			indexes = append(indexes, l)
		}, name)
		for _, l := range indexes {
			if l.origin == "pk" {
				continue
			}
			var cols []string
			query(tb, s, "SELECT name FROM pragma_index_info(?) ORDER BY seqno", func(scan func(...any)) {
				var c string
				scan(&c)
				cols = append(cols, c)
			}, l.name)
			key := l.name
			if l.origin == "u" {
				key = uniqueName(cols)
			}
			t.Indexes[key] = dbIndex{Columns: cols, Unique: l.unique, Partial: l.partial, Method: "btree"}
		}
		query(tb, s, "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", func(scan func(...any)) {
			var n, sql string
			scan(&n, &sql)
			t.Triggers[n] = triggerEvent(sql)
		}, name)
	}
	return sc
}

// triggerEvent returns "TIMING EVENT" of a CREATE TRIGGER statement.
func triggerEvent(sql string) string {
	m := triggerRE.FindStringSubmatch(sql)
	if m == nil {
		return "unknown"
	}
	return strings.ToUpper(strings.Join(strings.Fields(m[1]), " ")) + " " + strings.ToUpper(m[2])
}
