package models

import (
	"encoding/json"
	"time"
)

// RuleLanguage parses segment rules and evaluates them for one customer.
// campaigns/segment implements it; storage, which compiles parsed rules
// to SQL, is handed one when it is opened, so that it never imports the
// domain.
type RuleLanguage interface {
	// ParseRule parses a rule document; at is the JSON pointer of the rule
	// in the request ("/rule"). EMALFORMED for text that is not JSON;
	// EINVALID naming the pointer of the bad node and the rule it breaks.
	ParseRule(raw json.RawMessage, at string) (*Rule, error)
	// ExplainRule evaluates r for the customer with consents (status per
	// topic; a missing topic is none) at now, node by node.
	ExplainRule(r *Rule, c *Customer, consents map[string]ConsentStatus, now time.Time) *RuleExplanation
}

// ConsentConditionValues are the statuses a consent condition may name;
// "none" means the customer has no record for the topic.
var ConsentConditionValues = []ConsentStatus{ConsentOptedIn, ConsentOptedOut, ConsentPending, ConsentNone}

// RuleOutcome is the outcome of one rule of an explanation.
type RuleOutcome string

// Rule outcomes. A rule is skipped when a rule it depends on failed (the
// cadence and slot rules need a time zone and windows).
const (
	RulePass    RuleOutcome = "pass"
	RuleFail    RuleOutcome = "fail"
	RuleSkipped RuleOutcome = "skipped"
)
