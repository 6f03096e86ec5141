-- The catalog: providers, models, offers, aliases, prices with validity intervals,
-- sync runs, change events and per-URL fetch state.
-- Money is TEXT (exact decimal); times are unix milliseconds.

CREATE TABLE providers (
    slug        TEXT PRIMARY KEY,
    name        TEXT,
    first_seen  BIGINT NOT NULL,
    last_seen   BIGINT NOT NULL
);

CREATE TABLE models (
    id                    TEXT PRIMARY KEY,
    name                  TEXT NOT NULL,
    description           TEXT,
    canonical_slug        TEXT,
    hugging_face_id       TEXT,
    created               BIGINT,
    context_length        BIGINT,
    max_completion_tokens BIGINT,
    is_moderated          BOOLEAN,
    modality              TEXT,
    input_modalities      TEXT NOT NULL,
    output_modalities     TEXT NOT NULL,
    tokenizer             TEXT,
    instruct_type         TEXT,
    supported_parameters  TEXT NOT NULL,
    default_parameters    TEXT,
    supported_voices      TEXT,
    per_request_limits    TEXT,
    reasoning             TEXT,
    benchmarks            TEXT,
    knowledge_cutoff      TEXT,
    expiration_date       TEXT,
    first_seen            BIGINT NOT NULL,
    last_seen             BIGINT NOT NULL,
    is_active             BOOLEAN NOT NULL,
    updated_at            BIGINT NOT NULL
);

CREATE TABLE offers (
    key                   TEXT PRIMARY KEY,
    model_id              TEXT NOT NULL REFERENCES models(id),
    source                TEXT NOT NULL,
    seller                TEXT NOT NULL,
    served_by             TEXT,
    provider              TEXT,
    provider_name         TEXT,
    listing_id            TEXT NOT NULL,
    variant               TEXT,
    quantization          TEXT,
    context_length        BIGINT,
    max_completion_tokens BIGINT,
    max_prompt_tokens     BIGINT,
    supported_parameters  TEXT NOT NULL,
    discount              TEXT,
    status                BIGINT,
    uptime_5m             DOUBLE PRECISION,
    uptime_30m            DOUBLE PRECISION,
    uptime_1d             DOUBLE PRECISION,
    extra                 TEXT,
    first_seen            BIGINT NOT NULL,
    last_seen             BIGINT NOT NULL,
    is_active             BOOLEAN NOT NULL,
    updated_at            BIGINT NOT NULL
);
CREATE INDEX offers_model ON offers(model_id);
CREATE INDEX offers_source ON offers(source, is_active);

CREATE TABLE aliases (
    alias       TEXT PRIMARY KEY,
    model_id    TEXT NOT NULL REFERENCES models(id),
    offer_key   TEXT REFERENCES offers(key),
    kind        TEXT NOT NULL,
    source      TEXT NOT NULL,
    first_seen  BIGINT NOT NULL,
    last_seen   BIGINT NOT NULL,
    is_active   BOOLEAN NOT NULL
);
CREATE INDEX aliases_model ON aliases(model_id);

CREATE TABLE sync_runs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    trigger      TEXT NOT NULL,
    source       TEXT NOT NULL,
    origin       TEXT,
    status       TEXT NOT NULL,
    started_at   BIGINT NOT NULL,
    finished_at  BIGINT,
    duration_ms  BIGINT,
    models_seen  BIGINT,
    offers_seen  BIGINT,
    added        BIGINT NOT NULL DEFAULT 0,
    removed      BIGINT NOT NULL DEFAULT 0,
    repriced     BIGINT NOT NULL DEFAULT 0,
    changes      BIGINT NOT NULL DEFAULT 0,
    alerts       BIGINT NOT NULL DEFAULT 0,
    error        TEXT,
    holder       TEXT NOT NULL
);
CREATE INDEX sync_runs_started ON sync_runs(started_at);

-- One row per price interval. A price key is (offer, component, tier, condition);
-- its intervals [valid_from, valid_to) never overlap and at most one is open.
CREATE TABLE prices (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    offer_key         TEXT NOT NULL REFERENCES offers(key),
    component         TEXT NOT NULL,
    unit              TEXT NOT NULL,
    min_prompt_tokens BIGINT NOT NULL DEFAULT 0,
    condition         TEXT NOT NULL DEFAULT '',
    tier_scope        TEXT NOT NULL,
    amount            TEXT,
    is_variable       BOOLEAN NOT NULL,
    valid_from        BIGINT NOT NULL,
    valid_to          BIGINT,
    run_id            BIGINT REFERENCES sync_runs(id),
    CHECK (is_variable OR amount IS NOT NULL),
    CHECK (valid_to IS NULL OR valid_to > valid_from),
    UNIQUE (offer_key, component, min_prompt_tokens, condition, valid_from)
);
CREATE UNIQUE INDEX prices_one_open ON prices(offer_key, component, min_prompt_tokens, condition) WHERE valid_to IS NULL;
CREATE INDEX prices_valid ON prices(valid_from, valid_to);

CREATE TABLE change_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id      BIGINT NOT NULL REFERENCES sync_runs(id),
    at          BIGINT NOT NULL,
    kind        TEXT NOT NULL,
    model_id    TEXT NOT NULL,
    offer_key   TEXT,
    subject     TEXT,
    price_key   TEXT,
    old_value   TEXT,
    new_value   TEXT,
    percent     TEXT,
    is_alert    BOOLEAN NOT NULL
);
CREATE INDEX change_events_at ON change_events(at);
CREATE INDEX change_events_model ON change_events(model_id, at);

-- What was last fetched from a URL: validators for conditional requests and a content
-- hash (with the options that shaped the result) so an identical body is a no-op.
CREATE TABLE fetch_state (
    url            TEXT PRIMARY KEY,
    etag           TEXT,
    last_modified  TEXT,
    content_hash   TEXT NOT NULL,
    fingerprint    TEXT NOT NULL,
    updated_at     BIGINT NOT NULL
);
