package sqldb

import (
	"context"
	"fmt"
	"strconv"
	"strings"

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

// AccountNamed returns the account named name, as [tandem.NameKey]
// compares names, or ENOTFOUND.
func (db *DB) AccountNamed(ctx context.Context, name string) (a tandem.Account, err error) {
	defer wrap(&err, "account %q", name)
	err = db.view(ctx, func(tx *Tx) error {
		var ok bool
		if a, ok, err = tx.accountByName(ctx, name); err == nil && !ok {
			err = tandem.Errorf(tandem.ENOTFOUND, "no account is named %q", name)
		}
		return err
	})
	return a, err
}

// AccountChoices returns the ids and names of the first limit accounts by
// name, for a filter's list, and whether there are more.
func (db *DB) AccountChoices(ctx context.Context, limit int) (as []tandem.Account, more bool, err error) {
	defer wrap(&err, "account choices")
	err = db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, name FROM accounts ORDER BY name_key LIMIT $1`, limit+1)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var a tandem.Account
			if err := rows.Scan(&a.ID, &a.Name); err != nil {
				return err
			}
			as = append(as, a)
		}
		return rows.Err()
	})
	if len(as) > limit {
		as, more = as[:limit], true
	}
	return as, more, err
}

// AccountRow is one account of the accounts page, with its figures: its
// leads, its deals by outcome, and its revenue (the sum of its won deals'
// amounts), counting every lead and deal of it.
type AccountRow struct {
	tandem.Account
	Leads           int
	Open, Won, Lost int
	RevenueCents    int64
}

// AccountList returns a page of the accounts by name, after the account
// whose name is after ("" for the first page), at most limit (1 to 500),
// with their figures, and the name to pass as after for the next page
// ("" at the end).
func (db *DB) AccountList(ctx context.Context, after string, limit int) (rows []AccountRow, next string, err error) {
	defer wrap(&err, "list accounts")
	if limit < 1 || limit > 500 {
		return nil, "", tandem.Invalid(tandem.FieldError{Field: "limit", Message: "must be a whole number between 1 and 500"})
	}
	err = db.view(ctx, func(tx *Tx) error {
		rs, err := tx.QueryContext(ctx, accountSelect+` WHERE a.name_key > $1 ORDER BY a.name_key LIMIT $2`, tandem.NameKey(after), limit+1)
		if err != nil {
			return err
		}
		for rs.Next() {
			a, err := scanAccount(rs)
			if err != nil {
				rs.Close()
				return err
			}
			rows = append(rows, AccountRow{Account: a})
		}
		if err := rs.Close(); err != nil {
			return err
		}
		if len(rows) > limit {
			rows = rows[:limit]
			next = rows[limit-1].Name
		}
		if len(rows) == 0 {
			return nil
		}
		at := map[int64]*AccountRow{}
		ph := make([]string, len(rows))
		args := make([]any, len(rows))
		for i := range rows {
			at[rows[i].ID] = &rows[i]
			ph[i], args[i] = "$"+strconv.Itoa(i+1), rows[i].ID
		}
		in := strings.Join(ph, ", ")
		sums, err := tx.QueryContext(ctx, `SELECT account_id, stage, count(*), coalesce(sum(amount_cents), 0) FROM deals
			WHERE account_id IN (`+in+`) GROUP BY account_id, stage`, args...)
		if err != nil {
			return fmt.Errorf("sum the accounts' deals: %w", err)
		}
		for sums.Next() {
			var id int64
			var stage string
			var n int
			var cents int64
			if err := sums.Scan(&id, &stage, &n, &cents); err != nil {
				sums.Close()
				return err
			}
			r := at[id]
			switch stage {
			case tandem.DealOpen:
				r.Open = n
			case tandem.DealWon:
				r.Won, r.RevenueCents = n, cents
			case tandem.DealLost:
				r.Lost = n
			}
		}
		if err := sums.Close(); err != nil {
			return err
		}
		leads, err := tx.QueryContext(ctx, `SELECT account_id, count(*) FROM leads WHERE account_id IN (`+in+`) GROUP BY account_id`, args...)
		if err != nil {
			return fmt.Errorf("count the accounts' leads: %w", err)
		}
		defer leads.Close()
		for leads.Next() {
			var id int64
			var n int
			if err := leads.Scan(&id, &n); err != nil {
				return err
			}
			at[id].Leads = n
		}
		return leads.Err()
	})
	return rows, next, err
}
