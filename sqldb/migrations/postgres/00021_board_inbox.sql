-- +goose Up
-- The deals board (docs/deals.md, "The board") and the inbox (docs/web.md,
-- "Inbox"). The board counts and sums the open deals of each pipeline stage
-- and lists the largest: this index holds every column it reads of an open
-- deal, in stage and amount order, so that 50,000 open deals are read by
-- index-only scans. The header of every page counts the signed-in person's
-- unread inbox notifications: the partial index holds only those, so the
-- count reads no more than it counts. Migrations only move forward, so
-- there is no Down.
CREATE INDEX deals_board ON deals (pipeline_stage, amount_cents, id) INCLUDE (owner_id, lead_id, account_id, product_id)
    WHERE stage = 'open';
CREATE INDEX notifications_unread ON notifications (user_id, id) WHERE channel = 'inbox' AND read_at IS NULL;
-- An account's and a product's deals by outcome, with their amounts: the
-- accounts page and the catalogue sum them by index-only scans.
CREATE INDEX deals_account_outcome ON deals (account_id, stage) INCLUDE (amount_cents) WHERE account_id IS NOT NULL;
CREATE INDEX deals_product_outcome ON deals (product_id, stage) INCLUDE (amount_cents) WHERE product_id IS NOT NULL;
