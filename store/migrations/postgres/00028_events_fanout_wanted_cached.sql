-- +goose Up
-- events_fanout_wanted() (00027) as PL/pgSQL instead of SQL. A SQL
-- function that is not inlined (its EXISTS subquery keeps it from being)
-- builds and plans its statement again in every query that calls it: in
-- a customer PUT, which writes one event and takes the column default,
-- that was 8.6 % of the machine's CPU samples in the PUT benchmark
-- (fmgr_sql, with the planner under it). PL/pgSQL keeps the plan for the
-- session, so a call is an executor run of a cached plan
-- (docs/benchmarks.md, "Session 12"). Same answer, same volatility.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION events_fanout_wanted() RETURNS BOOLEAN LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM webhook_endpoints WHERE status = 'enabled');
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION events_fanout_wanted() RETURNS BOOLEAN LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM webhook_endpoints WHERE status = 'enabled')
$$;
-- +goose StatementEnd
