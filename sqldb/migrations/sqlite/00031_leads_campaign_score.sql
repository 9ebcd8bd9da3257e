-- +goose Up
-- The leads of a campaign, best first (docs/web.md, "The leads list at a
-- million leads"): the index of the campaign filter also holds each lead's
-- score, so that a page of a campaign's leads sorted by score reads its 50
-- leads in the index's order, where the campaign's index alone had every
-- lead of the campaign read and sorted (25,000 rows: 236 ms on PostgreSQL,
-- whose table does not fit its buffers; 40 ms on SQLite). It replaces that
-- index, so intake writes no more index entries than before, but a change
-- of a lead's score now updates it. Migrations only move forward, so there
-- is no Down.
DROP INDEX leads_campaign;
CREATE INDEX leads_campaign ON leads (campaign, score, id);
