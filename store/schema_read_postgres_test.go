package store_test

import (
	"slices"
	"testing"

	"github.com/candor/candor/store"
)

// postgresSchema reads the schema the store's search path points at (each
// test has its own) from information_schema and pg_catalog.
func postgresSchema(tb testing.TB, s *store.Store) dbSchema {
	tb.Helper()
	sc := dbSchema{}
	type tableIndex struct{ table, index string }
	backed := map[tableIndex]bool{} // indexes of UNIQUE constraints
	query(tb, s, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`, func(scan func(...any)) {
		var n string
		scan(&n)
		if !slices.Contains(bookkeeping, n) {
			sc.table(n)
		}
	})
	query(tb, s, `SELECT table_name, column_name, data_type, is_nullable = 'YES'
		FROM information_schema.columns WHERE table_schema = current_schema()`, func(scan func(...any)) {
		var (
			table, col, typ string
			nullable        bool
		)
		scan(&table, &col, &typ, &nullable)
		if t, ok := sc[table]; ok {
			t.Columns[col] = dbColumn{Family: typeFamily(typ), Nullable: nullable}
		}
	})
	// One row per index column, in key order; expressions have attnum 0
	// and show as "(expression)". conindid ties an index to the UNIQUE or
	// PRIMARY KEY constraint it backs.
	query(tb, s, `SELECT t.relname, i.relname, x.indisprimary, x.indisunique, x.indpred IS NOT NULL, am.amname,
			EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid AND c.contype = 'u'),
			COALESCE(a.attname, '(expression)')
		FROM pg_index x
		JOIN pg_class i ON i.oid = x.indexrelid
		JOIN pg_class t ON t.oid = x.indrelid
		JOIN pg_am am ON am.oid = i.relam
		CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, n)
		LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum AND k.attnum > 0
		WHERE t.relnamespace = current_schema()::regnamespace
		ORDER BY t.relname, i.relname, k.n`, func(scan func(...any)) {
		var (
			table, index, method, col         string
			primary, unique, partial, backing bool
		)
		scan(&table, &index, &primary, &unique, &partial, &method, &backing, &col)
		t, ok := sc[table]
		if !ok {
			return
		}
		if primary {
			t.PrimaryKey = append(t.PrimaryKey, col)
			return
		}
		ix := t.Indexes[index]
		ix.Columns = append(ix.Columns, col)
		ix.Unique, ix.Partial, ix.Method = unique, partial, method
		t.Indexes[index] = ix
		if backing {
			backed[tableIndex{table, index}] = true
		}
	})
	// Renamed once all their columns are in.
	for k := range backed {
		t := sc[k.table]
		t.Indexes[uniqueName(t.Indexes[k.index].Columns)] = t.Indexes[k.index]
		delete(t.Indexes, k.index)
	}
	query(tb, s, `SELECT event_object_table, trigger_name, action_timing || ' ' || event_manipulation
		FROM information_schema.triggers WHERE trigger_schema = current_schema()`, func(scan func(...any)) {
		var table, name, event string
		scan(&table, &name, &event)
		if t, ok := sc[table]; ok {
			t.Triggers[name] = event
		}
	})
	return sc
}
