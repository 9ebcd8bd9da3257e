package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/tandemhq/tandem"
)

// accountSelect reads accounts for scanAccount, each with its parent's
// name; a WHERE or ORDER BY clause may follow.
const accountSelect = `SELECT a.id, a.name, a.domain, a.sector, a.employees, a.revenue_cents, a.location, a.parent_id,
	coalesce(p.name, ''), a.year_established, a.created_at, a.updated_at FROM accounts a LEFT JOIN accounts p ON p.id = a.parent_id`

func scanAccount(s scanner) (tandem.Account, error) {
	var a tandem.Account
	var parent sql.NullInt64
	err := s.Scan(&a.ID, &a.Name, &a.Domain, &a.Sector, &a.Employees, &a.RevenueCents, &a.Location, &parent, &a.Parent,
		&a.YearEstablished, scanTime{&a.CreatedAt}, scanTime{&a.UpdatedAt})
	a.ParentID = parent.Int64
	return a, err
}

// Accounts returns every account, by name.
func (db *DB) Accounts(ctx context.Context) (as []tandem.Account, err error) {
	defer wrap(&err, "list accounts")
	err = db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, accountSelect+` ORDER BY a.name_key`)
		if err != nil {
			return err
		}
		defer rows.Close()
		as = []tandem.Account{}
		for rows.Next() {
			a, err := scanAccount(rows)
			if err != nil {
				return err
			}
			as = append(as, a)
		}
		return rows.Err()
	})
	return as, err
}

// Account returns the account with the id, or ENOTFOUND.
func (db *DB) Account(ctx context.Context, id int64) (a tandem.Account, err error) {
	defer wrap(&err, "account %d", id)
	err = db.view(ctx, func(tx *Tx) error {
		a, err = scanAccount(tx.QueryRowContext(ctx, accountSelect+` WHERE a.id = $1`, id))
		if err == sql.ErrNoRows {
			return tandem.Errorf(tandem.ENOTFOUND, "account %d not found", id)
		}
		return err
	})
	return a, err
}

// accountByName returns the account named name (as [tandem.NameKey]
// compares names), or false.
func (tx *Tx) accountByName(ctx context.Context, name string) (tandem.Account, bool, error) {
	a, err := scanAccount(tx.QueryRowContext(ctx, accountSelect+` WHERE a.name_key = $1`, tandem.NameKey(name)))
	if err == sql.ErrNoRows {
		return a, false, nil
	}
	return a, err == nil, err
}

// accountID returns the id of the account named name, adding an account
// with only its name when there is none (created is then true). field
// names the input in an error about the name.
func (tx *Tx) accountID(ctx context.Context, name, field string) (id int64, created bool, err error) {
	if err := tandem.CheckName(name); err != nil {
		return 0, false, tandem.Invalid(tandem.FieldError{Field: field, Message: err.Error()})
	}
	err = tx.QueryRowContext(ctx, `SELECT id FROM accounts WHERE name_key = $1`, tandem.NameKey(name)).Scan(&id)
	if err != sql.ErrNoRows {
		return id, false, err
	}
	name = tandem.CleanName(name)
	err = tx.QueryRowContext(ctx, `INSERT INTO accounts (name, name_key, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id`,
		name, tandem.NameKey(name), tx.t(tx.Now)).Scan(&id)
	if err != nil {
		return 0, false, fmt.Errorf("add account %q: %w", name, err)
	}
	return id, true, nil
}

// UpsertAccount adds the account that in names, or changes it: in holds
// values by [tandem.AccountFields] name, and an empty value leaves a field
// as it is. A parent named that does not exist is added with only its name.
// It returns the account and tandem.StatusCreated, StatusUpdated or
// StatusUnchanged. Errors: EINVALID naming each bad field, a parent that
// would make a loop included.
func (db *DB) UpsertAccount(ctx context.Context, in map[string]string) (a tandem.Account, status string, err error) {
	defer wrap(&err, "upsert account %q", in["name"])
	err = db.transact(ctx, func(tx *Tx) error {
		a, status, _, err = tx.upsertAccount(ctx, in)
		return err
	})
	return a, status, err
}

