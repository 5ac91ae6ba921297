package models

// This file declares every service interface of the package (see the
// package doc); store implements them all.

import (
	"context"
	"encoding/json"
	"time"
)

// CustomerService manages customer profiles.
type CustomerService interface {
	// Customer returns the customer with the given external id.
	// ENOTFOUND if there is none (erased customers are gone).
	Customer(ctx context.Context, externalID string) (*Customer, error)
	// CustomerByID returns a customer by internal id (from a signed token).
	// ENOTFOUND if there is none or it was erased.
	CustomerByID(ctx context.Context, id int64) (*Customer, error)
	// Customers lists live customers in creation order. EINVALID for a bad
	// cursor.
	Customers(ctx context.Context, page Page) (items []*Customer, nextCursor string, err error)
	// PutCustomer creates or replaces the customer named by in.ExternalID;
	// created reports which. It normalizes and validates the input (EINVALID
	// for input that breaks the validation rules), bumps the preference
	// version when channel, windows, zone or cadence change, and marks the
	// customer Suppressed when a new address matches an erased customer's
	// fingerprint. Replacing a customer with what it already holds (after
	// normalization) writes nothing: no update, no outbox event, updated_at
	// stays.
	PutCustomer(ctx context.Context, in *CustomerInput) (c *Customer, created bool, err error)
	// PutCustomers does what PutCustomer does for each of ins, with
	// set-based statements in one transaction, and returns one result per
	// input in order. An item's own failure is in its result (EINVALID,
	// also for an external id an earlier item already used; ECONFLICT)
	// and does not stop the others. The error return (EUNAVAILABLE,
	// EINTERNAL) means nothing was written.
	PutCustomers(ctx context.Context, ins []*CustomerInput) ([]CustomerPut, error)
	// EraseCustomer removes the customer's PII and attributes, keeps
	// suppression fingerprints of email and phone, deletes raw PII from
	// consent evidence (the digests stay, so the chain still verifies),
	// skips the customer's planned deliveries (reason erased) and frees the
	// external id. ENOTFOUND if there is no such live customer.
	EraseCustomer(ctx context.Context, externalID string) error
	// RevokeCustomerLinks makes every unsubscribe and preference link
	// issued to a live customer so far invalid (it increases the
	// customer's token epoch) and returns the customer, whose new links
	// work. ENOTFOUND. Erasure needs no revocation: an erased customer's
	// links name a customer that no longer exists.
	RevokeCustomerLinks(ctx context.Context, externalID string) (*Customer, error)
	// CustomerExport returns everything held about a live customer: profile,
	// consent ledger, outbox events and deliveries. ENOTFOUND.
	CustomerExport(ctx context.Context, externalID string) (*CustomerExport, error)
}

// TopicService manages consent topics.
type TopicService interface {
	// Topic returns one topic. ENOTFOUND.
	Topic(ctx context.Context, key string) (*Topic, error)
	// Topics lists topics ordered by key. EINVALID for a bad cursor.
	Topics(ctx context.Context, page Page) (items []*Topic, nextCursor string, err error)
	// CreateTopic creates a topic. EINVALID for a bad key, name or
	// description; ECONFLICT if the key exists.
	CreateTopic(ctx context.Context, in *TopicInput) (*Topic, error)
	// UpdateTopic changes a topic's name and description; its key, which
	// consent refers to, never changes. EINVALID; ENOTFOUND.
	UpdateTopic(ctx context.Context, key string, in *TopicInput) (*Topic, error)
	// DeleteTopic deletes a topic nobody has consented to. ENOTFOUND;
	// ECONFLICT if any consent event refers to it, because the ledger must
	// keep saying what each customer agreed to.
	DeleteTopic(ctx context.Context, key string) error
}

