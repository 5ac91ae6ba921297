package models

import "time"

// Weights of the trust index's components (docs/trust.md). They sum to
// 100: reactions to messages weigh most, because they are what customers
// do about the messages themselves.
const (
	TrustWeightReaction = 40
	TrustWeightConsent  = 20
	TrustWeightPressure = 20
	TrustWeightContent  = 20
)

// TrustReactionLimit is the reaction load, in opt-outs per 1,000 messages
// sent (a complaint counting TrustComplaintWeight opt-outs), at which the
// reaction score reaches 0.
const TrustReactionLimit = 20.0

// TrustComplaintWeight is how many opt-outs one complaint weighs: a
// complaint hurts every later message's delivery, an opt-out only the
// customer's own.
const TrustComplaintWeight = 10.0

// TrustFigures are the counts the trust index is computed from, for one
// week or a whole period.
type TrustFigures struct {
	// Sent counts messages sent; StaleSends those of them carrying facts
	// past their as_of plus StaleContentDays.
	Sent       int64 `json:"sent"`
	StaleSends int64 `json:"stale_sends"`
	// OptIns and OptOuts are the consent ledger's, every topic and
	// source; Complaints the channel.complained events.
	OptIns     int64 `json:"opt_ins"`
	OptOuts    int64 `json:"opt_outs"`
	Complaints int64 `json:"complaints"`
	// Messaged counts customers sent (or possibly sent) at least one
	// message in the PressurePeriod ending at the end, and AtLimit the
	// customers at their own cadence's limit at the end.
	Messaged int64 `json:"messaged"`
	AtLimit  int64 `json:"at_limit"`
}

// TrustScores are the index's components and the index itself, each from
// 0 (trust spent) to 100 (trust kept). A component is nil when its
// figures are empty (no message sent, no consent change, nobody
// messaged), and the index is then the weighted mean of the others; nil
// when none is defined.
type TrustScores struct {
	Reaction *float64 `json:"reaction"`
	Consent  *float64 `json:"consent"`
	Pressure *float64 `json:"pressure"`
	Content  *float64 `json:"content"`
	Index    *float64 `json:"index"`
}

// TrustWeek is one week's figures and scores; Week is the Monday 00:00
// UTC that starts it (the first and last weeks may be cut by the period,
// and their pressure is read at the week's end within the period).
type TrustWeek struct {
	Week time.Time `json:"week"`
	TrustFigures
	TrustScores
}

// TrustTrend is the trust index of a whole period and its weekly trend.
type TrustTrend struct {
	TrustFigures
	TrustScores
	Weeks []TrustWeek `json:"weeks"`
}

// ComputeTrust computes the trust index from f (docs/trust.md):
//
//   - reaction = 100 x (1 - (opt-outs + 10 x complaints) per 1,000 sent / 20),
//     at least 0; defined when something was sent;
//   - consent = 100 x opt-ins / (opt-ins + opt-outs); defined when either;
//   - pressure = 100 x (1 - at limit / messaged), within 0..100; defined
//     when someone was messaged;
//   - content = 100 x (1 - stale sends / sent); defined when something
//     was sent;
//   - index = the mean of the defined components weighted 40, 20, 20, 20.
func ComputeTrust(f TrustFigures) TrustScores {
	var s TrustScores
	var sum, weights float64
	add := func(dst **float64, v float64, w float64) {
		v = min(max(v, 0), 100)
		*dst = &v
		sum += v * w
		weights += w
	}
	if f.Sent > 0 {
		load := (float64(f.OptOuts) + TrustComplaintWeight*float64(f.Complaints)) * 1000 / float64(f.Sent)
		add(&s.Reaction, 100*(1-load/TrustReactionLimit), TrustWeightReaction)
	}
	if n := f.OptIns + f.OptOuts; n > 0 {
		add(&s.Consent, 100*float64(f.OptIns)/float64(n), TrustWeightConsent)
	}
	if f.Messaged > 0 {
		add(&s.Pressure, 100*(1-float64(f.AtLimit)/float64(f.Messaged)), TrustWeightPressure)
	}
	if f.Sent > 0 {
		add(&s.Content, 100*(1-float64(f.StaleSends)/float64(f.Sent)), TrustWeightContent)
	}
	if weights > 0 {
		v := sum / weights
		s.Index = &v
	}
	return s
}
