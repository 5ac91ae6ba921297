package campaigns

import (
	"context"

	"github.com/candor/candor/models"
)

// Store is what the campaign service needs from storage: the campaign
// records, and the four operations that stream customers' facts through
// a models.Planner inside transactions storage owns. Each returns the
// errors documented on models.CampaignService.
type Store interface {
	models.CampaignStore
	// LaunchCampaign plans the campaign with p and writes the plan.
	LaunchCampaign(ctx context.Context, id int64, p models.Planner) (*models.Campaign, error)
	// ResumeCampaign re-plans the missed deliveries with p.
	ResumeCampaign(ctx context.Context, id int64, p models.Planner) (*models.Campaign, error)
	// PreviewCampaign plans with p and writes nothing.
	PreviewCampaign(ctx context.Context, id int64, p models.Planner) (*models.CampaignPreview, error)
	// ExplainCampaign explains p's decision for one customer.
	ExplainCampaign(ctx context.Context, id int64, externalID string, p models.Planner) (*models.CampaignExplanation, error)
}

// Service implements models.CampaignService: storage keeps the records,
// the planner takes every per-customer decision.
type Service struct {
	Store
	planner *Planner
}

// NewService returns the campaign service over st deciding with p.
func NewService(st Store, p *Planner) *Service { return &Service{Store: st, planner: p} }

// LaunchCampaign implements models.CampaignService.
func (s *Service) LaunchCampaign(ctx context.Context, id int64) (*models.Campaign, error) {
	return s.Store.LaunchCampaign(ctx, id, s.planner)
}

// ResumeCampaign implements models.CampaignService.
func (s *Service) ResumeCampaign(ctx context.Context, id int64) (*models.Campaign, error) {
	return s.Store.ResumeCampaign(ctx, id, s.planner)
}

// PreviewCampaign implements models.CampaignService.
func (s *Service) PreviewCampaign(ctx context.Context, id int64) (*models.CampaignPreview, error) {
	return s.Store.PreviewCampaign(ctx, id, s.planner)
}

// ExplainCampaign implements models.CampaignService.
func (s *Service) ExplainCampaign(ctx context.Context, id int64, externalID string) (*models.CampaignExplanation, error) {
	return s.Store.ExplainCampaign(ctx, id, externalID, s.planner)
}

// Check at compile time that Service is a models.CampaignService.
var _ models.CampaignService = (*Service)(nil)
