-- +goose Up
-- Accounts and products (docs/accounts.md): the companies leads and deals
-- belong to, and the catalogue deals sell. Both are known by their name,
-- compared case-insensitively after trimming spaces (name_key), since CRM
-- exports name them rather than give ids. Amounts are whole minor units
-- (cents); 0 in employees, revenue_cents or year_established means unknown.
-- A user may have no email (a users file with names only). Migrations only
-- move forward, so there is no Down.
ALTER TABLE users ALTER COLUMN email DROP NOT NULL;
-- Names of the people a users file brings without emails are matched by name.
CREATE INDEX users_name ON users (name);

CREATE TABLE accounts (
    id               BIGSERIAL PRIMARY KEY,
    name             TEXT NOT NULL,
    name_key         TEXT NOT NULL UNIQUE,
    domain           TEXT NOT NULL DEFAULT '',
    sector           TEXT NOT NULL DEFAULT '',
    employees        BIGINT NOT NULL DEFAULT 0 CHECK (employees >= 0),
    revenue_cents    BIGINT NOT NULL DEFAULT 0 CHECK (revenue_cents >= 0),
    location         TEXT NOT NULL DEFAULT '',
    parent_id        BIGINT REFERENCES accounts (id),
    year_established BIGINT NOT NULL DEFAULT 0,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX accounts_parent ON accounts (parent_id) WHERE parent_id IS NOT NULL;

CREATE TABLE products (
    id               BIGSERIAL PRIMARY KEY,
    name             TEXT NOT NULL,
    name_key         TEXT NOT NULL UNIQUE,
    series           TEXT NOT NULL DEFAULT '',
    list_price_cents BIGINT NOT NULL DEFAULT 0 CHECK (list_price_cents >= 0),
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);

-- A deal's account and product, as reports group by them; a lead's account.
ALTER TABLE deals ADD COLUMN account_id BIGINT REFERENCES accounts (id);
ALTER TABLE deals ADD COLUMN product_id BIGINT REFERENCES products (id);
ALTER TABLE leads ADD COLUMN account_id BIGINT REFERENCES accounts (id);
CREATE INDEX deals_account ON deals (account_id) WHERE account_id IS NOT NULL;
CREATE INDEX deals_product ON deals (product_id) WHERE product_id IS NOT NULL;
CREATE INDEX leads_account ON leads (account_id) WHERE account_id IS NOT NULL;
