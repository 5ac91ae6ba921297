// Package demo fills an empty Candor with a small, realistic world a
// newcomer can watch at work: customers across time zones and channels,
// their consent, approved content of the three kinds the product is about,
// a segment and a launched campaign whose windows are open right now for
// part of the audience. Every step goes through the same services the API
// uses, so each trust rule applies (four eyes included: the content is
// written by one owner and approved by another). Prepare is idempotent: a
// second run on the same data finds what the first made and adds nothing.
package demo

import (
	"context"
	"encoding/json"
	"time"

	"github.com/candor/candor/models"
)

// Store is what the demo needs from storage: the services the API's
// handlers use.
type Store interface {
	Customer(ctx context.Context, externalID string) (*models.Customer, error)
	PutCustomer(ctx context.Context, in *models.CustomerInput) (*models.Customer, bool, error)
	SetConsent(ctx context.Context, externalID, topic string, in *models.ConsentInput) (*models.Consent, bool, error)
	APIKeys(ctx context.Context) ([]*models.APIKey, error)
	CreateAPIKey(ctx context.Context, in *models.APIKeyInput) (*models.APIKey, string, error)
	Segments(ctx context.Context, page models.Page) ([]*models.Segment, string, error)
	CreateSegment(ctx context.Context, in *models.SegmentInput) (*models.Segment, error)
	Contents(ctx context.Context, page models.Page) ([]*models.Content, string, error)
	CreateContent(ctx context.Context, in *models.ContentInput, editedBy int64) (*models.Content, error)
	SubmitContent(ctx context.Context, id int64) (*models.Content, error)
	ApproveContent(ctx context.Context, id int64, in *models.Approval, check models.ContentChecker) (*models.ContentVersion, error)
	Campaigns(ctx context.Context, page models.Page) ([]*models.Campaign, string, error)
	CreateCampaign(ctx context.Context, in *models.CampaignInput) (*models.Campaign, error)
}

// Options configure Prepare.
type Options struct {
	Store Store
	// Launch launches a campaign (campaigns.Service.LaunchCampaign).
	Launch func(ctx context.Context, id int64) (*models.Campaign, error)
	// Check runs the content checks at approval, as the API's does.
	Check models.ContentChecker
	// Customers is how many demo customers to create (zero: 240).
	Customers int
	Now       time.Time
}

// Result is what Prepare made or found, for the pointers it prints.
type Result struct {
	Campaign *models.Campaign
	// Excluded is a customer the campaign left out (opted out of its
	// topic): its explain says why.
	Excluded string
	// Sample is a customer the campaign reaches now (SampleCustomer as
	// stored): their preference center link is worth a look.
	Sample         string
	SampleCustomer *models.Customer
	// ReviewerKeyID is the admin key that approved the content; its
	// plain key is only returned when this run created it.
	ReviewerKeyID int64
	ReviewerKey   string
	// Created is false when every piece already existed.
	Created bool
}

// Names of what the demo creates, found again by them on a second run.
const (
	segmentName  = "Demo: every demo customer"
	campaignName = "Demo: what we build next"
	authorName   = "Demo Author"
	reviewerName = "Demo Reviewer"
)

// Prepare creates the demo world, or finds it. It returns the store's
// errors (EINVALID would mean the demo's own data broke a rule: a defect).
func Prepare(ctx context.Context, o Options) (*Result, error) {
	if o.Customers <= 0 {
		o.Customers = 240
	}
	res := &Result{}
	author, reviewer, err := people(ctx, o.Store, res)
	if err != nil {
		return nil, err
	}
	if err := customers(ctx, o, res); err != nil {
		return nil, err
	}
	contentIDs, err := approvedContent(ctx, o, author, reviewer, res)
	if err != nil {
		return nil, err
	}
	segmentID, err := segment(ctx, o.Store, res)
	if err != nil {
		return nil, err
	}
	if res.Campaign, err = campaign(ctx, o, contentIDs[titleRoadmap], segmentID, res); err != nil {
		return nil, err
	}
	res.Excluded, res.Sample = externalID(excludedIndex), externalID(0)
	sample, err := o.Store.Customer(ctx, res.Sample)
	if err != nil {
		return nil, err
	}
	res.SampleCustomer = sample
	return res, nil
}

