-- Several sources may name a model by the same id (`gpt-4o` in LiteLLM and genai-prices):
-- an alias is unique per source, not globally.
ALTER TABLE aliases DROP CONSTRAINT aliases_pkey;
ALTER TABLE aliases ADD PRIMARY KEY (alias, source);
