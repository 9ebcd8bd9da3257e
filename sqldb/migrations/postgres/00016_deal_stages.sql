-- +goose Up
-- Deal stages (docs/deals.md): an open deal is in one stage of the
-- agreement's sales pipeline (qualification, proposal, negotiation by
-- default). deals.stage stays open, won or lost; pipeline_stage is the open
-- stage, kept on a closed deal as the last one it was in. stage_changed_at is
-- when the deal entered its pipeline stage, or closed.
-- Migrations only move forward, so there is no Down.
ALTER TABLE deals ADD COLUMN pipeline_stage TEXT NOT NULL DEFAULT '';
ALTER TABLE deals ADD COLUMN stage_changed_at TIMESTAMPTZ;
-- Before this migration no agreement had a pipeline, so the default one was
-- in force: every open deal was in its first stage since it opened.
UPDATE deals SET pipeline_stage = 'qualification', stage_changed_at = created_at WHERE stage = 'open';
UPDATE deals SET stage_changed_at = closed_at WHERE stage <> 'open';
-- Lists by stage.
CREATE INDEX deals_pipeline_stage ON deals (pipeline_stage, id) WHERE stage = 'open';

-- Deal stage entries: for each deal, the first time it entered each stage
-- (an open stage of the pipeline, won or lost), from the deal events of the
-- ledger, for time in stage. Like stage_entries for leads.
CREATE TABLE deal_stage_entries (
    deal_id    BIGINT NOT NULL REFERENCES deals (id),
    stage      TEXT NOT NULL,
    entered_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (deal_id, stage)
);
CREATE INDEX deal_stage_entries_stage_entered_at ON deal_stage_entries (stage, entered_at);
INSERT INTO deal_stage_entries (deal_id, stage, entered_at)
    SELECT id, 'qualification', created_at FROM deals WHERE stage = 'open';
INSERT INTO deal_stage_entries (deal_id, stage, entered_at)
    SELECT id, stage, closed_at FROM deals WHERE stage <> 'open';
