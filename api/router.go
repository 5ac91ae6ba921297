// Package api is Candor's HTTP layer: a gin engine with every route, its
// role, strict JSON decoding and RFC 9457 problem responses. Handlers decode,
// validate, make one store call and respond; they hold no business rules.
package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/candor/candor/internal/opsmetrics"
	"github.com/candor/candor/models"
	"github.com/candor/candor/secrets"
	"github.com/candor/candor/web"
	reportweb "github.com/candor/candor/web/reports"
	"github.com/candor/candor/webhooks"
	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Store is what the API needs from storage.
type Store interface {
	models.CustomerService
	models.TopicService
	models.ConsentService
	models.APIKeyService
	models.ContentService
	models.SegmentService
	models.AuditService
	models.ContentReceiptService
	models.WebhookSourceService
	models.WebhookEndpointService
	models.InboxService
	Ping(context.Context) error
}

// Options configure the HTTP handler.
type Options struct {
	Store        Store
	Keys         *secrets.Keys
	PublicURL    string // base of links, no trailing slash
	MaxBodyBytes int64  // 0 => 1 MiB
	MetricsToken string // if set, /metrics needs "Authorization: Bearer <token>"
	// Checks are run by /readyz by name ("database", "redis", ...). A
	// "database" check pinging Store is added when missing.
	Checks   map[string]func(context.Context) error
	Registry *prometheus.Registry // nil => a new one; /metrics serves it
	Logger   *slog.Logger         // nil => slog.Default()
	Version  string
	// Campaigns plans, previews and explains campaigns over Store
	// (campaigns.Service). Required.
	Campaigns models.CampaignService
	// Reports computes campaign reports (report.Service). Required.
	Reports models.ReportService
	// Deliveries reads deliveries and the outbox; nil means Store, when
	// it implements models.DeliveryService.
	Deliveries models.DeliveryService
	// RateLimit, if set, limits the requests of each API key (ratelimit.go).
	RateLimit *RateLimit
	// PageRateLimit, if set, limits the requests to /p/ and /u/ per link
	// and per client address (page_ratelimit.go).
	PageRateLimit *PageRateLimit
	// Preferences is the preference center (preferences.Service).
	// Required.
	Preferences models.PreferenceService
	// Inbound verifies and stores inbound webhooks; nil means
	// webhooks.Receiver on Store.
	Inbound models.InboundService
	// WebhookEndpoints manages outbound webhook endpoints; nil means
	// webhooks.Endpoints on Store with the default URL policy (https and
	// public addresses only).
	WebhookEndpoints models.WebhookEndpointService
	// previews, if set, replaces the limiter of expensive reads (tests
	// hold its slots to see the 429); not configurable from outside.
	previews *limiter
}

// DefaultMaxBodyBytes is the body limit when Options.MaxBodyBytes is 0.
const DefaultMaxBodyBytes = 1 << 20

// public marks a route that needs no API key (it may guard itself, as
// /metrics and the signed-token pages do).
const public models.Role = ""

// route is one endpoint and the weakest role that may call it.
type route struct {
	method  string
	path    string
	role    models.Role
	handler gin.HandlerFunc
}

