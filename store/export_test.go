package store

import (
	"context"
	"time"

	"github.com/candor/candor/models"
)

// CompileRule exposes the rule compiler to the external tests: the SQL
// after "FROM customers c" (joins and WHERE) and its arguments.
func CompileRule(dialect string, r *models.Rule, now time.Time) (string, []any) {
	c := compileRule(dialect, r, now)
	return c.joins + " WHERE " + c.where, c.args
}

// RedoMigration undoes the migrations down to version-1 and applies them
// again, so a test can check what one does to existing data.
func (s *Store) RedoMigration(ctx context.Context, version int64) error {
	p, err := s.migrationProvider(ctx)
	if err != nil {
		return err
	}
	if _, err := p.DownTo(ctx, version-1); err != nil {
		return err
	}
	_, err = p.Up(ctx)
	return err
}
