package api

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/candor/candor/models"
	"github.com/candor/candor/secrets"
	"github.com/gin-gonic/gin"
)

// listCustomers answers GET /v1/customers: one page in creation order.
// EINVALID for a bad limit or cursor.
func (s *server) listCustomers(c *gin.Context) {
	page, err := pageOf(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	items, next, err := s.store.Customers(c.Request.Context(), page)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(items, next))
}

// getCustomer answers GET /v1/customers/{external_id}. ENOTFOUND, also for
// ids that could not exist.
func (s *server) getCustomer(c *gin.Context) {
	id, err := existingExternalID(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	cust, err := s.store.Customer(c.Request.Context(), id)
	s.respond(c, http.StatusOK, cust, err)
}

// putCustomer answers PUT /v1/customers/{external_id}: it creates (201) or
// replaces (200) the profile. EINVALID for a bad id, body or a body
// external_id that differs from the path; EMALFORMED; ETOOLARGE.
func (s *server) putCustomer(c *gin.Context) {
	var in models.CustomerInput
	if err := decodeJSON(c, &in); err != nil {
		s.writeError(c, err)
		return
	}
	if err := pathCustomerInput(c.Param("external_id"), &in); err != nil {
		s.writeError(c, err)
		return
	}
	cust, created, err := s.store.PutCustomer(c.Request.Context(), &in)
	if err != nil {
		s.writeError(c, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		c.Header("Location", "/v1/customers/"+cust.ExternalID)
	}
	c.JSON(status, cust)
}

// eraseCustomer answers DELETE /v1/customers/{external_id}: erasure, 204.
// ENOTFOUND.
func (s *server) eraseCustomer(c *gin.Context) {
	id, err := existingExternalID(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	if err := s.store.EraseCustomer(c.Request.Context(), id); err != nil {
		s.writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// exportCustomer answers GET /v1/customers/{external_id}/export with
// everything held about the customer. ENOTFOUND.
func (s *server) exportCustomer(c *gin.Context) {
	id, err := existingExternalID(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	export, err := s.store.CustomerExport(c.Request.Context(), id)
	s.respond(c, http.StatusOK, export, err)
}

// links is the answer of GET /v1/customers/{external_id}/links.
type links struct {
	UnsubscribeURL string `json:"unsubscribe_url"`
	PreferencesURL string `json:"preferences_url"`
}

// customerLinks answers GET /v1/customers/{external_id}/links with signed
// links a CRM can put into its own messages. ENOTFOUND.
func (s *server) customerLinks(c *gin.Context) {
	id, err := existingExternalID(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	cust, err := s.store.Customer(c.Request.Context(), id)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, s.linksFor(cust))
}

// revokeCustomerLinks answers DELETE /v1/customers/{external_id}/links:
// every link issued to the customer so far stops working; links read
// afterwards work. 204; ENOTFOUND.
func (s *server) revokeCustomerLinks(c *gin.Context) {
	id, err := existingExternalID(c)
	if err == nil {
		_, err = s.store.RevokeCustomerLinks(c.Request.Context(), id)
	}
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// linksFor signs the customer's links for their current token epoch, on
// CANDOR_PUBLIC_URL.
func (s *server) linksFor(cust *models.Customer) links {
	return links{
		UnsubscribeURL: s.publicURL + "/u/" + s.keys.CustomerToken(secrets.PurposeUnsubscribe, cust.ID, cust.TokenEpoch),
		PreferencesURL: s.publicURL + "/p/" + s.keys.CustomerToken(secrets.PurposePreferences, cust.ID, cust.TokenEpoch),
	}
}

// existingExternalID returns the path's external id, or ENOTFOUND when it
// is not a valid id (no customer can have it, so the resource does not exist).
func existingExternalID(c *gin.Context) (string, error) {
	id := c.Param("external_id")
	if !models.ValidExternalID(id) {
		return "", models.Errorf(models.ENOTFOUND, "No customer has this external id.")
	}
	return id, nil
}

// pathCustomerInput binds the path's external id to a decoded customer,
// then normalizes and validates it. The path decides: a body external_id
// may be omitted, but one that differs is EINVALID rather than a silent rename.
func pathCustomerInput(pathID string, in *models.CustomerInput) error {
	var p models.Problems
	if !models.ValidExternalID(pathID) {
		p.Add("external_id", "format", "must be 1-200 letters, digits or . _ : @ + - and start with a letter or digit")
		return p.Err()
	}
	if in.ExternalID != "" && in.ExternalID != pathID {
		p.Add("/external_id", "match_path", "must equal the external id in the path (%q) or be omitted", pathID)
		return p.Err()
	}
	in.ExternalID = pathID
	in.Normalize()
	return in.Validate()
}

// MaxBatchSize bounds POST /v1/customers/batch.
const MaxBatchSize = 1000

// batchRequest is the body of POST /v1/customers/batch. Items stay raw so
// each is decoded on its own and one bad item does not sink the others.
type batchRequest struct {
	Customers []json.RawMessage `json:"customers"`
}

// batchResult reports what happened to one item of a batch.
type batchResult struct {
	Index      int                 `json:"index"`
	ExternalID string              `json:"external_id"`
	Status     int                 `json:"status"`
	Errors     []models.FieldError `json:"errors,omitempty"`
	Detail     string              `json:"detail"`
}

// batchResponse is the answer of POST /v1/customers/batch.
type batchResponse struct {
	Results []batchResult `json:"results"`
	Created int           `json:"created"`
	Updated int           `json:"updated"`
	Failed  int           `json:"failed"`
}

// batchCustomers answers POST /v1/customers/batch: up to MaxBatchSize
// upserts with a result per item (201, 200, 422 or 409). EINVALID for a
// missing or oversized list; a store failure other than a per-item
// conflict or rule aborts the rest (items already written stay written).
func (s *server) batchCustomers(c *gin.Context) {
	var req batchRequest
	if err := decodeJSON(c, &req); err != nil {
		s.writeError(c, err)
		return
	}
	if err := validateBatch(req); err != nil {
		s.writeError(c, err)
		return
	}
	resp := batchResponse{Results: make([]batchResult, 0, len(req.Customers))}
	seen := make(map[string]int, len(req.Customers)) // external id -> first index
	for i, raw := range req.Customers {
		res, err := s.batchItem(c.Request.Context(), i, raw, seen)
		if err != nil {
			// An item the store could not write is reported and the batch
			// goes on: stopping here would leave the caller unsure which
			// items were written.
			s.logger.Error("batch item failed", "request_id", requestID(c), "index", i, "error", err.Error())
			res.Status, res.Detail, res.Errors = http.StatusInternalServerError, "Internal error; the item was not written.", nil
		}
		resp.add(res)
	}
	c.JSON(http.StatusOK, resp)
}

func validateBatch(req batchRequest) error {
	var p models.Problems
	switch {
	case req.Customers == nil:
		p.Add("/customers", "required", "is required: a list of customers")
	case len(req.Customers) == 0:
		p.Add("/customers", "min_items", "must hold at least one customer")
	case len(req.Customers) > MaxBatchSize:
		p.Add("/customers", "max_items", "at most %d customers per batch, got %d", MaxBatchSize, len(req.Customers))
	}
	return p.Err()
}

// batchItem upserts one item. It returns an error only for failures that
// are not the item's fault, which should stop the batch. seen maps the
// external ids of earlier valid items to their index: a repeat is a 422
// on /external_id (rule unique_in_batch), since which of two profiles a
// caller meant cannot be known, and the first one stays written.
func (s *server) batchItem(ctx context.Context, i int, raw json.RawMessage, seen map[string]int) (batchResult, error) {
	res := batchResult{Index: i}
	var in models.CustomerInput
	err := decodeStrict(raw, &in)
	if err == nil {
		in.Normalize()
		res.ExternalID = in.ExternalID
		err = in.Validate()
	}
	if err == nil {
		if first, dup := seen[in.ExternalID]; dup {
			var p models.Problems
			p.Add("/external_id", "unique_in_batch", "repeats the external_id of item %d; send each customer once per batch", first)
			err = p.Err()
		} else {
			seen[in.ExternalID] = i
		}
	} else if res.ExternalID == "" {
		res.ExternalID = peekExternalID(raw)
	}
	created := false
	if err == nil {
		_, created, err = s.store.PutCustomer(ctx, &in)
	}
	switch code := models.ErrorCode(err); {
	case err == nil && created:
		res.Status, res.Detail = http.StatusCreated, "created"
	case err == nil:
		res.Status, res.Detail = http.StatusOK, "updated"
	case code == models.EINVALID || code == models.ECONFLICT:
		res.Status, res.Detail, res.Errors = statusOf(code), models.ErrorMessage(err), models.ErrorFields(err)
	default:
		return res, err
	}
	return res, nil
}

// peekExternalID reads the external id of an item that failed strict
// decoding, so its result still says which customer it was about.
func peekExternalID(raw json.RawMessage) string {
	var item struct {
		ExternalID string `json:"external_id"`
	}
	if json.Unmarshal(raw, &item) != nil {
		return ""
	}
	return item.ExternalID
}

func (r *batchResponse) add(res batchResult) {
	r.Results = append(r.Results, res)
	switch res.Status {
	case http.StatusCreated:
		r.Created++
	case http.StatusOK:
		r.Updated++
	default:
		r.Failed++
	}
}
