package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/candor/candor/models"
)

func TestAdoptionSealsConsentRowsWrittenWithoutTheKey(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		s := mustOpen(t, backend)
		// More rows than one adoption page, so the cursor has to move.
		const customers = 2100
		for i := range customers {
			mustPutCustomer(t, s, customerInput(fmt.Sprintf("adopt-%04d", i)))
		}
		mustSetConsent(t, s, "adopt-0001", "pricing-guides", models.ConsentOptedIn)
		// Rows written by SQL, as bulk loads and benchmarks write them: no MAC.
		err := s.DB().Exec("INSERT INTO consents (customer_id, topic, status, source, seq, updated_at) " +
			"SELECT id, 'product-roadmap', 'opted_in', 'api', 0, created_at FROM customers").Error
		if err == nil {
			err = s.DB().Exec("UPDATE consents SET mac = '' WHERE topic = 'pricing-guides'").Error
		}
		if err != nil {
			t.Fatal(err)
		}
		events, rows, err := s.AdoptLedger(ctx)
		if err != nil || events != 0 || rows != customers+1 {
			t.Fatalf("AdoptLedger = %d events, %d rows, %v; want 0 and %d", events, rows, err, customers+1)
		}
		var unsealed int64
		if err := s.DB().Raw("SELECT count(*) FROM consents WHERE mac = ''").Scan(&unsealed).Error; err != nil || unsealed != 0 {
			t.Fatalf("%d rows left without a MAC (%v)", unsealed, err)
		}
		rep, err := s.VerifyLedger(ctx, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		// The re-sealed row reflects its event again; the SQL rows have no
		// event, which verification reports, one each.
		if rep.Broken != customers {
			t.Errorf("verification found %d problems, want one per row without an event (%d): %+v", rep.Broken, customers, rep.Problems[:min(3, len(rep.Problems))])
		}
	})
}
