-- +goose Up
-- Per-token limits (enforced per node): requests per second (0 = none; a
-- delivery token's one rate covers it and its preview token, a management
-- token's reads and writes apart) and the client addresses it works from
-- (comma-separated masked CIDR prefixes; '' = any).
ALTER TABLE delivery_tokens ADD COLUMN rate_limit INTEGER NOT NULL DEFAULT 0;
ALTER TABLE delivery_tokens ADD COLUMN ip_allow TEXT NOT NULL DEFAULT '';
ALTER TABLE management_tokens ADD COLUMN rate_limit_read INTEGER NOT NULL DEFAULT 0;
ALTER TABLE management_tokens ADD COLUMN rate_limit_write INTEGER NOT NULL DEFAULT 0;
ALTER TABLE management_tokens ADD COLUMN ip_allow TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE management_tokens DROP COLUMN ip_allow;
ALTER TABLE management_tokens DROP COLUMN rate_limit_write;
ALTER TABLE management_tokens DROP COLUMN rate_limit_read;
ALTER TABLE delivery_tokens DROP COLUMN ip_allow;
ALTER TABLE delivery_tokens DROP COLUMN rate_limit;
