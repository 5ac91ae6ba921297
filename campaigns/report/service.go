// Package report measures trust: what a campaign did to its audience
// (funnel, respect of each customer's wishes, reactions, timing). Storage
// aggregates what SQL can count and streams the records that must be
// judged one by one; the judging lives here, beside the planner whose
// decisions it checks (docs/reports.md).
package report

import (
	"context"
	"time"

	"github.com/candor/candor/models"
)

// Store is what reports need from storage (store.Store implements it).
// Each returns ENOTFOUND for an unknown campaign where it reads one.
type Store interface {
	// CampaignReportFacts aggregates the campaign's counts.
	CampaignReportFacts(ctx context.Context, id int64) (*models.CampaignReportFacts, error)
	// SentRecords streams the campaign's sent records with their wishes.
	SentRecords(ctx context.Context, campaignID int64, fn func(*models.SentRecord) error) error
	// PreferenceChanges streams recipients' changes of wishes within the
	// reaction window after their message.
	PreferenceChanges(ctx context.Context, campaignID int64, fn func(*models.PreferenceChange) error) error
	// ConsentActivity counts opt-ins and opt-outs per topic and UTC day.
	ConsentActivity(ctx context.Context, from, to time.Time) ([]models.ConsentDay, error)
	// SendPressure counts customers by messages received in [from, to).
	SendPressure(ctx context.Context, from, to time.Time) ([]models.CountBucket, error)
	// CadenceLimited counts customers at their own cadence's limit, and
	// at limit's, at instant to.
	CadenceLimited(ctx context.Context, to time.Time, limit *models.Cadence) (own, capped int64, err error)
	// ContentSends counts messages sent per content version and UTC day.
	ContentSends(ctx context.Context, from, to time.Time) ([]models.ContentSendDay, error)
	// ContentApprovals lists the versions approved, with acknowledged
	// warnings.
	ContentApprovals(ctx context.Context, from, to time.Time) ([]models.ContentApproval, error)
	// ActiveCampaignContent lists the campaigns that may still send.
	ActiveCampaignContent(ctx context.Context) ([]models.ActiveContent, error)
	// ComplaintActivity counts complaints per UTC day.
	ComplaintActivity(ctx context.Context, from, to time.Time) ([]models.DayCount, error)
}

// Service implements models.ReportService over a Store.
type Service struct {
	store     Store
	judge     Judge
	globalCap *models.Cadence
}

// NewService returns the report service over st, resolving customers
// without zone or windows to settings' defaults as the planner does.
func NewService(st Store, settings models.PlanSettings) *Service {
	return &Service{store: st, judge: Judge{DefaultZone: settings.DefaultTimezone, DefaultWindows: settings.DefaultWindows},
		globalCap: settings.GlobalCap}
}

// CampaignReport implements models.ReportService. ENOTFOUND for an
// unknown campaign; EUNAVAILABLE when storage is.
func (s *Service) CampaignReport(ctx context.Context, id int64) (*models.CampaignReport, error) {
	f, err := s.store.CampaignReportFacts(ctx, id)
	if err != nil {
		return nil, err
	}
	r := &models.CampaignReport{CampaignID: id, State: f.Campaign.State, Funnel: funnel(f),
		Timing: models.ReportTiming{UTCHours: f.UTCHours, LocalHours: f.LocalHours}}
	if r.Respect, err = s.respect(ctx, id); err != nil {
		return nil, err
	}
	if r.Reaction, err = s.reaction(ctx, id, f, r.Funnel.Sent); err != nil {
		return nil, err
	}
	return r, nil
}

func funnel(f *models.CampaignReportFacts) models.ReportFunnel {
	fn := models.ReportFunnel{Excluded: f.Excluded, Skipped: map[models.Reason]int64{},
		Failed: map[models.Reason]int64{}, Expired: map[models.Reason]int64{}}
	for _, c := range f.Statuses {
		fn.Planned += c.Count
		switch c.Status {
		case models.DeliveryPlanned, models.DeliveryQueued, models.DeliverySending:
			fn.Pending += c.Count
		case models.DeliverySent:
			fn.Sent += c.Count
		case models.DeliverySkipped:
			fn.Skipped[c.Reason] += c.Count
		case models.DeliveryFailed:
			fn.Failed[c.Reason] += c.Count
		case models.DeliveryUnknown:
			fn.Unknown += c.Count
		case models.DeliveryExpired:
			fn.Expired[c.Reason] += c.Count
		case models.DeliveryCancelled:
			fn.Cancelled += c.Count
		}
	}
	fn.SegmentSize = fn.Planned
	for _, n := range f.Excluded {
		fn.SegmentSize += n
	}
	return fn
}

func (s *Service) respect(ctx context.Context, id int64) (models.ReportRespect, error) {
	var r models.ReportRespect
	err := s.store.SentRecords(ctx, id, func(rec *models.SentRecord) error {
		r.Sent++
		v := s.judge.Respect(rec)
		if !v.Verifiable {
			r.Unverifiable++
			return nil
		}
		r.Verifiable++
		if v.InWindow {
			r.InWindow++
		}
		if v.OnChannel {
			r.OnPreferredChannel++
		}
		if v.InWindow && v.OnChannel {
			r.Respected++
		}
		// A long walk notices a client that left.
		if r.Sent%4096 == 0 {
			return ctx.Err()
		}
		return nil
	})
	r.InWindowShare = share(r.InWindow, r.Verifiable)
	r.ChannelShare = share(r.OnPreferredChannel, r.Verifiable)
	r.Share = share(r.Respected, r.Verifiable)
	return r, err
}

func (s *Service) reaction(ctx context.Context, id int64, f *models.CampaignReportFacts, sent int64) (models.ReportReaction, error) {
	r := models.ReportReaction{WithinDays: int(models.ReactionWindow / (24 * time.Hour))}
	var total, cadence, windows, channel int64
	// Changes come ordered by customer: a customer counts once per kind
	// however often they changed, and only the current one is held.
	var cur int64
	var was Downgrade
	err := s.store.PreferenceChanges(ctx, id, func(c *models.PreferenceChange) error {
		d := s.judge.Downgrade(c)
		if !d.Any() {
			return nil
		}
		if c.CustomerID != cur {
			cur, was = c.CustomerID, Downgrade{}
		}
		if !was.Any() {
			total++
		}
		if d.Cadence && !was.Cadence {
			cadence++
		}
		if d.Windows && !was.Windows {
			windows++
		}
		if d.Channel && !was.Channel {
			channel++
		}
		was = Downgrade{was.Cadence || d.Cadence, was.Windows || d.Windows, was.Channel || d.Channel}
		return nil
	})
	r.TopicOptOuts = rate(f.TopicOptOuts, sent)
	r.Unsubscribes = rate(f.Unsubscribes, sent)
	r.Complaints = rate(f.Complaints, sent)
	r.Downgrades = rate(total, sent)
	r.CadenceLowered = rate(cadence, sent)
	r.WindowsNarrowed = rate(windows, sent)
	r.ChannelChanged = rate(channel, sent)
	return r, err
}

// share is part/whole in percent, nil for an empty whole.
func share(part, whole int64) *float64 {
	if whole == 0 {
		return nil
	}
	v := float64(part) * 100 / float64(whole)
	return &v
}

// rate is n and n per 1,000 sent.
func rate(n, sent int64) models.Rate {
	r := models.Rate{Count: n}
	if sent > 0 {
		r.PerThousand = float64(n) * 1000 / float64(sent)
	}
	return r
}

// Check at compile time that Service is a models.ReportService.
var _ models.ReportService = (*Service)(nil)
