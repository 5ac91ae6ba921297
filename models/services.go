package models

import "context"

// CustomerService manages customer profiles.
type CustomerService interface {
	// Customer returns the customer with the given external id.
	// ENOTFOUND if there is none (erased customers are gone).
	Customer(ctx context.Context, externalID string) (*Customer, error)
	// CustomerByID returns a customer by internal id (from a signed token).
	// ENOTFOUND if there is none or it was erased.
	CustomerByID(ctx context.Context, id int64) (*Customer, error)
	// Customers lists customers in creation order. EINVALID for a bad cursor.
	Customers(ctx context.Context, page Page) (items []*Customer, nextCursor string, err error)
	// PutCustomer creates or replaces a customer; created reports which.
	// The input must be normalized and valid. A new address that matches an
	// erased customer's fingerprint marks the customer Suppressed.
	PutCustomer(ctx context.Context, in *CustomerInput) (c *Customer, created bool, err error)
	// EraseCustomer removes the customer's PII and attributes, keeps
	// suppression fingerprints of email and phone, deletes raw PII from
	// consent evidence and frees the external id. ENOTFOUND if none.
	EraseCustomer(ctx context.Context, externalID string) error
	// CustomerExport returns everything held about a customer. ENOTFOUND.
	CustomerExport(ctx context.Context, externalID string) (*CustomerExport, error)
}

// TopicService manages consent topics.
type TopicService interface {
	// Topic returns one topic. ENOTFOUND.
	Topic(ctx context.Context, key string) (*Topic, error)
	// Topics lists topics ordered by key. EINVALID for a bad cursor.
	Topics(ctx context.Context, page Page) (items []*Topic, nextCursor string, err error)
	// CreateTopic creates a topic. ECONFLICT if the key exists.
	CreateTopic(ctx context.Context, in *TopicInput) (*Topic, error)
	// UpdateTopic changes name and description. ENOTFOUND.
	UpdateTopic(ctx context.Context, key string, in *TopicInput) (*Topic, error)
	// DeleteTopic deletes a topic nobody has consented to. ENOTFOUND;
	// ECONFLICT if any consent event refers to it.
	DeleteTopic(ctx context.Context, key string) error
}

// ConsentService records consent in each customer's hash-chained ledger.
type ConsentService interface {
	// SetConsent appends a consent event for (customer, topic) unless the
	// current status already equals in.Status (then changed is false and
	// nothing is written). ENOTFOUND for an unknown customer or topic;
	// ECONFLICT for an opt-in from api/crm/import while the customer is
	// suppressed.
	SetConsent(ctx context.Context, externalID, topic string, in *ConsentInput) (c *Consent, changed bool, err error)
	// Consents returns current state per topic (none where no record),
	// the full history and whether the chain verifies. ENOTFOUND.
	Consents(ctx context.Context, externalID string) (*ConsentLedger, error)
	// OptOutAll opts a customer out of every topic that is not already
	// opted out and returns how many changed. ENOTFOUND.
	OptOutAll(ctx context.Context, customerID int64, source ConsentSource, ev Evidence) (int, error)
}

// APIKeyService manages API keys, stored as hashes.
type APIKeyService interface {
	// CreateAPIKey creates a key and returns it with the plain key, which
	// is never retrievable again. EINVALID for a bad name or role.
	CreateAPIKey(ctx context.Context, in *APIKeyInput) (*APIKey, string, error)
	// EnsureAPIKey makes sure the given plain key exists with the role
	// (used for CANDOR_ADMIN_API_KEY); it un-revokes and re-roles it.
	EnsureAPIKey(ctx context.Context, name, plain string, role Role) error
	// APIKeys lists all keys, newest first, revoked ones included.
	APIKeys(ctx context.Context) ([]*APIKey, error)
	// RevokeAPIKey revokes a key; revoking a revoked key changes nothing.
	// ENOTFOUND; ECONFLICT for the last active admin key.
	RevokeAPIKey(ctx context.Context, id int64) error
	// AuthenticateAPIKey returns the active key matching plain.
	// EUNAUTHORIZED if it is unknown or revoked.
	AuthenticateAPIKey(ctx context.Context, plain string) (*APIKey, error)
}
