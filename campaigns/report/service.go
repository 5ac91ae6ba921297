// Package report measures trust: what a campaign did to its audience
// (funnel, respect of each customer's wishes, reactions, timing). Storage
// aggregates what SQL can count and groups the records the judge reads
// alike; the judging lives here, beside the planner whose decisions it
// checks (docs/reports.md).
package report

import (
	"context"
	"time"

	"github.com/candor/candor/models"
)

// Store is what reports need from storage (store.Store implements it).
// Each returns ENOTFOUND for an unknown campaign where it reads one.
type Store interface {
	// CampaignReportFacts aggregates the campaign's counts, calling sent
	// with its sent records in groups judged alike and changes with the
	// recipients' changes of wishes within the reaction window after
	// their message, ordered by customer.
	CampaignReportFacts(ctx context.Context, id int64, sent func(*models.SentGroup) error,
		changes func(*models.PreferenceChange) error) (*models.CampaignReportFacts, error)
	// SentRecords streams the campaign's sent records with their wishes,
	// one by one (the audit of the groups).
	SentRecords(ctx context.Context, campaignID int64, fn func(*models.SentRecord) error) error
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
	// Storage groups the sent records; each group is judged once, for
	// all its records (models.SentGroup, docs/reports.md).
	var groups respectCount
	audit := false
	changes := &downgrades{judge: s.judge}
	f, err := s.store.CampaignReportFacts(ctx, id, func(g *models.SentGroup) error {
		if g.Minute && !s.judge.alikeInMinute(&g.Record) {
			audit = true
		}
		groups.add(s.judge.Respect(&g.Record), g.Count, g.OnChannel)
		return nil
	}, changes.add)
	if err != nil {
		return nil, err
	}
	respect := groups.shares()
	if audit {
		// A zone whose offsets or changes are not whole minutes near a
		// group's minute: judge every record.
		if respect, err = s.AuditRespect(ctx, id); err != nil {
			return nil, err
		}
	}
	r := &models.CampaignReport{CampaignID: id, State: f.Campaign.State, Funnel: funnel(f), Respect: respect,
		Timing: models.ReportTiming{UTCHours: f.UTCHours, LocalHours: f.LocalHours}}
	r.Reaction = reaction(f, changes, r.Funnel.Sent)
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

// AuditRespect is the respect figure of the campaign judged record by
// record: what CampaignReport's groups must add up to, kept as the
// audit of that shortcut (and its fallback). ENOTFOUND never (an unknown
// campaign has no record); EUNAVAILABLE when storage is.
func (s *Service) AuditRespect(ctx context.Context, id int64) (models.ReportRespect, error) {
	var r respectCount
	err := s.store.SentRecords(ctx, id, func(rec *models.SentRecord) error {
		v := s.judge.Respect(rec)
		r.add(v, 1, verdictCount(v))
		// A long walk notices a client that left.
		if r.Sent%4096 == 0 {
			return ctx.Err()
		}
		return nil
	})
	return r.shares(), err
}

// downgrades counts the recipients whose changes of wishes lowered
// something, once per kind.
type downgrades struct {
	judge                            Judge
	total, cadence, windows, channel int64
	// Changes come ordered by customer: a customer counts once per kind
	// however often they changed, and only the current one is held.
	cur int64
	was Downgrade
}

// add counts one change.
func (g *downgrades) add(c *models.PreferenceChange) error {
	d := g.judge.Downgrade(c)
	if !d.Any() {
		return nil
	}
	if c.CustomerID != g.cur {
		g.cur, g.was = c.CustomerID, Downgrade{}
	}
	if !g.was.Any() {
		g.total++
	}
	if d.Cadence && !g.was.Cadence {
		g.cadence++
	}
	if d.Windows && !g.was.Windows {
		g.windows++
	}
	if d.Channel && !g.was.Channel {
		g.channel++
	}
	g.was = Downgrade{g.was.Cadence || d.Cadence, g.was.Windows || d.Windows, g.was.Channel || d.Channel}
	return nil
}

// reaction is the reaction figure of f's counts and the downgrades g
// counted, per sent messages.
func reaction(f *models.CampaignReportFacts, g *downgrades, sent int64) models.ReportReaction {
	return models.ReportReaction{WithinDays: int(models.ReactionWindow / (24 * time.Hour)),
		TopicOptOuts: rate(f.TopicOptOuts, sent), Unsubscribes: rate(f.Unsubscribes, sent), Complaints: rate(f.Complaints, sent),
		Downgrades: rate(g.total, sent), CadenceLowered: rate(g.cadence, sent), WindowsNarrowed: rate(g.windows, sent),
		ChannelChanged: rate(g.channel, sent)}
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
