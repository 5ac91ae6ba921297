package models

import (
	"context"
	"encoding/json"
	"time"
)

// Audit actions: what the audit trail records. Each names a resource type
// and a verb.
const (
	AuditContentCreated   = "content.created"
	AuditContentEdited    = "content.edited"
	AuditContentSubmitted = "content.submitted"
	AuditContentApproved  = "content.approved"
	AuditContentRejected  = "content.rejected"
	AuditContentRetired   = "content.retired"
	AuditCampaignCreated  = "campaign.created"
	AuditCampaignEdited   = "campaign.edited"
	AuditCampaignDeleted  = "campaign.deleted"
	AuditCampaignLaunched = "campaign.launched"
	AuditCampaignPaused   = "campaign.paused"
	AuditCampaignResumed  = "campaign.resumed"
	AuditCampaignCancel   = "campaign.cancelled"
	AuditCustomerErased   = "customer.erased"
	AuditCustomerExported = "customer.exported"
	AuditAPIKeyCreated    = "api_key.created"
	AuditAPIKeyRevoked    = "api_key.revoked"
)

// Actor is who performs an action: an API key and the person who owns it.
// The zero Actor is the system (the CLI without a key, the worker).
type Actor struct {
	KeyID      int64
	OwnerName  string
	OwnerEmail string
}

// The owner of the key that CANDOR_ADMIN_API_KEY provides.
const (
	BootstrapOwnerName  = "bootstrap admin"
	BootstrapOwnerEmail = "bootstrap-admin@candor.invalid"
)

type actorKey struct{}

// WithActor returns ctx carrying the actor of the request, which the store
// records in the audit trail in the same transaction as the action.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor ctx carries, or the zero Actor (the system).
func ActorFrom(ctx context.Context) Actor {
	a, _ := ctx.Value(actorKey{}).(Actor)
	return a
}

// ActorOf returns the actor of an authenticated API key.
func ActorOf(k *APIKey) Actor {
	return Actor{KeyID: k.ID, OwnerName: k.OwnerName, OwnerEmail: k.OwnerEmail}
}

// AuditEntry is one row of the append-only audit trail. It holds no
// customer PII: customers appear by internal id only.
type AuditEntry struct {
	ID           int64           `json:"id"`
	At           time.Time       `json:"at"`
	ActorName    string          `json:"actor_name"`
	ActorEmail   string          `json:"actor_email"`
	ActorKeyID   *int64          `json:"actor_key_id"`
	Action       string          `json:"action"`
	ResourceType string          `json:"resource_type"`
	ResourceID   string          `json:"resource_id"`
	Detail       json.RawMessage `json:"detail"`
}

// AuditFilter narrows GET /v1/audit. Empty fields do not filter.
type AuditFilter struct {
	Actor        string // owner email
	Action       string
	ResourceType string
	ResourceID   string
	Since, Until *time.Time
}

// AuditService reads the audit trail; the store writes it.
type AuditService interface {
	// AuditEntries lists the trail oldest first. EINVALID for a bad cursor.
	AuditEntries(ctx context.Context, f AuditFilter, page Page) ([]*AuditEntry, string, error)
}
