-- +goose Up
-- Indexes that keep the pages fast at a million leads (docs/operations.md):
-- a lead's hand-offs, all of them, in order (the lead page, its cadence);
-- and the open clocks in the order they fall due, for everyone (the SLA
-- board of a head: about to breach, breached and still open), where the
-- per-owner indexes would read every open clock of every rep and sort them.
CREATE INDEX handoffs_lead ON handoffs (lead_id, id);
CREATE INDEX tasks_open_due ON tasks (due_at) WHERE state = 'open';
CREATE INDEX handoffs_untouched_due ON handoffs (first_touch_due) WHERE ended_at IS NULL AND first_touch_at IS NULL;
CREATE INDEX handoffs_undecided_due ON handoffs (accept_due) WHERE ended_at IS NULL AND decided_at IS NULL;
