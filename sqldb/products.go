package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/tandemhq/tandem"
)

// productColumns are the columns scanProduct reads, in its order.
const productColumns = `id, name, series, list_price_cents, created_at, updated_at`

func scanProduct(s scanner) (tandem.Product, error) {
	var p tandem.Product
	err := s.Scan(&p.ID, &p.Name, &p.Series, &p.ListPriceCents, scanTime{&p.CreatedAt}, scanTime{&p.UpdatedAt})
	return p, err
}

// Products returns the product catalogue, by name.
func (db *DB) Products(ctx context.Context) (ps []tandem.Product, err error) {
	defer wrap(&err, "list products")
	err = db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+productColumns+` FROM products ORDER BY name_key`)
		if err != nil {
			return err
		}
		defer rows.Close()
		ps = []tandem.Product{}
		for rows.Next() {
			p, err := scanProduct(rows)
			if err != nil {
				return err
			}
			ps = append(ps, p)
		}
		return rows.Err()
	})
	return ps, err
}

// Product returns the product with the id, or ENOTFOUND.
func (db *DB) Product(ctx context.Context, id int64) (p tandem.Product, err error) {
	defer wrap(&err, "product %d", id)
	err = db.view(ctx, func(tx *Tx) error {
		p, err = scanProduct(tx.QueryRowContext(ctx, `SELECT `+productColumns+` FROM products WHERE id = $1`, id))
		if err == sql.ErrNoRows {
			return tandem.Errorf(tandem.ENOTFOUND, "product %d not found", id)
		}
		return err
	})
	return p, err
}

// productByName returns the product named name (as [tandem.NameKey]
// compares names), or false.
func (tx *Tx) productByName(ctx context.Context, name string) (tandem.Product, bool, error) {
	p, err := scanProduct(tx.QueryRowContext(ctx, `SELECT `+productColumns+` FROM products WHERE name_key = $1`, tandem.NameKey(name)))
	if err == sql.ErrNoRows {
		return p, false, nil
	}
	return p, err == nil, err
}

// productID returns the id of the product named name, adding a product
// with only its name when there is none (created is then true). field
// names the input in an error about the name.
func (tx *Tx) productID(ctx context.Context, name, field string) (id int64, created bool, err error) {
	if err := tandem.CheckName(name); err != nil {
		return 0, false, tandem.Invalid(tandem.FieldError{Field: field, Message: err.Error()})
	}
	err = tx.QueryRowContext(ctx, `SELECT id FROM products WHERE name_key = $1`, tandem.NameKey(name)).Scan(&id)
	if err != sql.ErrNoRows {
		return id, false, err
	}
	name = tandem.CleanName(name)
	err = tx.QueryRowContext(ctx, `INSERT INTO products (name, name_key, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id`,
		name, tandem.NameKey(name), tx.t(tx.Now)).Scan(&id)
	if err != nil {
		return 0, false, fmt.Errorf("add product %q: %w", name, err)
	}
	return id, true, nil
}

// UpsertProduct adds the product that in names, or changes it: in holds
// values by [tandem.ProductFields] name, and an empty value leaves a field
// as it is. It returns the product and tandem.StatusCreated, StatusUpdated
// or StatusUnchanged. Errors: EINVALID naming each bad field.
func (db *DB) UpsertProduct(ctx context.Context, in map[string]string) (p tandem.Product, status string, err error) {
	defer wrap(&err, "upsert product %q", in["name"])
	err = db.transact(ctx, func(tx *Tx) error {
		p, status, err = tx.upsertProduct(ctx, in)
		return err
	})
	return p, status, err
}

func (tx *Tx) upsertProduct(ctx context.Context, in map[string]string) (p tandem.Product, status string, err error) {
	var cur *tandem.Product
	if name := strings.TrimSpace(in["name"]); name != "" && tandem.CheckName(name) == nil {
		c, ok, err := tx.productByName(ctx, name)
		if err != nil {
			return p, "", err
		}
		if ok {
			cur = &c
		}
	}
	p, changed, err := tandem.MergeProduct(cur, in)
	if err != nil || !changed {
		return p, tandem.StatusUnchanged, err
	}
	p.UpdatedAt = tx.Now
	if cur == nil {
		p.CreatedAt = tx.Now
		err = tx.QueryRowContext(ctx, `INSERT INTO products (name, name_key, series, list_price_cents, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $5) RETURNING id`, p.Name, tandem.NameKey(p.Name), p.Series, p.ListPriceCents, tx.t(tx.Now)).Scan(&p.ID)
		return p, tandem.StatusCreated, err
	}
	_, err = tx.ExecContext(ctx, `UPDATE products SET series = $2, list_price_cents = $3, updated_at = $4 WHERE id = $1`,
		p.ID, p.Series, p.ListPriceCents, tx.t(tx.Now))
	return p, tandem.StatusUpdated, err
}

// batchCatalog returns the ids of an imported deal's account and product
// (0 for none) for a batch of deals to link, adding those that do not
// exist, as linkCatalog does: both names are checked before either is
// added, so that a row rejected for one adds nothing.
func (tx *Tx) batchCatalog(ctx context.Context, d tandem.Deal) (account, product int64, err error) {
	for _, n := range []struct{ name, field string }{{d.Account, "account"}, {d.Product, "product"}} {
		if n.name == "" {
			continue
		}
		if err := tandem.CheckName(n.name); err != nil {
			return 0, 0, tandem.Invalid(tandem.FieldError{Field: n.field, Message: err.Error()})
		}
	}
	if d.Account != "" {
		if account, err = tx.batchCatalogID(ctx, "accounts", d.Account); err != nil {
			return 0, 0, err
		}
	}
	if d.Product != "" {
		if product, err = tx.batchCatalogID(ctx, "products", d.Product); err != nil {
			return 0, 0, err
		}
	}
	return account, product, nil
}

// linkCatalog links an imported deal to its account and product by name,
// adding those that do not exist, and gives the deal's lead the deal's
// account when the lead has none. A name too long is an EINVALID error
// naming the deal's field.
func (tx *Tx) linkCatalog(ctx context.Context, d tandem.Deal) error {
	var account, product int64
	var err error
	if d.Account != "" {
		if account, _, err = tx.accountID(ctx, d.Account, "account"); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE leads SET account_id = $1 WHERE id = $2 AND account_id IS NULL`, account, d.LeadID); err != nil {
			return fmt.Errorf("link lead %d to account %d: %w", d.LeadID, account, err)
		}
	}
	if d.Product != "" {
		if product, _, err = tx.productID(ctx, d.Product, "product"); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE deals SET account_id = $2, product_id = $3 WHERE id = $1`, d.ID, nullID(account), nullID(product)); err != nil {
		return fmt.Errorf("link deal %d to its account and product: %w", d.ID, err)
	}
	return nil
}
