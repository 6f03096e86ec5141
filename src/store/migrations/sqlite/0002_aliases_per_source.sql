-- Several sources may name a model by the same id (`gpt-4o` in LiteLLM and genai-prices):
-- an alias is unique per source, not globally.
CREATE TABLE aliases_per_source (
    alias       TEXT NOT NULL,
    source      TEXT NOT NULL,
    model_id    TEXT NOT NULL REFERENCES models(id),
    offer_key   TEXT REFERENCES offers(key),
    kind        TEXT NOT NULL,
    first_seen  BIGINT NOT NULL,
    last_seen   BIGINT NOT NULL,
    is_active   BOOLEAN NOT NULL,
    PRIMARY KEY (alias, source)
);
INSERT INTO aliases_per_source (alias, source, model_id, offer_key, kind, first_seen, last_seen, is_active)
    SELECT alias, source, model_id, offer_key, kind, first_seen, last_seen, is_active FROM aliases;
DROP TABLE aliases;
ALTER TABLE aliases_per_source RENAME TO aliases;
CREATE INDEX aliases_model ON aliases(model_id);
