package models

import (
	"regexp"
	"time"
	"unicode/utf8"
)

// Topic is a subject a customer can opt into, such as "pricing-guides".
// Content names the topic whose consent it needs.
type Topic struct {
	Key         string `json:"key"`
	Name        string `json:"name"`
	Description string `json:"description"`
	// DoubleOptIn: an opt-in needs the customer's confirmation through a
	// link sent to them; until then the consent is pending.
	DoubleOptIn bool      `json:"double_opt_in"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// DefaultTopics are created by the first migration.
var DefaultTopics = []string{"product-roadmap", "competitor-comparisons", "pricing-guides", "technology-alternatives"}

var topicKeyRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// ValidTopicKey reports whether key is 1-63 lower-case letters, digits and
// hyphens, starting with a letter or digit.
func ValidTopicKey(key string) bool { return topicKeyRE.MatchString(key) }

// TopicInput is the writable part of a topic. Key is ignored on update:
// a topic's key is what consent refers to, so it never changes.
type TopicInput struct {
	Key         string `json:"key"`
	Name        string `json:"name"`
	Description string `json:"description"`
	DoubleOptIn bool   `json:"double_opt_in"`
}

// Validate checks a topic; withKey also checks the key (on create).
func (in *TopicInput) Validate(withKey bool) error {
	var p Problems
	checkText(&p, "/name", in.Name)
	checkText(&p, "/description", in.Description)
	if withKey && !ValidTopicKey(in.Key) {
		p.Add("/key", "format", "must be 1-63 lower-case letters, digits or hyphens, starting with a letter or digit")
	}
	if n := utf8.RuneCountInString(in.Name); n == 0 || n > 200 {
		p.Add("/name", "length", "is required and must be at most 200 characters")
	}
	if utf8.RuneCountInString(in.Description) > 2000 {
		p.Add("/description", "max_length", "must be at most 2000 characters")
	}
	return p.Err()
}
