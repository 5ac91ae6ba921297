package store_test

import (
	"context"
	"testing"
)

// The outbox's events carry customer ids without a foreign key on
// PostgreSQL (00023). What keeps every such id pointing at a customer row
// is that customers are never deleted: erasure keeps the row, and the
// database refuses a DELETE even of a customer nothing else refers to.
func TestEventsCustomerStaysWithoutForeignKey(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		s := mustOpen(t, backend)
		if _, _, err := s.PutCustomer(ctx, customerInput("gone")); err != nil {
			t.Fatal(err)
		}
		var id int64
		if err := s.DB().Raw("SELECT id FROM customers WHERE external_id = ?", "gone").Scan(&id).Error; err != nil || id == 0 {
			t.Fatalf("customer id: %d %v", id, err)
		}
		if err := s.EraseCustomer(ctx, "gone"); err != nil {
			t.Fatal(err)
		}
		var kept int64
		if err := s.DB().Raw("SELECT count(*) FROM customers WHERE id = ? AND erased_at IS NOT NULL", id).
			Scan(&kept).Error; err != nil || kept != 1 {
			t.Fatalf("erasure did not keep the customer row: %d %v", kept, err)
		}
		var events int64
		if err := s.DB().Raw("SELECT count(*) FROM events WHERE customer_id = ?", id).Scan(&events).Error; err != nil {
			t.Fatal(err)
		}
		if events < 2 {
			t.Fatalf("want the created and erased events of customer %d, got %d", id, events)
		}
		// No delivery, consent or exclusion refers to this customer: only
		// the events do, and they have no foreign key on PostgreSQL.
		if err := s.DB().Exec("DELETE FROM customers WHERE id = ?", id).Error; err == nil {
			t.Fatal("a customer with events was deleted")
		}
		var orphans int64
		if err := s.DB().Raw(`SELECT count(*) FROM events e WHERE e.customer_id IS NOT NULL
			AND NOT EXISTS (SELECT 1 FROM customers c WHERE c.id = e.customer_id)`).Scan(&orphans).Error; err != nil {
			t.Fatal(err)
		}
		if orphans != 0 {
			t.Errorf("%d events refer to no customer", orphans)
		}
	})
}
