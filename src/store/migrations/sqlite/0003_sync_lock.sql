-- One sync at a time across every process sharing this database: a lease with a holder
-- and an expiry, renewed while the sync runs and re-checked inside its transaction.
CREATE TABLE sync_lock (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    since       BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX sync_runs_status ON sync_runs(status);