// ConsentService records consent in each customer's hash-chained ledger.
type ConsentService interface {
	// SetConsent appends a consent event for (customer, topic) unless the
	// current status already equals in.Status (then changed is false and
	// nothing is written). EINVALID for a bad status, source or evidence;
	// ENOTFOUND for an unknown customer or topic; ECONFLICT for an opt-in
	// from api/crm/import while the customer is suppressed.
	SetConsent(ctx context.Context, externalID, topic string, in *ConsentInput) (c *Consent, changed bool, err error)
	// Consents returns current state per topic (none where no record), the
	// full history in seq order and whether the chain verifies. ENOTFOUND.
	Consents(ctx context.Context, externalID string) (*ConsentLedger, error)
	// OptOutAll opts a live customer out of every topic that is not already
	// opted out, including topics with no record (opting out of those is
	// still a preference worth recording), and returns how many changed; a
	// second call changes nothing. In the same transaction it skips the
	// customer's planned and queued deliveries (reason consent_withdrawn). EINVALID for a bad source or evidence;
	// ENOTFOUND.
	OptOutAll(ctx context.Context, customerID int64, source ConsentSource, ev Evidence) (int, error)
}

// APIKeyService manages API keys, stored as hashes.
type APIKeyService interface {
	// CreateAPIKey creates a key and returns it with the plain key, which
	// is never retrievable again. EINVALID for a bad name or role.
	CreateAPIKey(ctx context.Context, in *APIKeyInput) (*APIKey, string, error)
	// EnsureAPIKey makes sure the given plain key exists with the name and
	// role (used for CANDOR_ADMIN_API_KEY): it creates the key, or renames,
	// re-roles and un-revokes an existing one. EINVALID for a bad name, role
	// or empty key.
	EnsureAPIKey(ctx context.Context, name, plain string, role Role) error
	// APIKeys lists all keys, newest first, revoked ones included.
	APIKeys(ctx context.Context) ([]*APIKey, error)
	// RevokeAPIKey revokes a key; revoking a revoked key changes nothing
	// (the first revocation time stays). ENOTFOUND; ECONFLICT for the last
	// active admin key.
	RevokeAPIKey(ctx context.Context, id int64) error
	// AuthenticateAPIKey returns the active key matching plain.
	// EUNAUTHORIZED if it is unknown or revoked.
	AuthenticateAPIKey(ctx context.Context, plain string) (*APIKey, error)
}

// SegmentService stores segments and evaluates their rules against the
// customer base. Rules are parsed (and rejected with EINVALID naming the
// JSON pointer of the bad node) before anything is stored or queried.
type SegmentService interface {
	// Segment returns one segment. ENOTFOUND.
	Segment(ctx context.Context, id int64) (*Segment, error)
	// Segments lists segments by id. EINVALID for a bad cursor.
	Segments(ctx context.Context, page Page) (items []*Segment, nextCursor string, err error)
	// CreateSegment stores a new segment. EINVALID for a bad name,
	// description or rule, or a consent condition on an unknown topic.
	CreateSegment(ctx context.Context, in *SegmentInput) (*Segment, error)
	// UpdateSegment replaces name, description and rule. EINVALID;
	// ENOTFOUND.
	UpdateSegment(ctx context.Context, id int64, in *SegmentInput) (*Segment, error)
	// DeleteSegment deletes a segment. Drafts and finished campaigns that
	// used it keep no audience (a draft then cannot launch). ENOTFOUND;
	// ECONFLICT naming the campaign when a scheduled, running or paused
	// campaign uses it, since resuming or explaining it needs the segment.
	DeleteSegment(ctx context.Context, id int64) error
	// PreviewRule counts the live customers matching an ad-hoc rule and
	// samples the first MaxPreviewSample of them, writing nothing.
	// EMALFORMED or EINVALID for a bad rule or a consent condition on an
	// unknown topic.
	PreviewRule(ctx context.Context, rule json.RawMessage) (*SegmentPreview, error)
	// SegmentPreview is PreviewRule for a saved segment. ENOTFOUND.
	SegmentPreview(ctx context.Context, id int64) (*SegmentPreview, error)
	// SegmentCustomers lists a segment's live members in creation order,
	// one page at a time. ENOTFOUND; EINVALID for a bad cursor.
	SegmentCustomers(ctx context.Context, id int64, page Page) (items []*Customer, nextCursor string, err error)
	// ExplainSegment evaluates a segment's rule against one customer and
	// returns the rule tree with each node's result and the value that
	// decided it. ENOTFOUND for an unknown segment or customer.
	ExplainSegment(ctx context.Context, id int64, externalID string) (*RuleExplanation, error)
}

