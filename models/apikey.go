package models

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Role is what an API key may do. Each role includes the ones below it.
type Role string

// Roles, weakest first.
const (
	RoleViewer Role = "viewer" // read
	RoleEditor Role = "editor" // write customers, consents, segments, drafts
	RoleAdmin  Role = "admin"  // approve, launch, keys, webhooks, topics
)

func (r Role) rank() int {
	switch r {
	case RoleViewer:
		return 1
	case RoleEditor:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r.rank() > 0 }

// Allows reports whether a key with role r may act where need is required.
func (r Role) Allows(need Role) bool { return r.Valid() && r.rank() >= need.rank() }

// APIKey describes an API key. The key itself is shown once, at creation;
// Candor stores only its hash. Prefix identifies a key in listings.
type APIKey struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Role       Role       `json:"role"`
	OwnerName  string     `json:"owner_name"`
	OwnerEmail string     `json:"owner_email"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// APIKeyInput is the body of POST /v1/api-keys.
type APIKeyInput struct {
	Name string `json:"name"`
	Role Role   `json:"role"`
	// OwnerName and OwnerEmail name the person the key belongs to. Through
	// the API they are not read from the body: a key created with a key
	// belongs to that key's owner.
	OwnerName  string `json:"-"`
	OwnerEmail string `json:"-"`
}

// ValidateOwner checks the owner of a new key: a name and an email are
// required.
func (in *APIKeyInput) ValidateOwner() error {
	var p Problems
	checkText(&p, "/owner-name", in.OwnerName)
	if n := utf8.RuneCountInString(in.OwnerName); n == 0 || n > 200 {
		p.Add("/owner-name", "length", "is required and must be at most 200 characters")
	}
	checkText(&p, "/owner-email", in.OwnerEmail)
	if n := utf8.RuneCountInString(in.OwnerEmail); n < 3 || n > 254 || !strings.Contains(in.OwnerEmail, "@") {
		p.Add("/owner-email", "email", "is required and must be an email address")
	}
	return p.Err()
}

// Validate checks the name and role of a new key.
func (in *APIKeyInput) Validate() error {
	var p Problems
	checkText(&p, "/name", in.Name)
	if n := utf8.RuneCountInString(in.Name); n == 0 || n > 100 {
		p.Add("/name", "length", "is required and must be at most 100 characters")
	}
	if !in.Role.Valid() {
		p.Add("/role", "enum", "must be viewer, editor or admin, got %q", in.Role)
	}
	return p.Err()
}
