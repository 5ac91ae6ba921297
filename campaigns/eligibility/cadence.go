package eligibility

import (
	"context"
	"sync"
	"sync/atomic"
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
	ok, err = checkCadence(ctx, counter, customerID, t, own, global, &checks)
	if err != nil {
		return nil, false, err
	}
	return checks, ok, nil
}

// CadenceAllows is CheckCadence's ok alone, for bulk planning: the same
// counts and limits, without building the checks an explanation shows.
func CadenceAllows(ctx context.Context, counter CadenceCounter, customerID int64, t time.Time, own, global *models.Cadence) (bool, error) {
	return checkCadence(ctx, counter, customerID, t, own, global, nil)
}

// checkCadence is CheckCadence, appending the checks to *checks when
// checks is not nil.
func checkCadence(ctx context.Context, counter CadenceCounter, customerID int64, t time.Time, own, global *models.Cadence, checks *[]CadenceCheck) (bool, error) {
	ok := true
	for i, cad := range [2]*models.Cadence{own, global} {
		if cad == nil {
			continue
		}
		period := periodOf(cad.Per)
		n := 0
		if counter != nil {
			var err error
			n, err = counter.CountDeliveries(ctx, customerID, t.Add(-period), t.Add(period))
			if err != nil {
				return false, err
			}
		}
		ok = ok && n < cad.Max
		if checks != nil {
			source := "customer"
			if i == 1 {
				source = "global"
			}
			*checks = append(*checks, CadenceCheck{Source: source, Max: cad.Max, Per: cad.Per, Count: n, OK: n < cad.Max})
		}
	}
	return ok, nil
}

// periods caches models.Cadence.Period by text: a launch asks for the
// same few periods once per customer, and parsing one takes a regular
// expression match. maxPeriods bounds it; rarer texts are parsed each
// time.
var (
	periods    sync.Map // string -> time.Duration
	periodsLen atomic.Int32
)

const maxPeriods = 256

// periodOf returns models.Cadence{Per: per}.Period().
func periodOf(per string) time.Duration {
	if d, ok := periods.Load(per); ok {
		return d.(time.Duration)
	}
	d := models.Cadence{Per: per}.Period()
	if periodsLen.Load() < maxPeriods {
		if _, loaded := periods.LoadOrStore(per, d); !loaded {
			periodsLen.Add(1)
		}
	}
	return d
}