// routes lists every endpoint of the API in one place.
func (s *server) routes() []route {
	return []route{
		{http.MethodGet, "/healthz", public, s.healthz},
		{http.MethodGet, "/readyz", public, s.readyz},
		{http.MethodGet, "/metrics", public, s.metricsHandler},
		{http.MethodGet, "/openapi.json", public, s.openAPI},
		{http.MethodGet, "/docs", public, s.docs},
		{http.MethodGet, "/docs/redoc.standalone.js", public, s.docsScript},
		{http.MethodGet, "/u/:token", public, s.unsubscribePage},
		{http.MethodPost, "/u/:token", public, s.unsubscribe},
		{http.MethodGet, "/p/:token", public, s.preferencesPage},
		{http.MethodPost, "/p/:token", public, s.updatePreferences},
		{http.MethodPost, "/p/:token/unsubscribe", public, s.unsubscribeEverything},
		{http.MethodGet, "/p/:token/export", public, s.exportMyData},
		{http.MethodGet, "/p/:token/erase", public, s.erasePage},
		{http.MethodPost, "/p/:token/erase", public, s.eraseMyData},
		{http.MethodGet, "/p/:token/messages/:id", public, s.sentMessage},
		{http.MethodGet, "/p/:token/content/:id", public, s.offeredContent},
		{http.MethodPost, "/p/:token/content/:id/request", public, s.requestContent},
		{http.MethodGet, "/p/:token/confirm/:topic", public, s.confirmPage},
		{http.MethodPost, "/p/:token/confirm/:topic", public, s.confirmConsent},

		{http.MethodGet, "/v1/customers", models.RoleViewer, s.listCustomers},
		{http.MethodPost, "/v1/customers/batch", models.RoleEditor, s.batchCustomers},
		{http.MethodGet, "/v1/customers/:external_id", models.RoleViewer, s.getCustomer},
		{http.MethodPut, "/v1/customers/:external_id", models.RoleEditor, s.putCustomer},
		{http.MethodDelete, "/v1/customers/:external_id", models.RoleEditor, s.eraseCustomer},
		{http.MethodGet, "/v1/customers/:external_id/export", models.RoleViewer, s.exportCustomer},
		{http.MethodGet, "/v1/customers/:external_id/links", models.RoleViewer, s.customerLinks},
		{http.MethodDelete, "/v1/customers/:external_id/links", models.RoleEditor, s.revokeCustomerLinks},
		{http.MethodGet, "/v1/customers/:external_id/content/:id", models.RoleViewer, s.contentReceipt},
		{http.MethodGet, "/v1/customers/:external_id/consents", models.RoleViewer, s.getConsents},
		{http.MethodPut, "/v1/customers/:external_id/consents/:topic", models.RoleEditor, s.putConsent},

		{http.MethodGet, "/v1/topics", models.RoleViewer, s.listTopics},
		{http.MethodPost, "/v1/topics", models.RoleAdmin, s.createTopic},
		{http.MethodGet, "/v1/topics/:key", models.RoleViewer, s.getTopic},
		{http.MethodPatch, "/v1/topics/:key", models.RoleAdmin, s.updateTopic},
		{http.MethodDelete, "/v1/topics/:key", models.RoleAdmin, s.deleteTopic},

		// Previews write nothing, so a viewer may run them although they
		// are POSTs (the rule travels in the body).
		{http.MethodGet, "/v1/segments", models.RoleViewer, s.listSegments},
		{http.MethodPost, "/v1/segments", models.RoleEditor, s.createSegment},
		{http.MethodPost, "/v1/segments/preview", models.RoleViewer, s.expensive(s.previewRule)},
		{http.MethodGet, "/v1/segments/:id", models.RoleViewer, s.getSegment},
		{http.MethodPut, "/v1/segments/:id", models.RoleEditor, s.putSegment},
		{http.MethodDelete, "/v1/segments/:id", models.RoleEditor, s.deleteSegment},
		{http.MethodGet, "/v1/segments/:id/preview", models.RoleViewer, s.expensive(s.segmentPreview)},
		{http.MethodGet, "/v1/segments/:id/customers", models.RoleViewer, s.expensive(s.segmentCustomers)},
		{http.MethodGet, "/v1/segments/:id/explain/:external_id", models.RoleViewer, s.explainSegment},

		{http.MethodPost, "/v1/api-keys", models.RoleAdmin, s.createAPIKey},
		{http.MethodGet, "/v1/api-keys", models.RoleAdmin, s.listAPIKeys},
		{http.MethodDelete, "/v1/api-keys/:id", models.RoleAdmin, s.revokeAPIKey},

		{http.MethodGet, "/v1/content", models.RoleViewer, s.listContent},
		{http.MethodPost, "/v1/content", models.RoleEditor, s.createContent},
		{http.MethodGet, "/v1/content/:id", models.RoleViewer, s.getContent},
		{http.MethodPut, "/v1/content/:id", models.RoleEditor, s.updateContent},
		{http.MethodPost, "/v1/content/:id/submit", models.RoleEditor, s.submitContent},
		{http.MethodPost, "/v1/content/:id/check", models.RoleEditor, s.checkContent},
		{http.MethodPost, "/v1/content/:id/render", models.RoleEditor, s.renderContent},
		{http.MethodPost, "/v1/content/:id/approve", models.RoleAdmin, s.approveContent},
		{http.MethodPost, "/v1/content/:id/reject", models.RoleAdmin, s.rejectContent},
		{http.MethodPost, "/v1/content/:id/retire", models.RoleAdmin, s.retireContent},
		{http.MethodGet, "/v1/content/:id/versions", models.RoleViewer, s.listContentVersions},
		{http.MethodGet, "/v1/content/:id/versions/:version", models.RoleViewer, s.getContentVersion},

		// A preview writes nothing, so a viewer may run it.
		{http.MethodGet, "/v1/campaigns", models.RoleViewer, s.listCampaigns},
		{http.MethodPost, "/v1/campaigns", models.RoleEditor, s.createCampaign},
		{http.MethodGet, "/v1/campaigns/:id", models.RoleViewer, s.getCampaign},
		{http.MethodPut, "/v1/campaigns/:id", models.RoleEditor, s.putCampaign},
		{http.MethodDelete, "/v1/campaigns/:id", models.RoleEditor, s.deleteCampaign},
		{http.MethodPost, "/v1/campaigns/:id/preview", models.RoleViewer, s.expensive(s.previewCampaign)},
		{http.MethodGet, "/v1/campaigns/:id/explain/:external_id", models.RoleViewer, s.explainCampaign},
		{http.MethodGet, "/v1/campaigns/:id/deliveries", models.RoleViewer, s.campaignDeliveries},
		{http.MethodGet, "/v1/campaigns/:id/report", models.RoleViewer, s.expensive(s.campaignReport)},
		{http.MethodPost, "/v1/campaigns/:id/launch", models.RoleAdmin, s.launchCampaign},
		{http.MethodPost, "/v1/campaigns/:id/pause", models.RoleAdmin, s.pauseCampaign},
		{http.MethodPost, "/v1/campaigns/:id/resume", models.RoleAdmin, s.resumeCampaign},
		{http.MethodPost, "/v1/campaigns/:id/cancel", models.RoleAdmin, s.cancelCampaign},
		{http.MethodGet, "/v1/customers/:external_id/deliveries", models.RoleViewer, s.customerDeliveries},

		{http.MethodGet, "/v1/deliveries", models.RoleViewer, s.listDeliveries},
		{http.MethodGet, "/v1/deliveries/:id", models.RoleViewer, s.getDelivery},
		{http.MethodPost, "/v1/deliveries/:id/resend", models.RoleAdmin, s.resendDelivery},
		{http.MethodGet, "/v1/outbox", models.RoleViewer, s.listOutbox},
		{http.MethodGet, "/v1/audit", models.RoleAdmin, s.listAudit},

		// Inbound webhooks authenticate by their Standard Webhooks
		// signature, not by an API key.
		{http.MethodPost, "/v1/inbound/:source", public, s.receiveInbound},
		{http.MethodGet, "/v1/webhook-sources", models.RoleViewer, s.listWebhookSources},
		{http.MethodPost, "/v1/webhook-sources", models.RoleAdmin, s.createWebhookSource},
		{http.MethodGet, "/v1/webhook-sources/:id", models.RoleViewer, s.getWebhookSource},
		{http.MethodDelete, "/v1/webhook-sources/:id", models.RoleAdmin, s.deleteWebhookSource},
		{http.MethodPost, "/v1/webhook-sources/:id/rotate", models.RoleAdmin, s.rotateWebhookSource},
		{http.MethodGet, "/v1/webhook-sources/:id/events", models.RoleViewer, s.listInboxEvents},
		{http.MethodGet, "/v1/webhook-endpoints", models.RoleViewer, s.listWebhookEndpoints},
		{http.MethodPost, "/v1/webhook-endpoints", models.RoleAdmin, s.createWebhookEndpoint},
		{http.MethodGet, "/v1/webhook-endpoints/:id", models.RoleViewer, s.getWebhookEndpoint},
		{http.MethodPatch, "/v1/webhook-endpoints/:id", models.RoleAdmin, s.updateWebhookEndpoint},
		{http.MethodDelete, "/v1/webhook-endpoints/:id", models.RoleAdmin, s.deleteWebhookEndpoint},
		{http.MethodPost, "/v1/webhook-endpoints/:id/test", models.RoleAdmin, s.testWebhookEndpoint},
		{http.MethodPost, "/v1/webhook-endpoints/:id/replay", models.RoleAdmin, s.replayWebhookEndpoint},
		{http.MethodGet, "/v1/webhook-endpoints/:id/attempts", models.RoleViewer, s.listWebhookAttempts},

		{http.MethodGet, "/v1/reports/trust", models.RoleViewer, s.expensive(s.trustReport)},
		// A link lends the viewer's read of one page (docs/reports.md).
		{http.MethodPost, "/v1/report-links", models.RoleViewer, s.createReportLink},
		// HTML reports take a viewer's key or a signed link (reportAccess).
		{http.MethodGet, "/reports/campaigns/:id", public, s.reportAccess(s.expensive(s.campaignReportPage))},
		{http.MethodGet, "/reports/trust", public, s.reportAccess(s.expensive(s.trustReportPage))},
	}
}

