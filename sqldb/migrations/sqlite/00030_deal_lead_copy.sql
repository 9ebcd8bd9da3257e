-- +goose Up
-- A deal keeps a copy of what the deals board and the deals report read of
-- its lead (docs/deals.md, "The lead's fields on the deal"): the lead's
-- owner, which the read rule tests for every deal a rep may see, and the
-- lead dimensions of the report (source, origin, segment, campaign). Read
-- through the lead, each deal cost a lookup in another table: 50,000 on a
-- rep's board, a million in a year's report by source.
--
-- Triggers keep the copy, so that no path that writes a lead or a deal can
-- forget it: a deal written without the copy (lead_owner_id NULL) takes it
-- from its lead, or from the lead's row when that is written later in the
-- same transaction (a batch of leads opens a deal before writing the lead);
-- a change of the lead's owner or of those fields changes its deals. A deal
-- whose lead is written carries lead_owner_id NULL only until then:
-- deals_lead_uncopied holds those few, so a new lead looks for its deals
-- there and not among all of them. Migrations only move forward, so there is
-- no Down.
ALTER TABLE deals ADD COLUMN lead_owner_id INTEGER;
ALTER TABLE deals ADD COLUMN lead_source TEXT;
ALTER TABLE deals ADD COLUMN lead_origin TEXT;
ALTER TABLE deals ADD COLUMN lead_segment TEXT;
ALTER TABLE deals ADD COLUMN lead_campaign TEXT;
UPDATE deals SET (lead_owner_id, lead_source, lead_origin, lead_segment, lead_campaign) =
    (SELECT l.owner_id, l.source, l.origin, l.segment, l.campaign FROM leads l WHERE l.id = deals.lead_id);
CREATE INDEX deals_lead_uncopied ON deals (lead_id) WHERE lead_owner_id IS NULL;
-- +goose StatementBegin
CREATE TRIGGER deals_lead_copy_insert AFTER INSERT ON deals WHEN new.lead_owner_id IS NULL BEGIN
    UPDATE deals SET (lead_owner_id, lead_source, lead_origin, lead_segment, lead_campaign) =
        (SELECT l.owner_id, l.source, l.origin, l.segment, l.campaign FROM leads l WHERE l.id = new.lead_id)
    WHERE id = new.id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER deals_lead_copy_relink AFTER UPDATE OF lead_id ON deals WHEN old.lead_id IS NOT new.lead_id BEGIN
    UPDATE deals SET (lead_owner_id, lead_source, lead_origin, lead_segment, lead_campaign) =
        (SELECT l.owner_id, l.source, l.origin, l.segment, l.campaign FROM leads l WHERE l.id = new.lead_id)
    WHERE id = new.id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER leads_deal_copy_insert AFTER INSERT ON leads BEGIN
    UPDATE deals SET lead_owner_id = new.owner_id, lead_source = new.source, lead_origin = new.origin,
        lead_segment = new.segment, lead_campaign = new.campaign
    WHERE lead_id = new.id AND lead_owner_id IS NULL;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER leads_deal_copy_update AFTER UPDATE ON leads
    WHEN old.owner_id IS NOT new.owner_id OR old.source IS NOT new.source OR old.origin IS NOT new.origin
        OR old.segment IS NOT new.segment OR old.campaign IS NOT new.campaign OR old.id IS NOT new.id
BEGIN
    UPDATE deals SET lead_owner_id = new.owner_id, lead_source = new.source, lead_origin = new.origin,
        lead_segment = new.segment, lead_campaign = new.campaign
    WHERE lead_id = new.id;
END;
-- +goose StatementEnd
-- The board's index holds the lead's owner too, so a rep's board is read
-- from the index alone; the report's hold the lead dimensions.
DROP INDEX deals_board;
CREATE INDEX deals_board ON deals (pipeline_stage, amount_cents, id, owner_id, lead_id, account_id, product_id, lead_owner_id)
    WHERE stage = 'open';
DROP INDEX deals_report_opened;
DROP INDEX deals_report_closed;
CREATE INDEX deals_report_opened ON deals (created_at, stage, pipeline_stage, amount_cents, engaged_at, closed_at, owner_id, lead_id,
    product_id, account_id, product, account, lead_source, lead_origin, lead_segment, lead_campaign);
CREATE INDEX deals_report_closed ON deals (closed_at, created_at, stage, pipeline_stage, amount_cents, engaged_at, owner_id, lead_id,
    product_id, account_id, product, account, lead_source, lead_origin, lead_segment, lead_campaign)
    WHERE closed_at IS NOT NULL;
-- The read rule lets a rep read the deals of the leads once handed to them:
-- their hand-offs' leads, found by owner.
CREATE INDEX handoffs_owner_lead ON handoffs (owner_id, lead_id);
