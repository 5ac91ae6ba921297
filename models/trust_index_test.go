package models

import (
	"math/big"
	"math/rand/v2"
	"testing"
)

// trustOracle computes the index of docs/trust.md in exact rationals,
// one component at a time, as the page states it.
func trustOracle(f TrustFigures) (index float64, ok bool) {
	r := func(n int64) *big.Rat { return new(big.Rat).SetInt64(n) }
	clamp := func(v *big.Rat) *big.Rat {
		if v.Sign() < 0 {
			return r(0)
		}
		if v.Cmp(r(100)) > 0 {
			return r(100)
		}
		return v
	}
	sum, weights := r(0), r(0)
	add := func(score *big.Rat, w int64) {
		sum.Add(sum, new(big.Rat).Mul(clamp(score), r(w)))
		weights.Add(weights, r(w))
	}
	if f.Sent > 0 {
		// load per 1,000 sent = (outs + 10 complaints) * 1000 / sent; score = 100 - 5 * load.
		load := new(big.Rat).SetFrac(new(big.Int).SetInt64((f.OptOuts+10*f.Complaints)*1000), new(big.Int).SetInt64(f.Sent))
		add(new(big.Rat).Sub(r(100), new(big.Rat).Mul(load, r(5))), 40)
		add(new(big.Rat).Sub(r(100), new(big.Rat).SetFrac64(100*f.StaleSends, f.Sent)), 20)
	}
	if f.OptIns+f.OptOuts > 0 {
		add(new(big.Rat).SetFrac64(100*f.OptIns, f.OptIns+f.OptOuts), 20)
	}
	if f.Messaged > 0 {
		add(new(big.Rat).Sub(r(100), new(big.Rat).SetFrac64(100*f.AtLimit, f.Messaged)), 20)
	}
	if weights.Sign() == 0 {
		return 0, false
	}
	v, _ := new(big.Rat).Quo(sum, weights).Float64()
	return v, true
}

func randomFigures(rng *rand.Rand) TrustFigures {
	n := func(limit int64) int64 {
		if rng.IntN(4) == 0 {
			return 0
		}
		return rng.Int64N(limit)
	}
	f := TrustFigures{Sent: n(100000), OptIns: n(2000), OptOuts: n(2000), Complaints: n(50), Messaged: n(50000)}
	if f.Sent > 0 {
		f.StaleSends = rng.Int64N(f.Sent + 1)
	}
	if f.Messaged > 0 {
		f.AtLimit = rng.Int64N(f.Messaged + f.Messaged/10 + 1) // own cadences may be longer than 30 days
	}
	return f
}

func TestComputeTrustMatchesAnExactOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 13))
	for range 20000 {
		f := randomFigures(rng)
		want, ok := trustOracle(f)
		got := ComputeTrust(f).Index
		if (got != nil) != ok || (ok && (*got-want > 1e-9 || want-*got > 1e-9)) {
			t.Fatalf("figures %+v: index %v, oracle %v (defined %v)", f, got, want, ok)
		}
		if ok && (*got < 0 || *got > 100) {
			t.Fatalf("figures %+v: index %v outside 0..100", f, *got)
		}
	}
}

// TestComputeTrustNeverRewardsWhatItPunishes: one more opt-out, complaint,
// stale send or customer at their limit never raises the index, and one
// more opt-in never lowers it.
func TestComputeTrustNeverRewardsWhatItPunishes(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	worse := map[string]func(*TrustFigures){
		"an opt-out":                          func(f *TrustFigures) { f.OptOuts++ },
		"a complaint":                         func(f *TrustFigures) { f.Complaints++ },
		"a stale send instead of a fresh one": func(f *TrustFigures) { f.StaleSends = min(f.StaleSends+1, f.Sent) },
		"a customer at their limit":           func(f *TrustFigures) { f.AtLimit++ },
	}
	for range 5000 {
		f := randomFigures(rng)
		f.Sent, f.Messaged, f.OptIns = f.Sent+1, f.Messaged+1, f.OptIns+1 // every component defined
		base := *ComputeTrust(f).Index
		for name, change := range worse {
			g := f
			change(&g)
			if got := *ComputeTrust(g).Index; got > base+1e-12 {
				t.Fatalf("%s raised the index from %v to %v (figures %+v)", name, base, got, f)
			}
		}
		g := f
		g.OptIns++
		if got := *ComputeTrust(g).Index; got < base-1e-12 {
			t.Fatalf("an opt-in lowered the index from %v to %v (figures %+v)", base, got, f)
		}
	}
}
