-- +goose Up
-- Issue 17: PostgreSQL evaluates a row trigger's WHEN clause by reading
-- it back from its stored text and compiling it, once for every
-- statement that updates customers. For a single PUT's write that was
-- about a fifth of the statement (callgrind of a single-user backend,
-- 3,000 writes that change the name: 100,600 of each write's 437,300
-- instructions, 84,500 for the history's six comparisons and 16,100 for
-- the erasure's), spent on every PUT to learn that the wishes did not
-- change and the customer was not erased. With this migration and the
-- PUT's UPDATE that leaves out the wishes it keeps: 361,400.
--
-- A trigger limited to columns is skipped, before its WHEN, by a
-- statement that sets none of them, and a column that no statement sets
-- cannot change (no BEFORE UPDATE trigger of customers rewrites NEW). So
-- both triggers fire exactly when they did: the history on the wishes
-- and the erasure, the report's move on the erasure (SQLite's trigger of
-- 00022 was already limited to erased_at). A PUT that keeps the wishes
-- leaves them out of its UPDATE (store/customer_put_postgres.go).
DROP TRIGGER customers_preference_history ON customers;
CREATE TRIGGER customers_preference_history
    AFTER UPDATE OF preference_version, preferred_channel, timezone, preferred_windows, cadence, erased_at ON customers
    FOR EACH ROW
    WHEN (OLD.preference_version IS DISTINCT FROM NEW.preference_version
       OR OLD.preferred_channel IS DISTINCT FROM NEW.preferred_channel
       OR OLD.timezone IS DISTINCT FROM NEW.timezone
       OR OLD.preferred_windows IS DISTINCT FROM NEW.preferred_windows
       OR OLD.cadence IS DISTINCT FROM NEW.cadence
       OR OLD.erased_at IS DISTINCT FROM NEW.erased_at)
    EXECUTE FUNCTION preference_history_keep();
DROP TRIGGER customers_report_erase ON customers;
CREATE TRIGGER customers_report_erase BEFORE UPDATE OF erased_at ON customers
    FOR EACH ROW WHEN (OLD.erased_at IS NULL AND NEW.erased_at IS NOT NULL)
    EXECUTE FUNCTION campaign_report_erase();

-- +goose Down
DROP TRIGGER customers_report_erase ON customers;
CREATE TRIGGER customers_report_erase BEFORE UPDATE ON customers
    FOR EACH ROW WHEN (OLD.erased_at IS NULL AND NEW.erased_at IS NOT NULL)
    EXECUTE FUNCTION campaign_report_erase();
DROP TRIGGER customers_preference_history ON customers;
CREATE TRIGGER customers_preference_history AFTER UPDATE ON customers
    FOR EACH ROW
    WHEN (OLD.preference_version IS DISTINCT FROM NEW.preference_version
       OR OLD.preferred_channel IS DISTINCT FROM NEW.preferred_channel
       OR OLD.timezone IS DISTINCT FROM NEW.timezone
       OR OLD.preferred_windows IS DISTINCT FROM NEW.preferred_windows
       OR OLD.cadence IS DISTINCT FROM NEW.cadence
       OR OLD.erased_at IS DISTINCT FROM NEW.erased_at)
    EXECUTE FUNCTION preference_history_keep();