// ContentService manages the content library and its approval workflow.
type ContentService interface {
	// Content returns one item with its working body. ENOTFOUND.
	Content(ctx context.Context, id int64) (*Content, error)
	// Contents lists items by id. EINVALID for a bad cursor.
	Contents(ctx context.Context, page Page) (items []*Content, nextCursor string, err error)
	// CreateContent stores a new draft, version 1, edited by the API key
	// editedBy. EINVALID for a body that breaks a validation rule or names
	// an unknown topic or corrected content.
	CreateContent(ctx context.Context, in *ContentInput, editedBy int64) (*Content, error)
	// UpdateContent replaces the working body. Approved content gets a new
	// draft version (the approved one stays sendable and unchanged); content
	// in review goes back to draft, because the reviewer must see what they
	// approve. EINVALID; ENOTFOUND; ECONFLICT for retired content.
	UpdateContent(ctx context.Context, id int64, in *ContentInput, editedBy int64) (*Content, error)
	// SubmitContent moves a draft to in_review. ENOTFOUND; ECONFLICT unless
	// it is a draft.
	SubmitContent(ctx context.Context, id int64) (*Content, error)
	// ApproveContent approves content in review as a new immutable version.
	// It runs check on the body inside the transaction: EINVALID listing
	// error findings, or naming a warning missing from AcknowledgedWarnings
	// (or acknowledged there without being a current warning); EFORBIDDEN
	// when the approver last edited it (four eyes); ENOTFOUND; ECONFLICT
	// unless it is in review.
	ApproveContent(ctx context.Context, id int64, in *Approval, check ContentChecker) (*ContentVersion, error)
	// RejectContent returns content in review to draft with the reviewer's
	// reason. EINVALID without a reason or for one that is not ValidText;
	// ENOTFOUND; ECONFLICT unless in review.
	RejectContent(ctx context.Context, id int64, reason string) (*Content, error)
	// RetireContent retires content: no campaign may launch it any more.
	// ENOTFOUND; ECONFLICT if already retired.
	RetireContent(ctx context.Context, id int64) (*Content, error)
	// ContentVersions lists the approved versions, oldest first. ENOTFOUND.
	ContentVersions(ctx context.Context, id int64) ([]*ContentVersion, error)
	// ContentVersion returns one approved version. ENOTFOUND.
	ContentVersion(ctx context.Context, id int64, version int) (*ContentVersion, error)
}

// CampaignStore keeps campaigns and their deliveries: everything about a
// campaign that needs no per-customer decision.
type CampaignStore interface {
	// Campaign returns one campaign. ENOTFOUND.
	Campaign(ctx context.Context, id int64) (*Campaign, error)
	// Campaigns lists campaigns by id. EINVALID for a bad cursor.
	Campaigns(ctx context.Context, page Page) (items []*Campaign, nextCursor string, err error)
	// CreateCampaign stores a draft. EINVALID for a bad input, an unknown
	// content or segment, a recipients_of audience whose content is not a
	// correction of it, or correction content sent to a segment.
	CreateCampaign(ctx context.Context, in *CampaignInput) (*Campaign, error)
	// UpdateCampaign replaces a draft. EINVALID; ENOTFOUND; ECONFLICT
	// naming the state unless it is a draft.
	UpdateCampaign(ctx context.Context, id int64, in *CampaignInput) (*Campaign, error)
	// DeleteCampaign deletes a draft. ENOTFOUND; ECONFLICT unless draft.
	DeleteCampaign(ctx context.Context, id int64) error
	// PauseCampaign pauses a scheduled or running campaign; its planned
	// deliveries stay planned. ENOTFOUND; ECONFLICT naming the state.
	PauseCampaign(ctx context.Context, id int64) (*Campaign, error)
	// CancelCampaign cancels a campaign that is not completed; its planned
	// and queued deliveries become cancelled. ENOTFOUND; ECONFLICT.
	CancelCampaign(ctx context.Context, id int64) (*Campaign, error)
	// CampaignDeliveries lists a campaign's deliveries by id whose status
	// is one of statuses (all when none are given). ENOTFOUND; EINVALID
	// for a bad cursor or an unknown status.
	CampaignDeliveries(ctx context.Context, id int64, page Page, statuses ...DeliveryStatus) ([]*Delivery, string, error)
	// CustomerDeliveries lists a live customer's deliveries by id whose
	// status is one of statuses (all when none are given). ENOTFOUND;
	// EINVALID for a bad cursor or an unknown status.
	CustomerDeliveries(ctx context.Context, externalID string, page Page, statuses ...DeliveryStatus) ([]*Delivery, string, error)
}

