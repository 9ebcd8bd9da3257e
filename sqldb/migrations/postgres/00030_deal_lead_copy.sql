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
-- deals_lead_uncopied holds those few, so new leads look for their deals
-- there and not among all of them. Migrations only move forward, so there is
-- no Down.
ALTER TABLE deals ADD COLUMN lead_owner_id BIGINT, ADD COLUMN lead_source TEXT, ADD COLUMN lead_origin TEXT,
    ADD COLUMN lead_segment TEXT, ADD COLUMN lead_campaign TEXT;
UPDATE deals d SET lead_owner_id = l.owner_id, lead_source = l.source, lead_origin = l.origin, lead_segment = l.segment,
    lead_campaign = l.campaign
FROM leads l WHERE l.id = d.lead_id;
CREATE INDEX deals_lead_uncopied ON deals (lead_id) WHERE lead_owner_id IS NULL;
-- +goose StatementBegin
CREATE FUNCTION deals_lead_copy() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT l.owner_id, l.source, l.origin, l.segment, l.campaign
        INTO NEW.lead_owner_id, NEW.lead_source, NEW.lead_origin, NEW.lead_segment, NEW.lead_campaign
        FROM leads l WHERE l.id = NEW.lead_id;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER deals_lead_copy_insert BEFORE INSERT ON deals
    FOR EACH ROW WHEN (NEW.lead_owner_id IS NULL) EXECUTE FUNCTION deals_lead_copy();
CREATE TRIGGER deals_lead_copy_relink BEFORE UPDATE OF lead_id ON deals
    FOR EACH ROW WHEN (OLD.lead_id IS DISTINCT FROM NEW.lead_id) EXECUTE FUNCTION deals_lead_copy();
-- New leads, once per statement (a COPY of thousands runs it once): the
-- deals written before them, from the few deals_lead_uncopied holds.
-- +goose StatementBegin
CREATE FUNCTION leads_deal_copy_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE deals d SET lead_owner_id = n.owner_id, lead_source = n.source, lead_origin = n.origin, lead_segment = n.segment,
        lead_campaign = n.campaign
    FROM new_leads n WHERE d.lead_id = n.id AND d.lead_owner_id IS NULL;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER leads_deal_copy_insert AFTER INSERT ON leads
    REFERENCING NEW TABLE AS new_leads FOR EACH STATEMENT EXECUTE FUNCTION leads_deal_copy_insert();
-- A changed lead, row by row: the WHEN clause lets the leads whose copied
-- fields stay as they were pass without running the function.
-- +goose StatementBegin
CREATE FUNCTION leads_deal_copy_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE deals SET lead_owner_id = NEW.owner_id, lead_source = NEW.source, lead_origin = NEW.origin, lead_segment = NEW.segment,
        lead_campaign = NEW.campaign
    WHERE lead_id = NEW.id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER leads_deal_copy_update AFTER UPDATE ON leads FOR EACH ROW
    WHEN (OLD.owner_id IS DISTINCT FROM NEW.owner_id OR OLD.source IS DISTINCT FROM NEW.source OR OLD.origin IS DISTINCT FROM NEW.origin
        OR OLD.segment IS DISTINCT FROM NEW.segment OR OLD.campaign IS DISTINCT FROM NEW.campaign OR OLD.id IS DISTINCT FROM NEW.id)
    EXECUTE FUNCTION leads_deal_copy_update();
-- The board's index holds the lead's owner too, so a rep's board is read
-- by index-only scans; the report's hold the lead dimensions.
DROP INDEX deals_board;
CREATE INDEX deals_board ON deals (pipeline_stage, amount_cents, id) INCLUDE (owner_id, lead_id, account_id, product_id, lead_owner_id)
    WHERE stage = 'open';
DROP INDEX deals_report_opened;
DROP INDEX deals_report_closed;
CREATE INDEX deals_report_opened ON deals (created_at) INCLUDE (stage, pipeline_stage, amount_cents, engaged_at, closed_at, owner_id, lead_id,
    product_id, account_id, product, account, lead_source, lead_origin, lead_segment, lead_campaign);
CREATE INDEX deals_report_closed ON deals (closed_at) INCLUDE (created_at, stage, pipeline_stage, amount_cents, engaged_at, owner_id, lead_id,
    product_id, account_id, product, account, lead_source, lead_origin, lead_segment, lead_campaign)
    WHERE closed_at IS NOT NULL;
-- The read rule lets a rep read the deals of the leads once handed to them:
-- their hand-offs' leads, found by owner.
CREATE INDEX handoffs_owner_lead ON handoffs (owner_id, lead_id);
