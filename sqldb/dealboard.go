package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/access"
	"github.com/tandemhq/tandem/calendar"
	"github.com/tandemhq/tandem/sla"
)

// The deals board and the deal page (docs/deals.md, "The board"), and the
// read rule of deals: a caller reads a deal when the lead rule
// ([access.CanRead]) lets them read its lead, the deal's owner counting as
// one who held the lead. The rule is access's; this file turns it into
// queries.

// dealScopeCond turns a read scope into a condition on the deals table
// named deal ("deals", or an alias), with its arguments numbered from $n:
// the deals whose lead the scope holds, or whose owner is one of the
// scope's users. It mirrors [access.Scope.Allows] over the facts
// [Tx.dealFacts] gathers.
func dealScopeCond(sc access.Scope, n int, deal string) (string, []any) {
	if sc.All {
		return "TRUE", nil
	}
	// The lead's owner is the deal's copy of it (lead_owner_id, kept by
	// migration 00030's triggers): testing it costs no lookup of the lead.
	var parts []string
	var args []any
	if len(sc.Users) > 0 {
		ph := make([]string, len(sc.Users))
		for i, id := range sc.Users {
			ph[i] = "$" + strconv.Itoa(n+i)
			args = append(args, id)
		}
		in := strings.Join(ph, ", ")
		parts = append(parts, deal+".owner_id IN ("+in+")", deal+".lead_owner_id IN ("+in+")")
		if sc.Unassigned {
			parts = append(parts, deal+".lead_owner_id = 0")
		}
		// The leads once handed to them, gathered once (handoffs_owner_lead)
		// rather than probed for each deal.
		parts = append(parts, deal+".lead_id IN (SELECT h.lead_id FROM handoffs h WHERE h.owner_id IN ("+in+"))")
	} else if sc.Unassigned {
		parts = append(parts, deal+".lead_owner_id = 0")
	}
	if len(parts) == 0 {
		return "FALSE", nil
	}
	return "(" + strings.Join(parts, " OR ") + ")", args
}

// dealFacts returns what the lead rule needs to decide on the deal: its
// lead's facts ([Tx.leadFacts]), the deal's owner among those who held it.
func (tx *Tx) dealFacts(ctx context.Context, d tandem.Deal) (access.Lead, error) {
	l, err := tx.lead(ctx, d.LeadID, false)
	if err != nil {
		return access.Lead{}, err
	}
	f, err := tx.leadFacts(ctx, l)
	if err == nil && d.OwnerID != 0 {
		f.PastOwners = append(f.PastOwners, d.OwnerID)
	}
	return f, err
}

// mayReadDeal applies the deals' read rule: nil, or EFORBIDDEN naming the
// deal, its lead and the lead's owner.
func (tx *Tx) mayReadDeal(ctx context.Context, tok tandem.Token, d tandem.Deal) error {
	c, err := tx.caller(ctx, tok)
	if err != nil || c.ReadScope().All {
		return err
	}
	f, err := tx.dealFacts(ctx, d)
	if err != nil {
		return err
	}
	if err := access.CanRead(c, f); err != nil {
		return tandem.Errorf(tandem.EFORBIDDEN, "deal %d is not yours: %s", d.ID, tandem.ErrorMessage(err))
	}
	return nil
}

// DealDetail is a deal with the ids of its account and product in the
// catalogue (0 for none), for the deal page's links.
type DealDetail struct {
	tandem.Deal
	AccountID int64
	ProductID int64
}

