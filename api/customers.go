package api

import (
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

// pathCustomerInput binds the path's external id to a decoded customer.
// The path decides: a body external_id may be omitted, but one that
// differs is EINVALID rather than a silent rename. Normalizing and
// validating the profile is PutCustomer's decision (the same EINVALID
// problems), taken once, in the store.
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
	return nil
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
// upserts with a result per item (201, 200, 422 or 409), written by one
// store call in one transaction. EINVALID for a missing or oversized
// list; a store failure that is not an item's own (EUNAVAILABLE) answers
// the whole request, and then nothing was written.
func (s *server) batchCustomers(c *gin.Context) {
	var req batchRequest
	doc, err := decodeJSONDoc(c, &req)
	if err != nil {
		s.writeError(c, err)
		return
	}
	if err := validateBatch(req); err != nil {
		s.writeError(c, err)
		return
	}
	results, ins := decodeBatchItems(req.Customers, batchItemDocs(doc, len(req.Customers)))
	puts, err := s.store.PutCustomers(c.Request.Context(), ins)
	if err != nil {
		s.writeError(c, err)
		return
	}
	resp := batchResponse{Results: make([]batchResult, 0, len(results))}
	for i, put := range puts {
		if ins[i] != nil { // an item that did not decode keeps its own result
			results[i] = s.batchOutcome(c, results[i], put)
		}
	}
	for _, res := range results {
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

// decodeBatchItems decodes each item on its own. It returns a result per
// item, filled in for the items that failed to decode, and the inputs in
// item order, nil where decoding failed. Normalizing and validating the
// decoded ones (and refusing an external id an earlier item used) is
// PutCustomers' decision, taken once, in the store.
//
// docs, if not nil, holds each item as the body's decoding read it, so
// the items are not parsed once more each.
func decodeBatchItems(raws []json.RawMessage, docs []any) ([]batchResult, []*models.CustomerInput) {
	results := make([]batchResult, len(raws))
	ins := make([]*models.CustomerInput, len(raws))
	for i, raw := range raws {
		results[i].Index = i
		in := new(models.CustomerInput)
		var err error
		if docs != nil {
			err = decodeItemDoc(raw, docs[i], in)
		} else {
			err = decodeItem(raw, in)
		}
		if err != nil {
			results[i].ExternalID = peekExternalID(raw)
			results[i].Status, results[i].Detail, results[i].Errors = statusOf(models.ErrorCode(err)), models.ErrorMessage(err), models.ErrorFields(err)
			continue
		}
		ins[i] = in
	}
	return results, ins
}

// batchItemDocs returns the n items of a decoded batch body, or nil when
// doc does not hold them as expected (decodeBatchItems then parses each
// item itself).
func batchItemDocs(doc any, n int) []any {
	obj, _ := doc.(map[string]any)
	items, _ := obj["customers"].([]any)
	if len(items) != n {
		return nil
	}
	return items
}

// batchOutcome completes res with what the store did with its item. An
// item failure that is not the item's fault is a 500 on that item alone
// (the store wrote the others one by one).
func (s *server) batchOutcome(c *gin.Context, res batchResult, put models.CustomerPut) batchResult {
	res.ExternalID = put.ExternalID
	switch code := models.ErrorCode(put.Err); {
	case put.Err == nil && put.Created:
		res.Status, res.Detail = http.StatusCreated, "created"
	case put.Err == nil:
		res.Status, res.Detail = http.StatusOK, "updated"
	case code == models.EINVALID || code == models.ECONFLICT:
		res.Status, res.Detail, res.Errors = statusOf(code), models.ErrorMessage(put.Err), models.ErrorFields(put.Err)
	default:
		s.logger.Error("batch item failed", "request_id", requestID(c), "index", res.Index, "error", put.Err.Error())
		res.Status, res.Detail = http.StatusInternalServerError, "Internal error; the item was not written."
	}
	return res
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
