-- +goose Up
-- Indexes that hold every column the scorecard's reports read of a row, so
-- that a month at a million leads is read from the indexes alone, without
-- a visit to the table per row (docs/performance.md):
-- the SLA report reads every task of the hand-offs started in its period,
-- packed by hand-off (sqldb.DB.SLAInput);
CREATE INDEX tasks_handoff_report ON tasks (handoff_id, cadence, step, state, due_at, done_at);
-- the campaign report reads the campaign of each lead's first marketing
-- touch (sqldb.DB.CampaignRows): the index of a lead's touches in time
-- order now holds it.
DROP INDEX marketing_touches_lead;
CREATE INDEX marketing_touches_lead ON marketing_touches (lead_id, occurred_at, id, campaign);
