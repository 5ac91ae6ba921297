package eligibility

import (
	"context"
	"time"

	"github.com/candor/candor/models"
)

// CadenceCounter counts the deliveries that weigh on a customer's cadence.
// The store implements it over the deliveries table; a launch may instead
// load the counts of a whole segment page into a DeliveryTimes.
type CadenceCounter interface {
	// CountDeliveries returns how many of the customer's deliveries that
	// are not final, or were sent, are scheduled (or were sent) strictly
	// inside (from, to). Any error is the backend's; eligibility passes it
	// on unchanged.
	CountDeliveries(ctx context.Context, customerID int64, from, to time.Time) (int, error)
}

// DeliveryTimes is an in-memory CadenceCounter: per customer id, the
// scheduled or sent instants of the deliveries that count.
type DeliveryTimes map[int64][]time.Time

// CountDeliveries implements CadenceCounter. It never fails.
func (d DeliveryTimes) CountDeliveries(_ context.Context, customerID int64, from, to time.Time) (int, error) {
	n := 0
	for _, t := range d[customerID] {
		if t.After(from) && t.Before(to) {
			n++
		}
	}
	return n, nil
}

// CadenceCheck is the outcome of one cadence limit around a planned time.
type CadenceCheck struct {
	// Source is "customer" (the customer's own cadence) or "global"
	// (CANDOR_MAX_MESSAGES_PER_CUSTOMER).
	Source string `json:"source"`
	Max    int    `json:"max"`
	Per    string `json:"per"`
	// Count is the number of counting deliveries in (At-Per, At+Per).
	Count int  `json:"count"`
	OK    bool `json:"ok"`
}

// CheckCadence evaluates the customer's cadence and the global cap (either
// may be nil) for a message planned at t. Planning counts every non-final
// and sent delivery in (t - period, t + period), so a message is refused if
// it would make any rolling period around t hold more than max. Both limits
// must hold, which makes the stricter one decide even when their periods
// differ. ok is false if either is reached; checks lists each limit that
// applies, customer first.
func CheckCadence(ctx context.Context, counter CadenceCounter, customerID int64, t time.Time, own, global *models.Cadence) (checks []CadenceCheck, ok bool, err error) {
	ok = true
	for _, c := range []struct {
		source string
		cad    *models.Cadence
	}{{"customer", own}, {"global", global}} {
		if c.cad == nil {
			continue
		}
		period := c.cad.Period()
		n := 0
		if counter != nil {
			n, err = counter.CountDeliveries(ctx, customerID, t.Add(-period), t.Add(period))
			if err != nil {
				return nil, false, err
			}
		}
		check := CadenceCheck{Source: c.source, Max: c.cad.Max, Per: c.cad.Per, Count: n, OK: n < c.cad.Max}
		ok = ok && check.OK
		checks = append(checks, check)
	}
	return checks, ok, nil
}
