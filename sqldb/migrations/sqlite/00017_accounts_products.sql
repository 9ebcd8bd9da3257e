-- +goose NO TRANSACTION
-- +goose Up
-- Accounts and products (docs/accounts.md): the companies leads and deals
-- belong to, and the catalogue deals sell. Both are known by their name,
-- compared case-insensitively after trimming spaces (name_key), since CRM
-- exports name them rather than give ids. Amounts are whole minor units
-- (cents); 0 in employees, revenue_cents or year_established means unknown.
-- A user may have no email (a users file with names only): the users table
-- is rebuilt without email's NOT NULL, the way SQLite changes a column, with
-- foreign keys off for the swap. Migrations only move forward, so there is
-- no Down.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE users_new (
    id            INTEGER PRIMARY KEY,
    email         TEXT UNIQUE,
    name          TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    team          TEXT NOT NULL DEFAULT '',
    manager_id    INTEGER REFERENCES users (id),
    absent        INTEGER NOT NULL DEFAULT 0,
    weight        INTEGER NOT NULL DEFAULT 1,
    password_hash TEXT NOT NULL DEFAULT ''
);
INSERT INTO users_new (id, email, name, role, created_at, team, manager_id, absent, weight, password_hash)
    SELECT id, email, name, role, created_at, team, manager_id, absent, weight, password_hash FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
CREATE INDEX users_manager_id ON users (manager_id);
CREATE INDEX users_team ON users (team);
-- Names of the people a users file brings without emails are matched by name.
CREATE INDEX users_name ON users (name);

CREATE TABLE accounts (
    id               INTEGER PRIMARY KEY,
    name             TEXT NOT NULL,
    name_key         TEXT NOT NULL UNIQUE,
    domain           TEXT NOT NULL DEFAULT '',
    sector           TEXT NOT NULL DEFAULT '',
    employees        INTEGER NOT NULL DEFAULT 0 CHECK (employees >= 0),
    revenue_cents    INTEGER NOT NULL DEFAULT 0 CHECK (revenue_cents >= 0),
    location         TEXT NOT NULL DEFAULT '',
    parent_id        INTEGER REFERENCES accounts (id),
    year_established INTEGER NOT NULL DEFAULT 0,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX accounts_parent ON accounts (parent_id) WHERE parent_id IS NOT NULL;

CREATE TABLE products (
    id               INTEGER PRIMARY KEY,
    name             TEXT NOT NULL,
    name_key         TEXT NOT NULL UNIQUE,
    series           TEXT NOT NULL DEFAULT '',
    list_price_cents INTEGER NOT NULL DEFAULT 0 CHECK (list_price_cents >= 0),
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);

-- A deal's account and product, as reports group by them; a lead's account.
ALTER TABLE deals ADD COLUMN account_id INTEGER REFERENCES accounts (id);
ALTER TABLE deals ADD COLUMN product_id INTEGER REFERENCES products (id);
ALTER TABLE leads ADD COLUMN account_id INTEGER REFERENCES accounts (id);
CREATE INDEX deals_account ON deals (account_id) WHERE account_id IS NOT NULL;
CREATE INDEX deals_product ON deals (product_id) WHERE product_id IS NOT NULL;
CREATE INDEX leads_account ON leads (account_id) WHERE account_id IS NOT NULL;
COMMIT;
PRAGMA foreign_keys = ON;
