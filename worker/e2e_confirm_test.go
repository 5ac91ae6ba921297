package worker_test

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/candor/candor/internal/testsinks"
	"github.com/candor/candor/models"
)

// emailText is a single-part email's decoded text.
func emailText(a testsinks.Arrival) string {
	h := mail.Header(a.Header)
	var r io.Reader = bytes.NewReader(a.Body)
	switch strings.ToLower(h.Get("Content-Transfer-Encoding")) {
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, r)
	}
	b, _ := io.ReadAll(r)
	return string(b)
}

var confirmLink = regexp.MustCompile(`https://candor\.example/p/[A-Za-z0-9_-]+/confirm/doi-letters\?code=[A-Za-z0-9_-]+`)

// An opt-in from a CRM for a double opt-in topic: the worker sends the
// confirmation through the customer's channel (a real SMTP server gets
// it), and the link in it confirms through the ledger (that a pending
// consent plans nobody is store's TestPendingConsentIsNotEligible).
func TestDoubleOptInConfirmationArrivesAndConfirms(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		h := newHarness(t, 500)
		ctx := t.Context()
		if _, err := h.s.CreateTopic(ctx, &models.TopicInput{Key: "doi-letters", Name: "Letters", DoubleOptIn: true}); err != nil {
			t.Fatal(err)
		}
		h.customer("mail-1", "all", models.ChannelEmail, "Europe/London", nil)
		got, _, err := h.s.SetConsent(ctx, "mail-1", "doi-letters", &models.ConsentInput{Status: models.ConsentOptedIn, Source: models.SourceCRM})
		if err != nil || got.Status != models.ConsentPending {
			t.Fatalf("opt-in = %+v, %v; want pending", got, err)
		}
		h.start()
		eventually(t, "the confirmation arrived", func() bool { return h.email.Count() == 1 })
		msg := h.email.Arrivals()[0]
		body := emailText(msg)
		link := confirmLink.FindString(body)
		if msg.To != "mail-1@example.com" || mail.Header(msg.Header).Get("Subject") != "Please confirm: Letters" || link == "" {
			t.Fatalf("confirmation to %s without a link:\n%s", msg.To, msg.Body)
		}

		u, _ := url.Parse(link)
		handler := h.preferenceCenter()
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, u.RequestURI(), nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("GET confirmation link = %d:\n%s", rec.Code, rec.Body.String())
		}
		answer := h.post(handler, u.Path, url.Values{"code": {u.Query().Get("code")}}.Encode())
		if !strings.Contains(answer, "You confirmed that you want messages about Letters") {
			t.Errorf("answer:\n%s", answer)
		}
		ledger, err := h.s.Consents(ctx, "mail-1")
		if err != nil || !ledger.Chain.Verified {
			t.Fatalf("ledger: %v %+v", err, ledger)
		}
		for _, c := range ledger.Current {
			if c.Topic == "doi-letters" && (c.Status != models.ConsentOptedIn || c.Source != models.SourceDoubleOptIn) {
				t.Errorf("consent = %+v, want opted_in by double_opt_in", c)
			}
		}
	})
}

// A customer whose locale is German (de-AT) gets the confirmation in
// German, with the lapse date's month in German: the same catalogue as
// the preference center (web/locales), so the link leads from a German
// message to a German page.
func TestADoubleOptInConfirmationIsWrittenInTheCustomersLanguage(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		h := newHarness(t, 500)
		ctx := t.Context()
		if _, err := h.s.CreateTopic(ctx, &models.TopicInput{Key: "doi-letters", Name: "Letters", DoubleOptIn: true}); err != nil {
			t.Fatal(err)
		}
		h.customer("mail-de", "all", models.ChannelEmail, "Europe/Vienna", func(in *models.CustomerInput) { in.Locale = "de-AT" })
		if _, _, err := h.s.SetConsent(ctx, "mail-de", "doi-letters", &models.ConsentInput{Status: models.ConsentOptedIn, Source: models.SourceCRM}); err != nil {
			t.Fatal(err)
		}
		h.start()
		eventually(t, "the confirmation arrived", func() bool { return h.email.Count() == 1 })
		msg := h.email.Arrivals()[0]
		subject, err := new(mime.WordDecoder).DecodeHeader(mail.Header(msg.Header).Get("Subject"))
		if err != nil || subject != "Bitte bestätigen: Letters" {
			t.Errorf("subject = %q, %v; want it in German", subject, err)
		}
		body := emailText(msg)
		month := regexp.MustCompile(`verfällt am \d{1,2}\. (Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember) \d{4}\.`)
		if !strings.Contains(body, "Bitte bestätigen Sie, dass Sie es waren") || !month.MatchString(body) || confirmLink.FindString(body) == "" {
			t.Errorf("the confirmation is not in German with a link:\n%s", body)
		}
	})
}
