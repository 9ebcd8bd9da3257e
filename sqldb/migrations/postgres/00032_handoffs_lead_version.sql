-- +goose Up
-- The deals report by lead stage at hand-off reads, for each deal, the
-- agreement version of its lead's first hand-off: with the version in the
-- index of a lead's hand-offs, that is an index-only scan per deal instead
-- of an index scan and a read of the hand-off's row. The index keeps its
-- name and its order, so the lead page and the cadence read it as before.
-- Migrations only move forward, so there is no Down.
DROP INDEX handoffs_lead;
CREATE INDEX handoffs_lead ON handoffs (lead_id, id) INCLUDE (agreement_version);
