package segment

import (
	"encoding/json"
	"time"

	"github.com/candor/candor/models"
)

// Language implements models.RuleLanguage with ParseRule and Explain, for
// storage to parse the rules it compiles to SQL.
type Language struct{}

// ParseRule implements models.RuleLanguage (see ParseRule).
func (Language) ParseRule(raw json.RawMessage, at string) (*models.Rule, error) {
	return ParseRule(raw, at)
}

// ExplainRule implements models.RuleLanguage (see Explain).
func (Language) ExplainRule(r *models.Rule, c *models.Customer, consents map[string]models.ConsentStatus, now time.Time) *models.RuleExplanation {
	return Explain(r, Subject{Customer: c, Consents: consents}, now)
}

var _ models.RuleLanguage = Language{}
