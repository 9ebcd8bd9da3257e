-- +goose Up
-- The deals report (docs/deals.md, "Deals report") reads the deals opened
-- in a period and those closed in it. These two indexes hold every column
-- it reads of a deal, so that a period is read by index-only scans instead
-- of one table lookup per deal. Migrations only move forward, so there is
-- no Down.
CREATE INDEX deals_report_opened ON deals (created_at) INCLUDE (stage, pipeline_stage, amount_cents, engaged_at, closed_at, owner_id, lead_id);
CREATE INDEX deals_report_closed ON deals (closed_at) INCLUDE (created_at, stage, pipeline_stage, amount_cents, engaged_at, owner_id, lead_id)
    WHERE closed_at IS NOT NULL;
