-- +goose Up
-- The SLA report reads every task of the hand-offs started in its period,
-- packed by hand-off (sqldb.DB.SLAInput): this index holds every column it
-- reads, so a month of half a million tasks is read from the index alone,
-- in hand-off order, without a visit to the table per task.
CREATE INDEX tasks_handoff_report ON tasks (handoff_id, cadence, step, state, due_at, done_at);
