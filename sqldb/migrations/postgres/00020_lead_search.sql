-- +goose Up
-- Lead search (docs/web.md, "Leads"; docs/api.md, q=). A lead is searched
-- by one text: its name, email, company, phone (also as digits only) and
-- external id, without accents and in lower case (search_norm), indexed
-- by trigrams (pg_trgm), so that any substring of three characters or
-- more is found by the index ("mull" finds Müller). The text is a stored
-- generated column of the lead's own columns, so it is never out of step,
-- and a search's recheck of the index's candidates reads it rather than
-- computing unaccent again for each (five times faster at a million).
--
-- The extensions go to schema public when absent, so that every schema of
-- the database (the tests make one each) shares them and dropping a schema
-- never drops them; the functions below name the schema each extension is
-- in. Two migrations creating one at once is not an error. Migrations only
-- move forward, so there is no Down.
-- +goose StatementBegin
DO $do$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
EXCEPTION WHEN unique_violation OR duplicate_object THEN NULL;
END $do$;
-- +goose StatementEnd
-- +goose StatementBegin
DO $do$
BEGIN
    CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public;
EXCEPTION WHEN unique_violation OR duplicate_object THEN NULL;
END $do$;
-- +goose StatementEnd
-- +goose StatementBegin
DO $do$
DECLARE
    un text;
    tr text;
BEGIN
    SELECT quote_ident(n.nspname) INTO un FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
        WHERE e.extname = 'unaccent';
    SELECT quote_ident(n.nspname) INTO tr FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
        WHERE e.extname = 'pg_trgm';
    -- unaccent() is only STABLE (its dictionary could change); naming the
    -- dictionary makes it safe to call from an index's IMMUTABLE function.
    EXECUTE format($f$CREATE FUNCTION search_norm(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
        AS $b$ SELECT lower(%s.unaccent(%L::regdictionary, t)) $b$$f$, un, un || '.unaccent');
    ALTER TABLE leads ADD COLUMN search text GENERATED ALWAYS AS (search_norm(first_name || ' ' || last_name || ' ' ||
        email || ' ' || company || ' ' || phone || ' ' ||
        replace(replace(replace(replace(replace(replace(replace(phone, ' ', ''), '-', ''), '(', ''), ')', ''), '.', ''), '+', ''), '/', '')
        || ' ' || external_id)) STORED;
    EXECUTE format($f$CREATE INDEX leads_search ON leads USING gin (search %s.gin_trgm_ops)$f$, tr);
END $do$;
-- +goose StatementEnd

-- The leads list sorts by these columns (the others sort by a scan).
CREATE INDEX leads_created ON leads (created_at, id);
CREATE INDEX leads_stage_changed ON leads (stage_changed_at, id);
CREATE INDEX leads_owner ON leads (owner_id);
CREATE INDEX leads_campaign ON leads (campaign);

-- Saved views of the leads list: a name and the list's query string
-- (filters, search, sort), per user; a shared view is listed for everyone.
CREATE TABLE lead_views (
    id         BIGSERIAL PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    name       TEXT NOT NULL,
    query      TEXT NOT NULL,
    shared     BOOLEAN NOT NULL DEFAULT false,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (user_id, name)
);
CREATE INDEX lead_views_shared ON lead_views (shared) WHERE shared;