// CampaignService stores campaigns, plans them and explains the plan.
type CampaignService interface {
	CampaignStore
	// LaunchCampaign pins the approved content version, plans every
	// eligible customer and moves the campaign to scheduled, all in one
	// transaction. A launched campaign is returned unchanged (a retry
	// never plans twice). ENOTFOUND; ECONFLICT for content that is not
	// approved, retired or expired, a deleted segment, a campaign window
	// that already ended, or a paused or cancelled campaign.
	LaunchCampaign(ctx context.Context, id int64) (*Campaign, error)
	// ResumeCampaign resumes a paused campaign and re-plans the planned
	// deliveries whose time has passed, skipping those whose consent,
	// channel or cadence no longer allows them and expiring those with no
	// window left. ENOTFOUND; ECONFLICT naming the state.
	ResumeCampaign(ctx context.Context, id int64) (*Campaign, error)
	// PreviewCampaign evaluates the audience as a launch now would,
	// writing nothing. ENOTFOUND; ECONFLICT as LaunchCampaign.
	PreviewCampaign(ctx context.Context, id int64) (*CampaignPreview, error)
	// ExplainCampaign explains the decision for one customer. ENOTFOUND
	// for an unknown campaign or customer; ECONFLICT as LaunchCampaign
	// for a draft whose content cannot be launched.
	ExplainCampaign(ctx context.Context, id int64, externalID string) (*CampaignExplanation, error)
}

// DeliveryService reads deliveries and the outbox, and resends unknown
// deliveries on request.
type DeliveryService interface {
	// Delivery returns one delivery with its status changes. ENOTFOUND.
	Delivery(ctx context.Context, id int64) (*Delivery, error)
	// Deliveries lists every campaign's deliveries by id whose status is
	// one of statuses (all when none). EINVALID for a bad cursor or an
	// unknown status.
	Deliveries(ctx context.Context, page Page, statuses ...DeliveryStatus) ([]*Delivery, string, error)
	// ResendDelivery plans an unknown delivery again; actor names who
	// asked, in its delivery event. ENOTFOUND; ECONFLICT unless unknown.
	ResendDelivery(ctx context.Context, id int64, actor string) (*Delivery, error)
	// OutboxMessages lists the outbox by id. ENOTFOUND for an unknown
	// customer; EINVALID for a bad cursor.
	OutboxMessages(ctx context.Context, f OutboxFilter, page Page) ([]*OutboxMessage, string, error)
}

