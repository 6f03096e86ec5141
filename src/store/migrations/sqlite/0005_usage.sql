-- Usage tracking: one row per proxied or client request, the bill checks made against it.
-- Money is TEXT (exact decimal); SQLite's NUMERIC would turn it into a float.
CREATE TABLE usage_records (
    id                   INTEGER PRIMARY KEY,
    at                   BIGINT NOT NULL,
    request_id           TEXT NOT NULL,
    endpoint             TEXT NOT NULL,
    model_requested      TEXT,
    model                TEXT,
    offer_key            TEXT,
    provider             TEXT,
    upstream             TEXT,
    streamed             BOOLEAN NOT NULL,
    status               INTEGER NOT NULL,
    latency_ms           BIGINT NOT NULL,
    input_tokens         BIGINT NOT NULL,
    cache_read_tokens    BIGINT NOT NULL,
    cache_write_tokens   BIGINT NOT NULL,
    cache_write_1h_tokens BIGINT NOT NULL,
    output_tokens        BIGINT NOT NULL,
    reasoning_tokens     BIGINT NOT NULL,
    audio_input_tokens   BIGINT NOT NULL,
    audio_output_tokens  BIGINT NOT NULL,
    image_input_tokens   BIGINT NOT NULL,
    image_output_tokens  BIGINT NOT NULL,
    images_in            BIGINT NOT NULL,
    images_out           BIGINT NOT NULL,
    web_searches         BIGINT NOT NULL,
    cost                 TEXT,
    cost_source          TEXT NOT NULL,
    provider_cost        TEXT,
    engine_cost          TEXT,
    pricing_error        TEXT,
    tag                  TEXT,
    app                  TEXT,
    user_tag             TEXT,
    key_hash             TEXT
);
CREATE INDEX usage_records_at ON usage_records(at);

CREATE TABLE usage_verifications (
    id             INTEGER PRIMARY KEY,
    usage_id       BIGINT NOT NULL REFERENCES usage_records(id),
    checked_at     BIGINT NOT NULL,
    model          TEXT,
    offer_key      TEXT,
    provider_cost  TEXT NOT NULL,
    engine_cost    TEXT,
    difference     TEXT,
    matched        BOOLEAN NOT NULL,
    price_rows     TEXT NOT NULL,
    error          TEXT
);
CREATE INDEX usage_verifications_usage ON usage_verifications(usage_id);
