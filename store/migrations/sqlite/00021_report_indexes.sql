-- +goose Up
-- What a campaign report reads of the days after its sends (see the
-- PostgreSQL migration of the same number).
CREATE INDEX preference_history_replaced_idx ON preference_history (replaced_at);
CREATE INDEX consent_events_opt_out_idx ON consent_events (created_at) WHERE status = 'opted_out';
CREATE INDEX events_complaint_idx ON events (created_at) WHERE type = 'channel.complained';

-- +goose Down
DROP INDEX events_complaint_idx;
DROP INDEX consent_events_opt_out_idx;
DROP INDEX preference_history_replaced_idx;
