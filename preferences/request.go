package preferences

import (
	"context"
	"fmt"

	"github.com/candor/candor/models"
)

// RequestContent implements models.PreferenceService: the customer asks
// for an item the page offers to be sent through their preferred channel.
// The request is keyed by the customer, the content and the state of the
// page the form came from, so the same form submitted twice (a double
// click, a reload) plans one delivery and gets the same answer; after a
// change of their preferences (a new state) they may ask again for an
// item whose earlier request could not be sent. The store refuses a
// second copy of what the customer already received or is about to
// receive. ENOTFOUND for content the page does not offer them.
func (s *Service) RequestContent(ctx context.Context, c *models.Customer, contentID int64, state string) (*models.ContentRequest, error) {
	_, o, err := s.offer(ctx, c, contentID)
	if err != nil {
		return nil, err
	}
	key := fmt.Sprintf("c%d.content%d.%s", c.ID, contentID, state)
	req, err := s.store.RequestContent(ctx, models.ContentRequestInput{CustomerID: c.ID, ContentID: contentID, Key: key}, s.planner)
	if err != nil {
		return nil, err
	}
	req.Title = o.Title
	return req, nil
}
