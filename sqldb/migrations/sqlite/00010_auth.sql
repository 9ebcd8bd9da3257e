-- +goose Up
-- Sign-in (docs/web.md). A user's password is kept only as an argon2id hash
-- in its encoded form; '' means the user has no password and cannot sign in
-- to the web app. A session row keeps only the SHA-256 of the cookie's
-- secret, so a copy of the database signs nobody in.
-- Migrations only move forward, so there is no Down.
ALTER TABLE users ADD COLUMN password_hash TEXT NOT NULL DEFAULT '';

CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY,
    hash         TEXT NOT NULL UNIQUE,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    revoked_at   TEXT
);
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);
