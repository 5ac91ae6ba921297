package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/models"
)

// postInbound signs body with secret (the reference library, as a CRM
// would) at the given time and posts it to the source.
func (a *testAPI) postInbound(source int64, secret, id string, at time.Time, body string) *httptest.ResponseRecorder {
	a.tb.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		a.tb.Fatal(err)
	}
	sig, err := wh.Sign(id, at, []byte(body))
	if err != nil {
		a.tb.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/v1/inbound/"+strconv.FormatInt(source, 10), strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(at.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	return a.serve(req)
}

// inboxCount is how many events the source has in the inbox.
func (a *testAPI) inboxCount(source int64) int {
	a.tb.Helper()
	events, _, err := a.store.InboxEvents(context.Background(), source, "", models.Page{Limit: 500})
	if err != nil {
		a.tb.Fatal(err)
	}
	return len(events)
}

const inboundEvent = `{"type":"customer.upserted","occurred_at":"2025-03-10T09:00:00Z","data":{"external_id":"crm-1","email":"a@example.com","preferred_channel":"email"}}`

func TestInboundAPI(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		src := a.createSource("crm")
		now := time.Now()

		t.Run("a signed event is in the inbox before the 202", func(t *testing.T) {
			rec := a.postInbound(src.ID, src.Secret, "msg_1", now, inboundEvent)
			wantStatus(t, rec, http.StatusAccepted)
			res := decodeBody[models.InboundResult](t, rec)
			if res.Duplicate || len(res.Events) != 1 || res.Events[0].Status != models.InboxPending || a.inboxCount(src.ID) != 1 {
				t.Errorf("result %+v, %d stored", res, a.inboxCount(src.ID))
			}
		})

		t.Run("a redelivery answers 200 and stores nothing again", func(t *testing.T) {
			rec := a.postInbound(src.ID, src.Secret, "msg_1", now.Add(time.Second), inboundEvent)
			wantStatus(t, rec, http.StatusOK)
			if res := decodeBody[models.InboundResult](t, rec); !res.Duplicate || a.inboxCount(src.ID) != 1 {
				t.Errorf("result %+v, %d stored", res, a.inboxCount(src.ID))
			}
		})

		t.Run("a batch keeps a bad event as failed, visible with status=failed", func(t *testing.T) {
			body := `{"events":[` + inboundEvent + `,{"type":"customer.exploded","occurred_at":"2025-03-10T09:00:00Z","data":{"external_id":"crm-2"}}]}`
			rec := a.postInbound(src.ID, src.Secret, "msg_2", now, body)
			wantStatus(t, rec, http.StatusAccepted)
			res := decodeBody[models.InboundResult](t, rec)
			if len(res.Events) != 2 || res.Events[0].Status != models.InboxPending || res.Events[1].Status != models.InboxFailed {
				t.Fatalf("result %+v", res)
			}
			rec = a.call(models.RoleViewer, http.MethodGet, "/v1/webhook-sources/"+strconv.FormatInt(src.ID, 10)+"/events?status=failed", nil)
			wantStatus(t, rec, http.StatusOK)
			if body := rec.Body.String(); !strings.Contains(body, `unknown event type \"customer.exploded\"`) || strings.Count(body, `"id":`) != 1 {
				t.Errorf("failed events = %s", body)
			}
		})

		refused := []struct {
			name   string
			rec    func() *httptest.ResponseRecorder
			status int
			reason string
		}{
			{"another secret's signature is a 401 naming the reason", func() *httptest.ResponseRecorder {
				other := a.createSource("other")
				return a.postInbound(src.ID, other.Secret, "msg_x1", now, inboundEvent)
			}, 401, "No signature in webhook-signature matches"},
			{"a stale timestamp is a 401 naming the reason", func() *httptest.ResponseRecorder {
				return a.postInbound(src.ID, src.Secret, "msg_x2", now.Add(-10*time.Minute), inboundEvent)
			}, 401, "more than 5 minutes in the past"},
			{"missing headers are a 401 naming them", func() *httptest.ResponseRecorder {
				return a.call("", http.MethodPost, "/v1/inbound/"+strconv.FormatInt(src.ID, 10), inboundEvent)
			}, 401, "headers are all required"},
			{"an unknown source is a 401", func() *httptest.ResponseRecorder {
				return a.postInbound(99999, src.Secret, "msg_x3", now, inboundEvent)
			}, 401, "No webhook source"},
			{"malformed JSON is a 400", func() *httptest.ResponseRecorder {
				return a.postInbound(src.ID, src.Secret, "msg_x4", now, `{"type":`)
			}, 400, "not a JSON object"},
			{"a batch of 1,001 events is a 422", func() *httptest.ResponseRecorder {
				return a.postInbound(src.ID, src.Secret, "msg_x5", now, `{"events":[`+strings.Repeat(inboundEvent+",", 1000)+inboundEvent+`]}`)
			}, 422, ""},
		}
		for _, tt := range refused {
			t.Run(tt.name+" and stores nothing", func(t *testing.T) {
				before := a.inboxCount(src.ID)
				p := wantProblem(t, tt.rec(), tt.status, problemFields(tt.status)...)
				if !strings.Contains(p.Detail, tt.reason) {
					t.Errorf("detail %q, want it to say %q", p.Detail, tt.reason)
				}
				if after := a.inboxCount(src.ID); after != before {
					t.Errorf("%d events stored by a refused request", after-before)
				}
			})
		}

		t.Run("during a rotation the previous secret still verifies", func(t *testing.T) {
			rec := a.call(models.RoleAdmin, http.MethodPost, "/v1/webhook-sources/"+strconv.FormatInt(src.ID, 10)+"/rotate", map[string]any{"overlap_seconds": 3600})
			wantStatus(t, rec, http.StatusOK)
			fresh := decodeBody[createdSource](t, rec).Secret
			wantStatus(t, a.postInbound(src.ID, src.Secret, "msg_3", now, inboundEvent), http.StatusAccepted)
			wantStatus(t, a.postInbound(src.ID, fresh, "msg_4", now, inboundEvent), http.StatusAccepted)
		})
	})
}

// problemFields is the field list wantProblem expects for a status: a
// 422 for a batch over the limit names /events.
func problemFields(status int) []string {
	if status == 422 {
		return []string{"/events count"}
	}
	return nil
}

func TestInboundBodyLimit(t *testing.T) {
	for _, backend := range testenv.Backends() {
		t.Run(backend, func(t *testing.T) {
			a := newTestAPI(t, backend, func(o *Options) { o.MaxBodyBytes = 4096 })
			src := a.createSource("crm")
			body := `{"events":[` + strings.Repeat(inboundEvent+",", 30) + inboundEvent + `]}`
			wantProblem(t, a.postInbound(src.ID, src.Secret, "msg_big", time.Now(), body), http.StatusRequestEntityTooLarge)
			if n := a.inboxCount(src.ID); n != 0 {
				t.Errorf("%d events stored from an oversized body", n)
			}
		})
	}
}