// people finds or creates the two owners: an editor who writes the
// content and an admin who approves it (four eyes compares owners).
func people(ctx context.Context, st Store, res *Result) (author, reviewer int64, err error) {
	keys, err := st.APIKeys(ctx)
	if err != nil {
		return 0, 0, err
	}
	for _, k := range keys {
		switch {
		case k.Name == "demo-author" && k.RevokedAt == nil:
			author = k.ID
		case k.Name == "demo-reviewer" && k.RevokedAt == nil:
			reviewer = k.ID
		}
	}
	if author == 0 {
		k, _, err := st.CreateAPIKey(ctx, &models.APIKeyInput{Name: "demo-author", Role: models.RoleEditor,
			OwnerName: authorName, OwnerEmail: "author@demo.candor.example"})
		if err != nil {
			return 0, 0, err
		}
		author, res.Created = k.ID, true
	}
	if reviewer == 0 {
		k, plain, err := st.CreateAPIKey(ctx, &models.APIKeyInput{Name: "demo-reviewer", Role: models.RoleAdmin,
			OwnerName: reviewerName, OwnerEmail: "reviewer@demo.candor.example"})
		if err != nil {
			return 0, 0, err
		}
		reviewer, res.ReviewerKey, res.Created = k.ID, plain, true
	}
	res.ReviewerKeyID = reviewer
	return author, reviewer, nil
}

// segment finds or creates the segment of every demo customer.
func segment(ctx context.Context, st Store, res *Result) (int64, error) {
	var found int64
	err := eachPage(func(p models.Page) (string, error) {
		items, next, err := st.Segments(ctx, p)
		for _, s := range items {
			if s.Name == segmentName {
				found = s.ID
			}
		}
		return next, err
	})
	if err != nil || found != 0 {
		return found, err
	}
	rule, _ := json.Marshal(map[string]any{"field": "attributes.demo", "op": "eq", "value": true})
	s, err := st.CreateSegment(ctx, &models.SegmentInput{Name: segmentName, Rule: rule,
		Description: "Every customer `candor run --demo` created."})
	if err != nil {
		return 0, err
	}
	res.Created = true
	return s.ID, nil
}

// campaign finds the demo campaign, or creates and launches it: open for
// a week from now, sends at the opening of each customer's window (no
// spread) so that those whose window is open now get their message within
// the dispatcher's next ticks.
func campaign(ctx context.Context, o Options, contentID, segmentID int64, res *Result) (*models.Campaign, error) {
	var found *models.Campaign
	err := eachPage(func(p models.Page) (string, error) {
		items, next, err := o.Store.Campaigns(ctx, p)
		for _, c := range items {
			if c.Name == campaignName {
				found = c
			}
		}
		return next, err
	})
	if err != nil {
		return nil, err
	}
	if found == nil {
		spread := false
		now := o.Now.UTC().Truncate(time.Minute)
		found, err = o.Store.CreateCampaign(ctx, &models.CampaignInput{Name: campaignName, ContentID: contentID,
			SegmentID: &segmentID, Spread: &spread,
			Window: models.CampaignWindow{NotBefore: now, NotAfter: now.Add(7 * 24 * time.Hour)}})
		if err != nil {
			return nil, err
		}
		res.Created = true
	}
	if found.State != models.CampaignDraft {
		return found, nil
	}
	return o.Launch(ctx, found.ID)
}

// eachPage calls list with every page until it returns no next cursor.
func eachPage(list func(models.Page) (string, error)) error {
	p := models.Page{Limit: 100}
	for {
		next, err := list(p)
		if err != nil || next == "" {
			return err
		}
		p.Cursor = next
	}
}
