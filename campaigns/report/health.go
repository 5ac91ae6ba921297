package report

import (
	"sort"

	"github.com/candor/candor/models"
)

// contentHealth sums the period's content sends and approvals into the
// content health figures (docs/reports.md): stale sends per version,
// acknowledged warnings per rule, corrections sent.
func contentHealth(sends []models.ContentSendDay, approvals []models.ContentApproval) models.ContentHealth {
	h := models.ContentHealth{StaleAfterDays: models.StaleContentDays, Stale: []models.StaleContent{},
		WarningsByRule: map[string]int64{}, ActiveStale: []models.ActiveContent{}}
	type version struct {
		id int64
		v  int
	}
	stale := map[version]*models.StaleContent{}
	corrections := map[int64]bool{}
	for _, d := range sends {
		if d.Kind == models.KindCorrection {
			h.CorrectionsSent += d.Count
			corrections[d.ContentID] = true
		}
		if !d.StaleOn() {
			continue
		}
		h.StaleSends += d.Count
		k := version{d.ContentID, d.Version}
		if stale[k] == nil {
			stale[k] = &models.StaleContent{ContentID: d.ContentID, Version: d.Version, Title: d.Title, AsOf: d.AsOf}
		}
		stale[k].Sends += d.Count
	}
	h.CorrectionItems = int64(len(corrections))
	for _, s := range stale {
		h.Stale = append(h.Stale, *s)
	}
	sort.Slice(h.Stale, func(i, j int) bool {
		a, b := h.Stale[i], h.Stale[j]
		if a.Sends != b.Sends {
			return a.Sends > b.Sends
		}
		if a.ContentID != b.ContentID {
			return a.ContentID < b.ContentID
		}
		return a.Version < b.Version
	})
	for _, a := range approvals {
		h.Approvals++
		if len(a.Warnings) > 0 {
			h.ApprovalsWithWarnings++
		}
		for _, rule := range a.Warnings {
			h.WarningsAcknowledged++
			h.WarningsByRule[rule]++
		}
	}
	return h
}
