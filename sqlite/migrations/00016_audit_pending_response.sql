-- +goose Up
-- Every write's reply is added to its audit entries just after it commits
-- (UPDATE audit_logs … WHERE request_id = ? AND response IS NULL): without
-- an index that is a scan of the whole log, on every write of every stack,
-- on the one writer. Only entries still waiting for their reply are
-- indexed, so the index stays as small as the writes in flight.
CREATE INDEX audit_logs_pending_response ON audit_logs (request_id) WHERE response IS NULL;

-- +goose Down
DROP INDEX audit_logs_pending_response;
