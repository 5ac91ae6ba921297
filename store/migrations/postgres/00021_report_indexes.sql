-- +goose Up
-- Issue 13: a campaign report over 1,000,000 deliveries answers in under
-- a second. Its questions about what happened after the sends start from
-- the few rows of those days, not from every delivery
-- (store/report_campaign.go, store/report_respect.go):
--
-- the wishes in force at each send are the first preference_history row
-- replaced after it, and only rows replaced after the campaign's first
-- send can be one; downgrades are rows replaced within the reaction
-- window of a send.
CREATE INDEX preference_history_replaced_idx ON preference_history (replaced_at);
-- Opt-outs and one-click unsubscribes within the window of a send. Only
-- opt-outs: the opt-ins, most of the ledger, cost nothing more.
CREATE INDEX consent_events_opt_out_idx ON consent_events (created_at) WHERE status = 'opted_out';
-- Complaints within the window of a send: a few rows of the outbox.
CREATE INDEX events_complaint_idx ON events (created_at) WHERE type = 'channel.complained';
COMMENT ON INDEX preference_history_replaced_idx IS
    'Campaign report: history replaced after the first send (reportSent) or within the window of the sends (preferenceChanges), store/report_*.go.';
COMMENT ON INDEX consent_events_opt_out_idx IS
    'Campaign report: opt-outs within the reaction window of the sends (reportReactions, store/report_campaign.go).';
COMMENT ON INDEX events_complaint_idx IS
    'Campaign report: complaints within the reaction window of the sends (reportReactions, store/report_campaign.go).';

-- +goose Down
DROP INDEX events_complaint_idx;
DROP INDEX consent_events_opt_out_idx;
DROP INDEX preference_history_replaced_idx;