// upsertAccount is [DB.UpsertAccount] in tx; parentCreated is the name of
// the parent it added, or "".
func (tx *Tx) upsertAccount(ctx context.Context, in map[string]string) (a tandem.Account, status, parentCreated string, err error) {
	var cur *tandem.Account
	if name := strings.TrimSpace(in["name"]); name != "" && tandem.CheckName(name) == nil {
		c, ok, err := tx.accountByName(ctx, name)
		if err != nil {
			return a, "", "", err
		}
		if ok {
			cur = &c
		}
	}
	a, changed, err := tandem.MergeAccount(cur, in, tx.Now)
	if err != nil {
		return a, "", "", err
	}
	if !changed {
		return a, tandem.StatusUnchanged, "", nil
	}
	if a.Parent != "" && (cur == nil || tandem.NameKey(a.Parent) != tandem.NameKey(cur.Parent)) {
		id, created, err := tx.accountID(ctx, a.Parent, "parent")
		if err != nil {
			return a, "", "", err
		}
		if created {
			parentCreated = a.Parent
		}
		a.ParentID = id
		if cur != nil {
			if err := tx.checkAccountLoop(ctx, cur.ID, id); err != nil {
				return a, "", "", err
			}
		}
	}
	a.UpdatedAt = tx.Now
	if cur == nil {
		a.CreatedAt = tx.Now
		err = tx.QueryRowContext(ctx, `INSERT INTO accounts (name, name_key, domain, sector, employees, revenue_cents, location, parent_id,
			year_established, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id`,
			a.Name, tandem.NameKey(a.Name), a.Domain, a.Sector, a.Employees, a.RevenueCents, a.Location, nullID(a.ParentID),
			a.YearEstablished, tx.t(tx.Now)).Scan(&a.ID)
		return a, tandem.StatusCreated, parentCreated, err
	}
	_, err = tx.ExecContext(ctx, `UPDATE accounts SET domain = $2, sector = $3, employees = $4, revenue_cents = $5, location = $6,
		parent_id = $7, year_established = $8, updated_at = $9 WHERE id = $1`,
		a.ID, a.Domain, a.Sector, a.Employees, a.RevenueCents, a.Location, nullID(a.ParentID), a.YearEstablished, tx.t(tx.Now))
	return a, tandem.StatusUpdated, parentCreated, err
}

// checkAccountLoop refuses parent as the parent of account id when parent
// is a subsidiary of it, directly or through others.
func (tx *Tx) checkAccountLoop(ctx context.Context, id, parent int64) error {
	chain := []int64{id}
	for cur := parent; cur != 0 && len(chain) < maxChain; {
		if cur == id {
			return tandem.Invalid(tandem.FieldError{Field: "parent", Message: "that would make a loop of parent companies: an account cannot be a subsidiary of its own subsidiary"})
		}
		chain = append(chain, cur)
		var next sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT parent_id FROM accounts WHERE id = $1`, cur).Scan(&next); err != nil {
			return fmt.Errorf("parent of account %d: %w", cur, err)
		}
		cur = next.Int64
	}
	return nil
}

// Introduced are the accounts and products an import created by name
// because a row named them (a deal's account or product, an account's
// parent) and no row of the file brought them: the import's summary lists
// each once.
type Introduced struct {
	Accounts, Products, Managers []string
}

// add records a name created by name, once.
func (in *Introduced) add(list *[]string, name string) {
	if !slices.ContainsFunc(*list, func(s string) bool { return tandem.NameKey(s) == tandem.NameKey(name) }) {
		*list = append(*list, name)
	}
}

// brought forgets a name that a row of the file brings as its own record.
func (in *Introduced) brought(list *[]string, name string) {
	*list = slices.DeleteFunc(*list, func(s string) bool { return tandem.NameKey(s) == tandem.NameKey(name) })
}

// Summary says what was created by name: "created 2 accounts: Acme,
// Globex; created 1 product: GTX Pro", at most ten names a kind; "" for
// nothing.
func (in *Introduced) Summary() string {
	if in == nil {
		return ""
	}
	var parts []string
	for _, k := range []struct {
		noun  string
		names []string
	}{{"account", in.Accounts}, {"product", in.Products}, {"manager", in.Managers}} {
		if len(k.names) == 0 {
			continue
		}
		noun := k.noun
		if len(k.names) != 1 {
			noun += "s"
		}
		shown := k.names[:min(10, len(k.names))]
		s := fmt.Sprintf("created %d %s: %s", len(k.names), noun, strings.Join(shown, ", "))
		if len(k.names) > len(shown) {
			s += fmt.Sprintf(" and %d more", len(k.names)-len(shown))
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// importCatalog stores a batch of accounts or products (kind), one
// savepoint a row, so that a bad row is rejected and the rest imports;
// what rows created by name goes to intro once the batch is committed.
func (db *DB) importCatalog(ctx context.Context, kind string, rows []map[string]string, dryRun bool, intro *Introduced) ([]IntakeResult, error) {
	var results []IntakeResult
	var local Introduced
	var brought []string
	err := db.transact(ctx, func(tx *Tx) error {
		results, local, brought = make([]IntakeResult, len(rows)), Introduced{}, nil
		for i, in := range rows {
			if _, err := tx.ExecContext(ctx, `SAVEPOINT catalog_row`); err != nil {
				return err
			}
			var id int64
			var status, created string
			var err error
			if kind == "accounts" {
				var a tandem.Account
				a, status, created, err = tx.upsertAccount(ctx, in)
				id = a.ID
			} else {
				var p tandem.Product
				p, status, err = tx.upsertProduct(ctx, in)
				id = p.ID
			}
			if code := tandem.ErrorCode(err); code == tandem.EINTERNAL {
				return err
			} else if err != nil {
				if _, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT catalog_row`); err != nil {
					return err
				}
				results[i] = IntakeResult{Status: tandem.StatusRejected, Err: err}
				continue
			}
			if _, err := tx.ExecContext(ctx, `RELEASE SAVEPOINT catalog_row`); err != nil {
				return err
			}
			results[i] = IntakeResult{ID: id, Status: status}
			if dryRun && status == tandem.StatusCreated {
				results[i].ID = 0
			}
			list := &local.Accounts
			if kind == "products" {
				list = &local.Products
			}
			local.brought(list, in["name"])
			brought = append(brought, in["name"])
			if created != "" {
				local.add(list, created)
			}
		}
		if dryRun {
			return errRollback
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if intro != nil {
		list := &intro.Accounts
		if kind == "products" {
			list = &intro.Products
		}
		for _, name := range brought {
			intro.brought(list, name)
		}
		intro.merge(local)
	}
	return results, nil
}

