-- +goose Up
-- Indexes that keep the pages fast at a million leads (docs/operations.md):
-- a lead's hand-offs, all of them, in order (the lead page, its cadence);
-- and the open clocks in the order they fall due, for everyone (the SLA
-- board: about to breach, breached and still open), where the other
-- indexes of open rows would read every open clock (of a team, or of
-- everyone) and sort them. The hand-off clocks are indexed twice, for
-- everyone and by owner (a manager's team): both hold only the few open
-- hand-offs still untouched or undecided.
CREATE INDEX handoffs_lead ON handoffs (lead_id, id);
CREATE INDEX tasks_open_due ON tasks (due_at) WHERE state = 'open';
CREATE INDEX handoffs_untouched_due ON handoffs (first_touch_due) WHERE ended_at IS NULL AND first_touch_at IS NULL;
CREATE INDEX handoffs_undecided_due ON handoffs (accept_due) WHERE ended_at IS NULL AND decided_at IS NULL;
CREATE INDEX handoffs_untouched_owner_due ON handoffs (owner_id, first_touch_due) WHERE ended_at IS NULL AND first_touch_at IS NULL;
CREATE INDEX handoffs_undecided_owner_due ON handoffs (owner_id, accept_due) WHERE ended_at IS NULL AND decided_at IS NULL;
