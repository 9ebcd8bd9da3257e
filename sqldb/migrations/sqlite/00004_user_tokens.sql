-- +goose Up
-- A token may act for a user: it then carries the user's current role, and
-- what it does is recorded as the user's.
ALTER TABLE tokens ADD COLUMN user_id INTEGER REFERENCES users (id);
