package store

import (
	"time"

	"github.com/candor/candor/models"
)

// CompileRule exposes the rule compiler to the external tests: the SQL
// after "FROM customers c" (joins and WHERE) and its arguments.
func CompileRule(dialect string, r *models.Rule, now time.Time) (string, []any) {
	c := compileRule(dialect, r, now)
	return c.joins + " WHERE " + c.where, c.args
}
