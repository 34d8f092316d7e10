-- "Which trades did this model drive?" Built CONCURRENTLY so trading keeps writing meanwhile,
-- which cannot run inside a transaction. IF NOT EXISTS makes a rerun after a failure safe (drop
-- an INVALID leftover first: see docs/migrations.md).
-- migrate:up transaction:false
CREATE INDEX CONCURRENTLY IF NOT EXISTS trades_model_id_idx ON trades (model_id) WHERE model_id IS NOT NULL;

-- migrate:down transaction:false
DROP INDEX CONCURRENTLY IF EXISTS trades_model_id_idx;
