-- +goose Up
-- The deals report by product or account (docs/deals.md, "Deals report")
-- reads the deal's product and account, by id and by the name it was
-- imported with. The report's two indexes (00018) now hold those too, so
-- that a period by product is read by index-only scans instead of with one
-- table lookup per deal. Migrations only move forward, so there is no
-- Down.
DROP INDEX deals_report_opened;
DROP INDEX deals_report_closed;
CREATE INDEX deals_report_opened ON deals (created_at) INCLUDE (stage, pipeline_stage, amount_cents, engaged_at, closed_at, owner_id, lead_id,
    product_id, account_id, product, account);
CREATE INDEX deals_report_closed ON deals (closed_at) INCLUDE (created_at, stage, pipeline_stage, amount_cents, engaged_at, owner_id, lead_id,
    product_id, account_id, product, account)
    WHERE closed_at IS NOT NULL;
