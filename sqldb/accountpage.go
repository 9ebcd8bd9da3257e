package sqldb

import (
	"context"
	"fmt"
	"strconv"

	"github.com/tandemhq/tandem"
)

// AccountView is what the account page shows (docs/web.md, "Accounts and
// products"): the account, the leads and deals that belong to it which the
// caller may read (the lead rule and the deals' read rule), and the
// account's figures, which count every deal of the account whoever owns
// it: they are the company's, not a person's.
type AccountView struct {
	Account tandem.Account
	// Leads are the newest of the account's leads the caller may read, at
	// most AccountListLimit; LeadsTotal counts all of those.
	Leads      []tandem.Lead
	LeadsTotal int
	// Deals are the newest of the account's deals the caller may read, at
	// most AccountListLimit; DealsTotal counts all of those.
	Deals      []tandem.Deal
	DealsTotal int
	// The account's deals, open, won and lost, and the sum of the amounts
	// of the won ones (its revenue) and of the open ones.
	Open, Won, Lost int
	RevenueCents    int64
	OpenCents       int64
}

// AccountListLimit bounds the leads and the deals an account page lists.
const AccountListLimit = 100

// AccountFor returns the account page's data for the caller: ENOTFOUND for
// no such account.
func (db *DB) AccountFor(ctx context.Context, id int64, tok tandem.Token) (v AccountView, err error) {
	defer wrap(&err, "account %d", id)
	if v.Account, err = db.Account(ctx, id); err != nil {
		return v, err
	}
	err = db.view(ctx, func(tx *Tx) error {
		c, err := tx.caller(ctx, tok)
		if err != nil {
			return err
		}
		sc := c.ReadScope()
		lcond, largs := scopeCond(sc, 2)
		largs = append([]any{id}, largs...)
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM leads WHERE account_id = $1 AND `+lcond, largs...).Scan(&v.LeadsTotal); err != nil {
			return fmt.Errorf("count the account's leads: %w", err)
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+leadColumns+` FROM leads WHERE account_id = $1 AND `+lcond+
			` ORDER BY id DESC LIMIT `+strconv.Itoa(AccountListLimit), largs...)
		if err != nil {
			return fmt.Errorf("read the account's leads: %w", err)
		}
		for rows.Next() {
			l, err := scanLead(rows)
			if err != nil {
				rows.Close()
				return err
			}
			v.Leads = append(v.Leads, l)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		dcond, dargs := dealScopeCond(sc, 2, "deals")
		dargs = append([]any{id}, dargs...)
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM deals WHERE account_id = $1 AND `+dcond, dargs...).Scan(&v.DealsTotal); err != nil {
			return fmt.Errorf("count the account's deals: %w", err)
		}
		rows, err = tx.QueryContext(ctx, `SELECT `+dealColumns+` FROM deals WHERE account_id = $1 AND `+dcond+
			` ORDER BY id DESC LIMIT `+strconv.Itoa(AccountListLimit), dargs...)
		if err != nil {
			return fmt.Errorf("read the account's deals: %w", err)
		}
		for rows.Next() {
			d, err := scanDeal(rows)
			if err != nil {
				rows.Close()
				return err
			}
			v.Deals = append(v.Deals, d)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		sums, err := tx.QueryContext(ctx, `SELECT stage, count(*), coalesce(sum(amount_cents), 0) FROM deals WHERE account_id = $1 GROUP BY stage`, id)
		if err != nil {
			return fmt.Errorf("sum the account's deals: %w", err)
		}
		defer sums.Close()
		for sums.Next() {
			var stage string
			var n int
			var cents int64
			if err := sums.Scan(&stage, &n, &cents); err != nil {
				return err
			}
			switch stage {
			case tandem.DealOpen:
				v.Open, v.OpenCents = n, cents
			case tandem.DealWon:
				v.Won, v.RevenueCents = n, cents
			case tandem.DealLost:
				v.Lost = n
			}
		}
		return sums.Err()
	})
	return v, err
}

// ProductView is one product of the catalogue page, with its deals.
type ProductView struct {
	tandem.Product
	Open, Won, Lost int
	// RevenueCents sums the amounts of its won deals.
	RevenueCents int64
}

// Catalogue returns every product, by name, with the count of its deals
// by outcome and its revenue (won amounts): the products page.
func (db *DB) Catalogue(ctx context.Context) (ps []ProductView, err error) {
	defer wrap(&err, "the product catalogue")
	products, err := db.Products(ctx)
	if err != nil {
		return nil, err
	}
	type sums struct {
		open, won, lost int
		cents           int64
	}
	by := map[int64]*sums{}
	err = db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT product_id, stage, count(*), coalesce(sum(amount_cents), 0) FROM deals
			WHERE product_id IS NOT NULL GROUP BY product_id, stage`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var stage string
			var n int
			var cents int64
			if err := rows.Scan(&id, &stage, &n, &cents); err != nil {
				return err
			}
			s := by[id]
			if s == nil {
				s = &sums{}
				by[id] = s
			}
			switch stage {
			case tandem.DealOpen:
				s.open = n
			case tandem.DealWon:
				s.won, s.cents = n, cents
			case tandem.DealLost:
				s.lost = n
			}
		}
		return rows.Err()
	})
	ps = make([]ProductView, len(products))
	for i, p := range products {
		ps[i] = ProductView{Product: p}
		if s := by[p.ID]; s != nil {
			ps[i].Open, ps[i].Won, ps[i].Lost, ps[i].RevenueCents = s.open, s.won, s.lost, s.cents
		}
	}
	return ps, err
}
