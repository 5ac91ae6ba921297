package api

import (
	"strconv"
	"strings"

	"github.com/candor/candor/models"
	"github.com/candor/candor/web"
	"github.com/gin-gonic/gin"
)

// maxFormValues bounds repeated form fields (topics), so a hostile form
// cannot make the service compare thousands of keys.
const maxFormValues = 200

// preferenceForm decodes the preference form (already parsed by
// formCustomer). EINVALID naming the form field for a non-numeric
// cadence or too many topics.
func preferenceForm(c *gin.Context) (*models.PreferenceForm, error) {
	f := c.Request.PostForm
	form := &models.PreferenceForm{Shown: f["shown"], Wanted: f["topic"], Channel: models.Channel(f.Get("channel")),
		Timezone: f.Get("timezone"), Windows: f.Get("windows"), CadencePer: f.Get("cadence_per"),
		Evidence: preferenceEvidence(c, "topics chosen on the form"), State: f.Get("state")}
	var p models.Problems
	if len(form.Shown) > maxFormValues || len(form.Wanted) > maxFormValues {
		p.Add(models.PreferenceFieldTopics, "max_items", "lists too many topics")
	}
	if raw := strings.TrimSpace(f.Get("cadence_max")); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 {
			p.Add(models.PreferenceFieldCadenceMax, "range", "must be a whole number between 1 and 100, or empty for no limit")
		}
		form.CadenceMax = n
	}
	return form, p.Err()
}

// preferencesData fills the page with values and a fresh form token.
func (s *server) preferencesData(c *gin.Context, page *models.PreferencePage, values web.PreferenceValues) web.PreferencesData {
	return web.PreferencesData{Page: page, Form: values, State: page.State, CSRF: s.keys.FormToken(page.Customer.ID, page.State),
		Action: c.Param("token"), BaseURL: s.linksFor(page.Customer).PreferencesURL, Timezones: models.TimezoneNames}
}

// currentValues are the customer's current settings as form values.
func currentValues(page *models.PreferencePage) web.PreferenceValues {
	c := page.Customer
	v := web.PreferenceValues{Wanted: map[string]bool{}, Channel: c.PreferredChannel, Timezone: c.Timezone,
		Windows: models.FormatWindowsSpec(c.PreferredWindows)}
	for _, t := range page.Topics {
		// A pending (double opt-in) topic stays ticked: saving the form
		// for another change must not withdraw it.
		v.Wanted[t.Key] = t.Status == models.ConsentOptedIn || t.Status == models.ConsentPending
	}
	if c.Cadence != nil {
		v.CadenceMax, v.CadencePer = strconv.Itoa(c.Cadence.Max), c.Cadence.Per
	}
	return v
}

// submittedValues are the values a rejected form showed, so the customer
// corrects their input instead of typing it again.
func submittedValues(c *gin.Context) web.PreferenceValues {
	f := c.Request.PostForm
	v := web.PreferenceValues{Wanted: map[string]bool{}, Channel: models.Channel(f.Get("channel")), Timezone: f.Get("timezone"),
		Windows: f.Get("windows"), CadenceMax: f.Get("cadence_max"), CadencePer: f.Get("cadence_per")}
	for _, k := range f["topic"] {
		v.Wanted[k] = true
	}
	return v
}
