-- +goose Up
-- Lead search (docs/web.md, "Leads"; docs/api.md, q=). lead_search is an
-- FTS5 index of the text a person searches a lead by: its name, email,
-- company, phone (also as digits only) and external id, one document per
-- lead with the lead's id as its rowid. The trigram tokenizer finds any
-- substring of three characters or more, ignoring case and accents
-- ("mull" finds Müller); contentless, since the leads table holds the text.
-- The triggers keep it in step with every write to leads, whoever makes
-- it (intake, imports, a dump's load). Migrations only move forward, so
-- there is no Down.
CREATE VIRTUAL TABLE lead_search USING fts5(text, content='', contentless_delete=1,
    tokenize='trigram remove_diacritics 1');
INSERT INTO lead_search (rowid, text)
    SELECT id, first_name || ' ' || last_name || ' ' || email || ' ' || company || ' ' || phone || ' ' ||
        replace(replace(replace(replace(replace(replace(replace(phone, ' ', ''), '-', ''), '(', ''), ')', ''), '.', ''), '+', ''), '/', '')
        || ' ' || external_id
    FROM leads;
-- +goose StatementBegin
CREATE TRIGGER leads_search_insert AFTER INSERT ON leads BEGIN
    INSERT INTO lead_search (rowid, text) VALUES (new.id,
        new.first_name || ' ' || new.last_name || ' ' || new.email || ' ' || new.company || ' ' || new.phone || ' ' ||
        replace(replace(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '(', ''), ')', ''), '.', ''), '+', ''), '/', '')
        || ' ' || new.external_id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER leads_search_update AFTER UPDATE ON leads
    WHEN old.first_name IS NOT new.first_name OR old.last_name IS NOT new.last_name OR old.email IS NOT new.email
        OR old.company IS NOT new.company OR old.phone IS NOT new.phone OR old.external_id IS NOT new.external_id
        OR old.id IS NOT new.id
BEGIN
    DELETE FROM lead_search WHERE rowid = old.id;
    INSERT INTO lead_search (rowid, text) VALUES (new.id,
        new.first_name || ' ' || new.last_name || ' ' || new.email || ' ' || new.company || ' ' || new.phone || ' ' ||
        replace(replace(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '(', ''), ')', ''), '.', ''), '+', ''), '/', '')
        || ' ' || new.external_id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER leads_search_delete AFTER DELETE ON leads BEGIN
    DELETE FROM lead_search WHERE rowid = old.id;
END;
-- +goose StatementEnd

-- The leads list sorts by these columns (the others sort by a scan).
CREATE INDEX leads_created ON leads (created_at, id);
CREATE INDEX leads_stage_changed ON leads (stage_changed_at, id);
CREATE INDEX leads_owner ON leads (owner_id);
CREATE INDEX leads_campaign ON leads (campaign);

-- Saved views of the leads list: a name and the list's query string
-- (filters, search, sort), per user; a shared view is listed for everyone.
CREATE TABLE lead_views (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    name       TEXT NOT NULL,
    query      TEXT NOT NULL,
    shared     INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (user_id, name)
);
CREATE INDEX lead_views_shared ON lead_views (shared) WHERE shared = 1;