// PreferenceService is the preference center: what a customer, signed in
// by their link, may see and change about themselves. It writes only
// through CustomerService and ConsentService, so the ledger's rules and
// the preference version apply as they do to the API.
type PreferenceService interface {
	// PreferencePage gathers what the page shows a live customer.
	// ENOTFOUND if the customer is gone.
	PreferencePage(ctx context.Context, c *Customer) (*PreferencePage, error)
	// UpdatePreferences applies a submission: profile fields through
	// PutCustomer (which bumps the preference version when they change),
	// consent through SetConsent with source preference_center. ECONFLICT
	// when f.State is not the page's current state (a stale or replayed
	// form; nothing is changed); EINVALID naming form fields
	// (PreferenceField*); ENOTFOUND.
	UpdatePreferences(ctx context.Context, c *Customer, f *PreferenceForm) (*PreferenceUpdate, error)
	// UnsubscribeEverything is OptOutAll with source preference_center:
	// every topic opted out, pending deliveries skipped. ENOTFOUND.
	UnsubscribeEverything(ctx context.Context, c *Customer, ev Evidence) (int, error)
	// SentMessageCopy renders a message sent to the customer again.
	// ENOTFOUND unless deliveryID is a sent delivery of this customer.
	SentMessageCopy(ctx context.Context, c *Customer, deliveryID int64) (*SentMessageCopy, error)
	// OfferedContent renders an item the page offers (approved, unexpired,
	// on a topic the customer opted into) for reading in the browser, in
	// the customer's locale, with their receipt. ENOTFOUND for any other
	// content.
	OfferedContent(ctx context.Context, c *Customer, contentID int64) (*OfferedItem, error)
	// RequestContent asks for an offered item to be sent through the
	// customer's preferred channel in their next window, exempt from
	// their cadence. Idempotent per (customer, content, page state):
	// the same form twice plans one delivery. Never plans a second copy
	// of what they received or will receive (the outcome says so).
	// ENOTFOUND for content not offered to them; ECONFLICT for content
	// retired or expired meanwhile.
	RequestContent(ctx context.Context, c *Customer, contentID int64, state string) (*ContentRequest, error)
	// PendingConfirmation checks a double opt-in link: code must be the
	// one sent for the customer's pending consent on topic. A link
	// already used answers with Confirmed set. ENOTFOUND for a code that
	// does not verify or nothing pending; ECONFLICT when it lapsed.
	PendingConfirmation(ctx context.Context, c *Customer, topic, code string) (*PendingConfirmation, error)
	// ConfirmConsent is PendingConfirmation, then records the consent as
	// opted_in with source double_opt_in and ev in the ledger. Using the
	// link again changes nothing and answers Confirmed. Errors as
	// PendingConfirmation, and ECONFLICT when the consent changed since.
	ConfirmConsent(ctx context.Context, c *Customer, topic, code string, ev Evidence) (*PendingConfirmation, error)
	// ExportData is CustomerExport for the customer. ENOTFOUND.
	ExportData(ctx context.Context, c *Customer) (*CustomerExport, error)
	// EraseData is EraseCustomer for the customer. ENOTFOUND.
	EraseData(ctx context.Context, c *Customer) error
}

// WebhookSourceService manages the sources of inbound webhooks and their
// sealed Standard Webhooks secrets.
type WebhookSourceService interface {
	// CreateWebhookSource creates a source with a new secret and returns
	// the secret ("whsec_..."), which is never retrievable again.
	// EINVALID for a bad name; ECONFLICT if the name is taken.
	CreateWebhookSource(ctx context.Context, in *WebhookSourceInput) (*WebhookSource, string, error)
	// WebhookSource returns one source. ENOTFOUND.
	WebhookSource(ctx context.Context, id int64) (*WebhookSource, error)
	// WebhookSources lists sources by id. EINVALID for a bad cursor.
	WebhookSources(ctx context.Context, page Page) ([]*WebhookSource, string, error)
	// RotateWebhookSource gives a source a new secret, returned once; the
	// current one keeps verifying for overlap (and any older one stops at
	// once). ENOTFOUND; EINVALID for an overlap out of range.
	RotateWebhookSource(ctx context.Context, id int64, overlap time.Duration) (*WebhookSource, string, error)
	// DeleteWebhookSource deletes a source: its requests are refused from
	// now on, while events it already delivered are still applied.
	// ENOTFOUND.
	DeleteWebhookSource(ctx context.Context, id int64) error
	// WebhookSourceSecrets returns the secrets that verify a source's
	// requests now: the current one first, then the previous one while
	// its overlap lasts. ENOTFOUND.
	WebhookSourceSecrets(ctx context.Context, id int64) ([]string, error)
}

