package store

import (
	"time"

	"github.com/candor/candor/models"
)

// CompileRule exposes the rule compiler to the external tests.
func CompileRule(dialect string, r *models.Rule, now time.Time) (string, []any) {
	return compileRule(dialect, r, now)
}