// server holds what the handlers share.
type server struct {
	store        Store
	keys         *secrets.Keys
	publicURL    string
	maxBody      int64
	metricsToken string
	checks       map[string]func(context.Context) error
	registry     *prometheus.Registry
	metrics      *httpMetrics
	promHTTP     http.Handler
	logger       *slog.Logger
	version      string
	pages        *web.Pages
	reportPages  *reportweb.Pages
	openapi      []byte
	campaigns    models.CampaignService
	deliveries   models.DeliveryService
	preferences  models.PreferenceService
	reports      models.ReportService
	previews     *limiter // expensive reads: previews and segment members
	rate         *keyLimiter
	pageRate     *pageLimiter
	inbound      models.InboundService
	endpoints    models.WebhookEndpointService

	// inboundEvents counts inbound events by status (opsmetrics).
	inboundEvents *prometheus.CounterVec
}

// New builds the HTTP handler: a gin engine in release mode with every
// route of routes() and a HEAD beside each GET, request ids, access logs,
// metrics, body limits and panic recovery. It fails when a required option
// is missing.
func New(opts Options) (http.Handler, error) {
	e, err := newEngine(opts)
	if err != nil {
		return nil, err // a nil *gin.Engine would make a non-nil http.Handler
	}
	return e, nil
}

