-- +goose Up
-- Issue 17: every index of deliveries costs a launch about one WAL record
-- and three buffer visits per written row (measured with EXPLAIN (ANALYZE,
-- BUFFERS, WAL) on 200,000 rows: 406,609 WAL records with the primary key
-- only, 1,436,679 with all of them; docs/benchmarks.md). Each one stays
-- because a query below needs it; the comment names that query, so the
-- next change of a query can tell whether its index may go. The partial
-- indexes lease, queued and open cost a launch nothing: it writes planned
-- rows, outside their predicates (open excepted: one entry per row, all of
-- one campaign, kept small by deduplication).
COMMENT ON INDEX deliveries_campaign_id_customer_id_key IS
    'One delivery per customer and campaign (launch and resume write it); campaign_id = ? AND status IN (...) of resume (store/campaign_replan.go).';
COMMENT ON INDEX deliveries_customer_content_idx IS
    'Content dedup under concurrency (unique); customer_id IN (...) AND status IN (counting statuses) of planning cadence and dedup (store/campaign_plan.go), the send-time cadence check (store/delivery_claim.go) and explain.';
COMMENT ON INDEX deliveries_customer_idx IS
    'customer_id = ? with every status: export (store/deliveries.go customerDeliveries); erasure skipping planned ones (store/customers.go). Also the counting queries (planning, resume in store/campaign_replan.go, the send-time check) whenever their status list is a bound parameter: a generic plan cannot prove the partial index above (issue 17 measured 685 ms instead of 0.1 ms without this one).';
COMMENT ON INDEX deliveries_pending_idx IS
    'Dispatch: status = planned AND scheduled_at <= ? ORDER BY scheduled_at (store/delivery_dispatch.go); channel capacity: planned or queued in [a, b) (store/campaign_capacity.go).';
COMMENT ON INDEX deliveries_open_idx IS
    'Campaign completion: campaign_id = ? AND status IN (planned, queued, sending) LIMIT 1 after every send batch (store/delivery_outcome.go).';
COMMENT ON INDEX deliveries_lease_idx IS
    'Reconciler: sending deliveries whose lease ran out (store/delivery_reconcile.go).';
COMMENT ON INDEX deliveries_queued_idx IS
    'Reconciler: queued deliveries whose task may be lost (store/delivery_reconcile.go).';

-- +goose Down
COMMENT ON INDEX deliveries_campaign_id_customer_id_key IS NULL;
COMMENT ON INDEX deliveries_customer_content_idx IS NULL;
COMMENT ON INDEX deliveries_customer_idx IS NULL;
COMMENT ON INDEX deliveries_pending_idx IS NULL;
COMMENT ON INDEX deliveries_open_idx IS NULL;
COMMENT ON INDEX deliveries_lease_idx IS NULL;
COMMENT ON INDEX deliveries_queued_idx IS NULL;
