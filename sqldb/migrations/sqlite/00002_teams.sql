-- +goose Up
-- Teams, managers and absence, for routing and escalation. A team is a name
-- users share; which roles may manage which is checked by the store.
-- Migrations only move forward, so there is no Down.
-- absent is 0 or 1: SQLite has no boolean type.
ALTER TABLE users ADD COLUMN team TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN manager_id INTEGER REFERENCES users (id);
ALTER TABLE users ADD COLUMN absent INTEGER NOT NULL DEFAULT 0;
CREATE INDEX users_manager_id ON users (manager_id);
CREATE INDEX users_team ON users (team);