// merge adds what one batch created by name and forgets what it brought.
func (in *Introduced) merge(batch Introduced) {
	if in == nil {
		return
	}
	for _, n := range batch.Accounts {
		in.add(&in.Accounts, n)
	}
	for _, n := range batch.Products {
		in.add(&in.Products, n)
	}
}

// Deal dimensions of accounts and products, for [DB.DealsBy].
const (
	ByAccount = "account"
	BySector  = "account_sector"
	ByProduct = "product"
	BySeries  = "product_series"
)

// DealGroup is what the deals of one account, sector, product or series
// came to (docs/accounts.md defines each figure).
type DealGroup struct {
	// Key is the account's or product's name, the sector or the series; ""
	// for the deals that have none.
	Key string `json:"key"`
	// Deals counts the group's deals, open and closed.
	Deals int `json:"deals"`
	Open  int `json:"open"`
	Won   int `json:"won"`
	Lost  int `json:"lost"`
	// WonCents sums the amounts of the won deals.
	WonCents int64 `json:"won_cents"`
	// Leads counts the leads that belong to the account (by account only).
	Leads int `json:"leads,omitempty"`
}

// DealsBy groups every deal by its account, its account's sector, its
// product or its product's series (by: ByAccount, BySector, ByProduct,
// BySeries), in key order: the dimensions a report of deals cuts by.
// EINVALID for another by.
func (db *DB) DealsBy(ctx context.Context, by string) (gs []DealGroup, err error) {
	defer wrap(&err, "deals by %s", by)
	var key, join string
	switch by {
	case ByAccount:
		key, join = "a.name", "LEFT JOIN accounts a ON a.id = d.account_id"
	case BySector:
		key, join = "a.sector", "LEFT JOIN accounts a ON a.id = d.account_id"
	case ByProduct:
		key, join = "p.name", "LEFT JOIN products p ON p.id = d.product_id"
	case BySeries:
		key, join = "p.series", "LEFT JOIN products p ON p.id = d.product_id"
	default:
		return nil, tandem.Invalid(tandem.FieldError{Field: "by", Message: fmt.Sprintf("%q is not a dimension of accounts or products (want %s, %s, %s or %s)",
			by, ByAccount, BySector, ByProduct, BySeries)})
	}
	err = db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT coalesce(`+key+`, '') AS k, count(*),
			sum(CASE WHEN d.stage = 'won' THEN 1 ELSE 0 END), sum(CASE WHEN d.stage = 'lost' THEN 1 ELSE 0 END),
			coalesce(sum(CASE WHEN d.stage = 'won' THEN d.amount_cents ELSE 0 END), 0)
			FROM deals d `+join+` GROUP BY coalesce(`+key+`, '')`)
		if err != nil {
			return err
		}
		defer rows.Close()
		gs = []DealGroup{}
		for rows.Next() {
			var g DealGroup
			if err := rows.Scan(&g.Key, &g.Deals, &g.Won, &g.Lost, &g.WonCents); err != nil {
				return err
			}
			g.Open = g.Deals - g.Won - g.Lost
			gs = append(gs, g)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if by == ByAccount {
			leads := map[string]int{}
			rows, err := tx.QueryContext(ctx, `SELECT a.name, count(*) FROM leads l JOIN accounts a ON a.id = l.account_id GROUP BY a.name`)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var name string
				var n int
				if err := rows.Scan(&name, &n); err != nil {
					return err
				}
				leads[name] = n
			}
			for i := range gs {
				gs[i].Leads = leads[gs[i].Key]
			}
		}
		return nil
	})
	slices.SortFunc(gs, func(a, b DealGroup) int { return strings.Compare(a.Key, b.Key) })
	return gs, err
}