func newEngine(opts Options) (*gin.Engine, error) {
	s, err := newServer(opts)
	if err != nil {
		return nil, err
	}
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	// A trailing-slash redirect would turn a mistyped PUT into a GET-able
	// 301/307; a clear 404 problem is better for API clients.
	e.RedirectTrailingSlash = false
	e.HandleMethodNotAllowed = true
	if err := e.SetTrustedProxies(nil); err != nil {
		return nil, err
	}
	e.Use(withRequestID, traceRequest, dropHeadBody, s.observe, s.recoverPanic, s.limitBody)
	e.NoRoute(s.notFound)
	e.NoMethod(s.methodNotAllowed)
	for _, r := range withHeadRoutes(s.routes()) {
		h := r.handler
		if (r.method == http.MethodGet || r.method == http.MethodHead) && strings.HasPrefix(r.path, "/v1/") {
			h = retryOnce(h)
		}
		handlers := []gin.HandlerFunc{h}
		if r.role != public {
			handlers = append([]gin.HandlerFunc{s.requireRole(r.role), s.rateLimit}, handlers...)
		} else if isPublicPage(r.path) {
			handlers = append([]gin.HandlerFunc{s.pageRateLimit}, handlers...)
		}
		e.Handle(r.method, r.path, handlers...)
	}
	return e, nil
}

func newServer(opts Options) (*server, error) {
	if opts.Store == nil || opts.Keys == nil || opts.Campaigns == nil || opts.Preferences == nil || opts.Reports == nil {
		return nil, errors.New("api: Options.Store, Options.Keys, Options.Campaigns, Options.Preferences and Options.Reports are required")
	}
	if opts.Deliveries == nil {
		opts.Deliveries, _ = opts.Store.(models.DeliveryService)
	}
	if opts.Deliveries == nil {
		return nil, errors.New("api: Options.Deliveries is required")
	}
	s := &server{
		store:        opts.Store,
		keys:         opts.Keys,
		publicURL:    strings.TrimRight(opts.PublicURL, "/"),
		maxBody:      opts.MaxBodyBytes,
		metricsToken: opts.MetricsToken,
		checks:       map[string]func(context.Context) error{},
		registry:     opts.Registry,
		logger:       opts.Logger,
		version:      opts.Version,
		campaigns:    opts.Campaigns,
		deliveries:   opts.Deliveries,
		preferences:  opts.Preferences,
		reports:      opts.Reports,
		previews:     opts.previews,
		rate:         newKeyLimiter(opts.RateLimit),
		pageRate:     newPageLimiter(opts.PageRateLimit),
		inbound:      opts.Inbound,
		endpoints:    opts.WebhookEndpoints,
	}
	if s.inbound == nil {
		s.inbound = webhooks.Receiver{Store: opts.Store}
	}
	if s.endpoints == nil {
		s.endpoints = webhooks.Endpoints{WebhookEndpointService: opts.Store}
	}
	if s.previews == nil {
		s.previews = newLimiter(expensiveSlots(), expensiveWait)
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	if s.registry == nil {
		s.registry = prometheus.NewRegistry()
	}
	for name, check := range opts.Checks {
		s.checks[name] = check
	}
	if _, ok := s.checks["database"]; !ok {
		s.checks["database"] = opts.Store.Ping
	}
	var err error
	if s.metrics, err = newHTTPMetrics(s.registry); err != nil {
		return nil, err
	}
	if s.inboundEvents, err = opsmetrics.InboundEvents(s.registry); err != nil {
		return nil, err
	}
	s.promHTTP = promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{})
	if s.pages, err = web.Load(); err != nil {
		return nil, err
	}
	if s.reportPages, err = reportweb.Load(); err != nil {
		return nil, err
	}
	if s.openapi, err = openAPIJSON(); err != nil {
		return nil, err
	}
	return s, nil
}
