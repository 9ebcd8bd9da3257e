-- +goose Up
-- Campaigns, their monthly spend, and marketing touches (docs/campaigns.md).
-- Migrations only move forward, so there is no Down.
--
-- A campaign is known by its code, the value leads carry in their campaign
-- field. Leads may carry codes nobody registered: those are campaigns too,
-- without a name or spend, so nothing here references campaigns but spend.
CREATE TABLE campaigns (
    code       TEXT PRIMARY KEY,
    name       TEXT NOT NULL DEFAULT '',
    channel    TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
-- One amount per campaign and calendar month (YYYY-MM); setting it again
-- replaces it.
CREATE TABLE campaign_spend (
    campaign     TEXT NOT NULL REFERENCES campaigns (code),
    month        TEXT NOT NULL CHECK (length(month) = 7),
    amount_cents INTEGER NOT NULL CHECK (amount_cents >= 0),
    updated_at   TEXT NOT NULL,
    updated_by   TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (campaign, month)
);
-- Every marketing touch is a marketing_touched event in its lead's ledger;
-- this table repeats it for the reports' queries. lead_id's reference is
-- checked at commit: intake writes a batch's touches with its new leads.
CREATE TABLE marketing_touches (
    id          INTEGER PRIMARY KEY,
    lead_id     INTEGER NOT NULL REFERENCES leads (id) DEFERRABLE INITIALLY DEFERRED,
    campaign    TEXT NOT NULL,
    origin      TEXT NOT NULL DEFAULT '',
    kind        TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    actor       TEXT NOT NULL DEFAULT ''
);
-- A lead's touches in time order, for attribution.
CREATE INDEX marketing_touches_lead ON marketing_touches (lead_id, occurred_at, id);
CREATE INDEX marketing_touches_campaign ON marketing_touches (campaign, occurred_at);
