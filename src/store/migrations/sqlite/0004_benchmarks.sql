-- Benchmark scores with history, like prices: one open interval per series of a model and
-- source; a score that did not change is not written again. Scores are exact decimal text.
CREATE TABLE benchmark_scores (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    model_id    TEXT NOT NULL REFERENCES models(id),
    benchmark   TEXT NOT NULL,
    category    TEXT NOT NULL,
    metric      TEXT NOT NULL,
    score       TEXT NOT NULL,
    source      TEXT NOT NULL,
    valid_from  BIGINT NOT NULL,
    valid_to    BIGINT,
    run_id      BIGINT REFERENCES sync_runs(id),
    CHECK (valid_to IS NULL OR valid_to > valid_from),
    UNIQUE (model_id, benchmark, category, metric, source, valid_from)
);
CREATE UNIQUE INDEX benchmark_scores_one_open ON benchmark_scores(model_id, benchmark, category, metric, source)
    WHERE valid_to IS NULL;
CREATE INDEX benchmark_scores_valid ON benchmark_scores(valid_from, valid_to);