// WebhookEndpointService manages outbound webhook endpoints, their
// sealed secrets, replays and the attempt log.
type WebhookEndpointService interface {
	// CreateWebhookEndpoint creates an enabled endpoint with a new secret
	// and returns the secret ("whsec_..."), never retrievable again. It
	// receives the events written from now on. EINVALID.
	CreateWebhookEndpoint(ctx context.Context, in *WebhookEndpointInput) (*WebhookEndpoint, string, error)
	// WebhookEndpoint returns one endpoint. ENOTFOUND.
	WebhookEndpoint(ctx context.Context, id int64) (*WebhookEndpoint, error)
	// WebhookEndpoints lists endpoints by id. EINVALID for a bad cursor.
	WebhookEndpoints(ctx context.Context, page Page) ([]*WebhookEndpoint, string, error)
	// UpdateWebhookEndpoint changes the fields the patch sets; enabling
	// clears the run of failures. ENOTFOUND; EINVALID.
	UpdateWebhookEndpoint(ctx context.Context, id int64, in *WebhookEndpointPatch) (*WebhookEndpoint, error)
	// DeleteWebhookEndpoint deletes an endpoint with its queue and
	// attempt log. ENOTFOUND.
	DeleteWebhookEndpoint(ctx context.Context, id int64) error
	// TestWebhookEndpoint queues a webhook_endpoint.test event for this
	// endpoint alone. ENOTFOUND.
	TestWebhookEndpoint(ctx context.Context, id int64) (*TestMessage, error)
	// ReplayWebhookEndpoint queues again one event (which the endpoint
	// must subscribe to) or every subscribed event written since a time,
	// delivered or not, with their original webhook-ids. ENOTFOUND (also
	// for an event that does not exist or the endpoint does not
	// subscribe to); EINVALID.
	ReplayWebhookEndpoint(ctx context.Context, id int64, in *ReplayInput) (*ReplayResult, error)
	// WebhookAttempts lists an endpoint's attempt log by id. ENOTFOUND;
	// EINVALID for a bad cursor.
	WebhookAttempts(ctx context.Context, id int64, page Page) ([]*WebhookAttempt, string, error)
}

// InboxService keeps verified inbound events until the worker applies
// them.
type InboxService interface {
	// AddInboxEvents stores the events of one verified request, each as
	// pending or (with its Err) failed, in one transaction. A webhook-id
	// already stored for the source stores nothing and returns the first
	// delivery's results with duplicate true. EUNAVAILABLE.
	AddInboxEvents(ctx context.Context, sourceID int64, webhookID string, events []ParsedEvent) (*InboundResult, error)
	// InboxEvents lists a source's events by id, of one status or all.
	// ENOTFOUND for an unknown source; EINVALID for a bad cursor.
	InboxEvents(ctx context.Context, sourceID int64, status InboxStatus, page Page) ([]*InboxEvent, string, error)
}

// InboundService verifies and accepts the requests of webhook sources.
type InboundService interface {
	// Receive verifies msg against the source's secrets and stores its
	// events in the inbox. EUNAUTHORIZED with the reason (unknown source,
	// missing header, timestamp outside the tolerance, no matching
	// signature), storing nothing; EMALFORMED or EINVALID for a body that
	// is not an event or a batch of 1 to MaxInboundBatch events.
	Receive(ctx context.Context, sourceID int64, msg *InboundMessage) (*InboundResult, error)
}

// ReportService measures trust (docs/reports.md).
type ReportService interface {
	// CampaignReport returns a launched or draft campaign's funnel,
	// respect, reaction and timing figures, computed from its deliveries
	// now. ENOTFOUND if there is no such campaign.
	CampaignReport(ctx context.Context, id int64) (*CampaignReport, error)
	// TrustReport returns the program's consent and pressure figures over
	// the period (docs/reports.md). EUNAVAILABLE when storage is.
	TrustReport(ctx context.Context, p ReportPeriod) (*TrustReport, error)
}
