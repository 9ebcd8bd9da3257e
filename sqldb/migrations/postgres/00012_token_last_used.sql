-- +goose Up
-- When an API token last authenticated a request (docs/web.md, settings),
-- NULL for never. It is written at most once a minute per token, so that
-- the API does not write on every request.
-- Migrations only move forward, so there is no Down.
ALTER TABLE tokens ADD COLUMN last_used_at TIMESTAMPTZ;
