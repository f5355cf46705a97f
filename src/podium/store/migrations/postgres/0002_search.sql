-- Search over many executions (`/api/workflow/search`): btree indexes for the common filters
-- and orderings, and a trigram index answering `freeText`. Every index here is written on every
-- workflow write, so there are few: `benchmarks/search.py` shows what each search needs.
-- The definitions use IF NOT EXISTS so that an operator may build them beforehand with
-- CREATE INDEX CONCURRENTLY on a large database (building them here blocks workflow writes).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- The text `freeText` searches: the stored JSON with its ASCII letters lower-cased (lower()
-- under the "C" collation folds ASCII only, as the other stores do). IMMUTABLE so that it can
-- be indexed: convert_from() depends only on the database encoding, which never changes.
CREATE OR REPLACE FUNCTION podium_search_text(body BYTEA) RETURNS TEXT
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT lower(convert_from(body, 'UTF8') COLLATE "C") $$;

-- Newest first (the default order), time ranges, deep pages; `updateTime` likewise.
CREATE INDEX IF NOT EXISTS workflow_by_create_time ON workflow (create_time);
CREATE INDEX IF NOT EXISTS workflow_by_update_time ON workflow (update_time);
-- `status IN (...)` alone, newest first (`workflow_by_name` serves it with a workflowType).
CREATE INDEX IF NOT EXISTS workflow_by_status ON workflow (status, create_time);
-- `freeText`: the rows holding every trigram of the text, checked exactly by LIKE.
CREATE INDEX IF NOT EXISTS workflow_free_text
    ON workflow USING gin (podium_search_text(body) gin_trgm_ops);
-- How many executions hold a text, the planner estimates from a sample of the texts: with the
-- default 100 it guesses "few" for every text and sorts all matches of a common one, where
-- walking the startTime index would stop after a page. (ANALYZE then samples 300,000 rows.
-- Texts over 1 kB are left out of the sample: with bigger executions, the guess stays "few".)
ALTER INDEX workflow_free_text ALTER COLUMN 1 SET STATISTICS 1000;