// DealFor returns the deal with the id if the caller may read it (see the
// deals' read rule above): ENOTFOUND for no such deal, EFORBIDDEN naming
// the deal and its lead's owner for a deal that is not theirs.
func (db *DB) DealFor(ctx context.Context, id int64, tok tandem.Token) (d DealDetail, err error) {
	defer wrap(&err, "deal %d", id)
	err = db.view(ctx, func(tx *Tx) error {
		if d.Deal, err = tx.deal(ctx, id, false); err != nil {
			return err
		}
		var account, product sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT account_id, product_id FROM deals WHERE id = $1`, id).Scan(&account, &product); err != nil {
			return err
		}
		d.AccountID, d.ProductID = account.Int64, product.Int64
		return tx.mayReadDeal(ctx, tok, d.Deal)
	})
	return d, err
}

// DealsFor is [DB.Deals] for a caller: only the deals they may read match,
// and the total counts only those.
func (db *DB) DealsFor(ctx context.Context, f tandem.DealFilter, tok tandem.Token) (tandem.DealPage, error) {
	return db.deals(ctx, f, &tok)
}

// BoardFilter narrows the deals board. The zero filter is every deal the
// caller may read, with this month's won and lost ones.
type BoardFilter struct {
	// OwnerIDs keeps the deals of any of these owners, Teams those whose
	// owner is in any of these teams, ProductIDs those of any of these
	// products; none keeps every deal. Each has at most
	// tandem.MaxFilterValues values.
	OwnerIDs   []int64
	Teams      []string
	ProductIDs []int64
	AccountID  int64
	// Closed is the period whose won and lost deals the won and lost
	// columns show, as [calendar.ParsePeriod] reads it (2026-11, 2026-Q4,
	// 2026) in the agreement's zone; "" is the current month. Open deals
	// have no close date: it leaves them alone.
	Closed string
	// Cards is how many deals each column lists; 0 means 25, at most 200.
	Cards int
}

// BoardDeal is a deal as a card of the board shows it.
type BoardDeal struct {
	ID          int64
	LeadID      int64
	Lead        string // the lead's name, or email
	Company     string
	OwnerID     int64
	Owner       string // the owner as pages name people (tandem.User.Label): their name, else their email; "" for none
	AmountCents int64
	Account     string
	Product     string
	// StageChangedAt is when the deal entered its column: its time in
	// stage runs from there.
	StageChangedAt time.Time
	LostReason     string
}

// BoardColumn is one column of the board: an open stage of the pipeline
// (in the pipeline's order), then won, then lost.
type BoardColumn struct {
	Stage      string
	Open       bool // an open stage; false for won and lost
	Definition string
	// Probability is the stage's agreed probability; nil when the
	// agreement gives none, and for won and lost.
	Probability *float64
	// Retired marks an open stage the pipeline in force no longer has,
	// which open deals are still in.
	Retired bool
	// Deals and AmountCents count and sum the column's deals.
	Deals       int
	AmountCents int64
	// WeightedCents is the stage's weighted pipeline ([sla.DealStages.Weighted]);
	// nil without a probability.
	WeightedCents *int64
	// Cards are the column's largest deals (won and lost: the latest
	// closed), at most BoardFilter.Cards of them.
	Cards []BoardDeal
}

// Board is the deals board (docs/deals.md, "The board").
type Board struct {
	Columns []BoardColumn
	// Period is the period of the won and lost columns.
	Period calendar.Period
	// OpenDeals and OpenCents count and sum the open deals; WeightedCents
	// is the weighted pipeline of the stages that have a probability, and
	// Unweighted counts the open deals in stages without one.
	OpenDeals     int
	OpenCents     int64
	WeightedCents int64
	Unweighted    int
}

// MaxBoardCards bounds BoardFilter.Cards.
const MaxBoardCards = 200

// DealBoard returns the deals board as the caller may read it: each open
// stage of the agreement's pipeline with its deals' count, amount and
// weighted amount and its largest deals, then the deals won and lost in
// the filter's period. EINVALID naming the field for a bad filter.
func (db *DB) DealBoard(ctx context.Context, tok tandem.Token, f BoardFilter) (b Board, err error) {
	defer wrap(&err, "deals board")
	cards := f.Cards
	switch {
	case cards == 0:
		cards = 25
	case cards < 0 || cards > MaxBoardCards:
		return b, tandem.Invalid(tandem.FieldError{Field: "cards", Message: fmt.Sprintf("must be between 1 and %d", MaxBoardCards)})
	}
	for field, n := range map[string]int{"owner": len(f.OwnerIDs), "team": len(f.Teams), "product": len(f.ProductIDs)} {
		if n > tandem.MaxFilterValues {
			return b, tandem.Invalid(tandem.FieldError{Field: field, Message: fmt.Sprintf("has %d values; a filter takes at most %d", n, tandem.MaxFilterValues)})
		}
	}
	err = db.view(ctx, func(tx *Tx) error {
		loc, err := tx.zone(ctx)
		if err != nil {
			return err
		}
		if f.Closed == "" {
			b.Period = calendar.MonthOf(tx.Now, loc)
		} else if b.Period, err = calendar.ParsePeriod(f.Closed, loc); err != nil {
			return tandem.Invalid(tandem.FieldError{Field: "closed", Message: tandem.ErrorFields(err)[0].Message})
		}
		a, err := tx.agreementNow(ctx)
		if err != nil {
			return err
		}
		st := sla.NewDealStages(a)
		c, err := tx.caller(ctx, tok)
		if err != nil {
			return err
		}
		var where []string
		var args []any
		arg := func(v any) string {
			args = append(args, v)
			return "$" + strconv.Itoa(len(args))
		}
		in := func(vs []any) string {
			ph := make([]string, len(vs))
			for i, v := range vs {
				ph[i] = arg(v)
			}
			return "(" + strings.Join(ph, ", ") + ")"
		}
		if len(f.OwnerIDs) > 0 {
			where = append(where, "d.owner_id IN "+in(anys(f.OwnerIDs)))
		}
		if len(f.Teams) > 0 {
			where = append(where, "d.owner_id IN (SELECT id FROM users WHERE team IN "+in(anys(f.Teams))+")")
		}
		if len(f.ProductIDs) > 0 {
			where = append(where, "d.product_id IN "+in(anys(f.ProductIDs)))
		}
		if f.AccountID != 0 {
			where = append(where, "d.account_id = "+arg(f.AccountID))
		}
		scope, sargs := dealScopeCond(c.ReadScope(), len(args)+1, "d")
		where = append(where, scope)
		args = append(args, sargs...)
		cond := strings.Join(where, " AND ")

		// The open stages: the pipeline's, in order, then any stage open
		// deals are still in that the pipeline no longer has.
		sums, err := tx.boardSums(ctx, `d.stage = 'open' AND `+cond, "d.pipeline_stage", args)
		if err != nil {
			return err
		}
		for _, s := range a.Pipeline.Stages {
			b.Columns = append(b.Columns, BoardColumn{Stage: s.Name, Open: true, Definition: s.Definition, Probability: s.Probability})
		}
		var retired []string
		for name := range sums {
			if !slices.Contains(st.Open, name) {
				retired = append(retired, name)
			}
		}
		slices.Sort(retired)
		for _, name := range retired {
			b.Columns = append(b.Columns, BoardColumn{Stage: name, Open: true, Retired: true,
				Definition: "A stage the pipeline in force no longer has: move these deals to one of its stages."})
		}
		b.Columns = append(b.Columns, BoardColumn{Stage: tandem.DealWon, Definition: a.Pipeline.Won},
			BoardColumn{Stage: tandem.DealLost, Definition: a.Pipeline.Lost})
		n := len(args)
		period := append(slices.Clone(args), tx.t(b.Period.From), tx.t(b.Period.To))
		closed, err := tx.boardSums(ctx, fmt.Sprintf(`d.closed_at >= $%d AND d.closed_at < $%d AND d.stage IN ('won', 'lost') AND %s`, n+1, n+2, cond),
			"d.stage", period)
		if err != nil {
			return err
		}
		for i := range b.Columns {
			col := &b.Columns[i]
			var q string
			var qargs []any
			if col.Open {
				s := sums[col.Stage]
				col.Deals, col.AmountCents = s.deals, s.cents
				if w, ok := st.Weighted(col.Stage, s.cents); ok && !col.Retired {
					col.WeightedCents = &w
					b.WeightedCents += w
				} else {
					b.Unweighted += s.deals
				}
				b.OpenDeals += s.deals
				b.OpenCents += s.cents
				q = fmt.Sprintf(`d.stage = 'open' AND d.pipeline_stage = $%d AND %s ORDER BY d.amount_cents DESC, d.id DESC LIMIT $%d`, n+1, cond, n+2)
				qargs = append(slices.Clone(args), col.Stage, cards)
			} else {
				s := closed[col.Stage]
				col.Deals, col.AmountCents = s.deals, s.cents
				q = fmt.Sprintf(`d.closed_at >= $%d AND d.closed_at < $%d AND d.stage = $%d AND %s ORDER BY d.closed_at DESC, d.id DESC LIMIT $%d`,
					n+1, n+2, n+3, cond, n+4)
				qargs = append(slices.Clone(period), col.Stage, cards)
			}
			if col.Deals == 0 {
				continue
			}
			if col.Cards, err = tx.boardCards(ctx, q, qargs); err != nil {
				return err
			}
		}
		return tx.nameCards(ctx, b.Columns)
	})
	return b, err
}

type boardSum struct {
	deals int
	cents int64
}

// boardSums counts and sums the deals d that match cond, by key.
func (tx *Tx) boardSums(ctx context.Context, cond, key string, args []any) (map[string]boardSum, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+key+`, count(*), coalesce(sum(d.amount_cents), 0) FROM deals d WHERE `+cond+` GROUP BY `+key, args...)
	if err != nil {
		return nil, fmt.Errorf("sum the board's deals: %w", err)
	}
	defer rows.Close()
	out := map[string]boardSum{}
	for rows.Next() {
		var k string
		var s boardSum
		if err := rows.Scan(&k, &s.deals, &s.cents); err != nil {
			return nil, err
		}
		out[k] = s
	}
	return out, rows.Err()
}

// boardCards reads the cards of one column: the deals d that match cond.
func (tx *Tx) boardCards(ctx context.Context, cond string, args []any) ([]BoardDeal, error) {
	rows, err := tx.QueryContext(ctx, `SELECT d.id, d.lead_id, d.owner_id, d.amount_cents, d.account, d.product, d.stage_changed_at, d.lost_reason
		FROM deals d WHERE `+cond, args...)
	if err != nil {
		return nil, fmt.Errorf("read the board's cards: %w", err)
	}
	defer rows.Close()
	var out []BoardDeal
	for rows.Next() {
		var c BoardDeal
		var owner sql.NullInt64
		if err := rows.Scan(&c.ID, &c.LeadID, &owner, &c.AmountCents, &c.Account, &c.Product, scanTime{&c.StageChangedAt}, &c.LostReason); err != nil {
			return nil, err
		}
		c.OwnerID = owner.Int64
		out = append(out, c)
	}
	return out, rows.Err()
}

// nameCards fills in the names of the cards' leads and owners.
func (tx *Tx) nameCards(ctx context.Context, cols []BoardColumn) error {
	var ids []int64
	for _, col := range cols {
		for _, c := range col.Cards {
			ids = append(ids, c.LeadID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	type name struct{ lead, company string }
	names := map[int64]name{}
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), 500)]
		ids = ids[len(chunk):]
		ph := make([]string, len(chunk))
		args := make([]any, len(chunk))
		for i, id := range chunk {
			ph[i], args[i] = "$"+strconv.Itoa(i+1), id
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, first_name, last_name, email, company FROM leads WHERE id IN (`+strings.Join(ph, ", ")+`)`, args...)
		if err != nil {
			return fmt.Errorf("name the board's leads: %w", err)
		}
		for rows.Next() {
			var id int64
			var first, last, email, company string
			if err := rows.Scan(&id, &first, &last, &email, &company); err != nil {
				rows.Close()
				return err
			}
			n := strings.TrimSpace(first + " " + last)
			if n == "" {
				n = email
			}
			if n == "" {
				n = fmt.Sprintf("Lead %d", id)
			}
			names[id] = name{n, company}
		}
		if err := rows.Close(); err != nil {
			return err
		}
	}
	for i := range cols {
		for j := range cols[i].Cards {
			c := &cols[i].Cards[j]
			c.Lead, c.Company = names[c.LeadID].lead, names[c.LeadID].company
			if c.OwnerID != 0 {
				u, err := tx.cachedUser(ctx, c.OwnerID)
				if err != nil {
					return err
				}
				c.Owner = u.Label()
			}
		}
	}
	return nil
}

// anys returns the values as arguments of a query.
func anys[T any](vs []T) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = v
	}
	return out
}
