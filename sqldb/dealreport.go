package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem/dealreport"
)

// DealReportQuery selects the deals of a deals report: those opened or
// closed in [From, To), with their values of the dimensions By.
type DealReportQuery struct {
	From, To time.Time
	// By are dealreport dimensions, checked by dealreport.CheckDims.
	By []string
}

// dealDims says how the deals report reads each dimension that is a
// deal's attribute: an SQL expression over the deal (d) and, for the
// people, a column the users map resolves. The lead's source, origin,
// segment and campaign are the deal's copies of them (migration 00030),
// so that no deal costs a lookup of its lead. Product and account are the catalogue's names of the deal's
// product and account (docs/accounts.md), else the names the deal was
// imported with; series and sector are the catalogue's, empty for a deal
// without a product or account. Month and quarter are the report's to
// compute from the dates.
var dealDims = map[string]struct {
	expr string
	user bool // expr is a user id, resolved by userDim
}{
	dealreport.Owner:         {expr: "d.owner_id", user: true},
	dealreport.Team:          {expr: "d.owner_id", user: true},
	dealreport.Manager:       {expr: "d.owner_id", user: true},
	dealreport.Product:       {expr: "coalesce((SELECT p.name FROM products p WHERE p.id = d.product_id), d.product)"},
	dealreport.ProductSeries: {expr: "coalesce((SELECT p.series FROM products p WHERE p.id = d.product_id), '')"},
	dealreport.Account:       {expr: "coalesce((SELECT a.name FROM accounts a WHERE a.id = d.account_id), d.account)"},
	dealreport.AccountSector: {expr: "coalesce((SELECT a.sector FROM accounts a WHERE a.id = d.account_id), '')"},
	dealreport.Source:        {expr: "coalesce(d.lead_source, '')"},
	dealreport.Origin:        {expr: "coalesce(d.lead_origin, '')"},
	dealreport.Segment:       {expr: "coalesce(d.lead_segment, '')"},
	dealreport.Campaign:      {expr: "coalesce(d.lead_campaign, '')"},
	// The agreement version of the lead's first hand-off (handoffs_lead
	// index, which holds the version: migration 00032), whose hand-off
	// stage Go reads; NULL for a lead never handed off.
	dealreport.HandoffStage: {expr: "(SELECT h.agreement_version FROM handoffs h WHERE h.lead_id = d.lead_id ORDER BY h.id LIMIT 1)"},
	dealreport.Month:        {expr: "''"},
	dealreport.Quarter:      {expr: "''"},
}

// DealReportRows returns the deals opened or closed in [q.From, q.To), each
// once, with what the deals report needs (see dealreport.Deal): stage
// (won, lost, or an open deal's pipeline stage), amount, dates, and the deal's value of each dimension of q.By. People
// are named by their name, or their email when they have none; the lead
// stage at hand-off is the hand-off stage of the agreement version under
// which the lead's first hand-off started, "" for a lead never handed off
// (sales-sourced, or brought in past the hand-off stage). EINVALID for a
// bad dimension.
func (db *DB) DealReportRows(ctx context.Context, q DealReportQuery) (deals []dealreport.Deal, err error) {
	err = db.EachDealReportRow(ctx, q, func(d *dealreport.Deal) error {
		deals = append(deals, *d)
		return nil
	})
	return deals, err
}

// EachDealReportRow calls fn with each deal [DB.DealReportRows] returns,
// one at a time (d is reused: fn must copy what it keeps), so that a
// report over a million deals need not hold them all; an error of fn
// stops it and is returned.
func (db *DB) EachDealReportRow(ctx context.Context, q DealReportQuery, fn func(d *dealreport.Deal) error) (err error) {
	defer wrap(&err, "deals report rows")
	if err := dealreport.CheckDims(q.By); err != nil {
		return err
	}
	// An open deal's stage is its pipeline stage ('open' for a deal that
	// has none).
	stage := "CASE WHEN d.stage = 'open' THEN COALESCE(NULLIF(d.pipeline_stage, ''), 'open') ELSE d.stage END"
	cols := []string{stage, "d.amount_cents", "d.created_at", "d.engaged_at", "d.closed_at"}
	// SQLite's driver costs as much per column as SQLite per row: the
	// deal's own five are read there as one text (see packedDeal).
	packed := db.d.name() == "sqlite"
	if packed {
		cols = []string{packedDeal(stage)}
	}
	const from = "deals d"
	needUsers := false
	for _, dim := range q.By {
		spec := dealDims[dim]
		cols = append(cols, spec.expr)
		needUsers = needUsers || spec.user
	}
	sel := `SELECT ` + strings.Join(cols, ", ") + ` FROM ` + from
	// Each deal once: opened in the period, or closed in it and opened
	// outside it. Each half reads one index.
	query := sel + ` WHERE d.created_at >= $1 AND d.created_at < $2 UNION ALL ` +
		sel + ` WHERE d.closed_at >= $1 AND d.closed_at < $2 AND (d.created_at < $1 OR d.created_at >= $2)`
	err = db.view(ctx, func(tx *Tx) error {
		// The lookups per deal (product, account, hand-off) make
		// PostgreSQL's estimate of the query high enough to compile it with
		// JIT, about 120 ms of a report that reads its rows by index; it
		// never pays that back here. The reports' settings turn it off.
		if err := tx.reportSettings(ctx); err != nil {
			return err
		}
		var users map[int64]reportUser
		if needUsers {
			var err error
			if users, err = tx.reportUsers(ctx); err != nil {
				return err
			}
		}
		stages := map[int64]string{} // agreement version: its hand-off stage
		rows, err := tx.QueryContext(ctx, query, db.d.timeArg(q.From), db.d.timeArg(q.To))
		if err != nil {
			return err
		}
		defer rows.Close()
		// A person or an agreement version is an id; the rest is text.
		vals := make([]sql.NullString, len(q.By))
		ids := make([]sql.NullInt64, len(q.By))
		var d dealreport.Deal
		var pack string
		dest := []any{&d.Stage, &d.AmountCents, scanTime{&d.OpenedAt}, scanTime{&d.EngagedAt}, scanTime{&d.ClosedAt}}
		if packed {
			dest = []any{&pack}
		}
		for i, dim := range q.By {
			if dealDims[dim].user || dim == dealreport.HandoffStage {
				dest = append(dest, &ids[i])
			} else {
				dest = append(dest, &vals[i])
			}
		}
		for rows.Next() {
			d = dealreport.Deal{}
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			if packed {
				if err := unpackDeal(pack, &d); err != nil {
					return err
				}
			}
			for i, dim := range q.By {
				v := vals[i].String
				switch {
				case dealDims[dim].user:
					v = users[ids[i].Int64].value(dim, users)
				case dim == dealreport.HandoffStage && ids[i].Valid:
					n := ids[i].Int64
					s, ok := stages[n]
					if !ok {
						if s, err = tx.handoffStage(ctx, n); err != nil {
							return err
						}
						stages[n] = s
					}
					v = s
				}
				d.Values[i] = v
			}
			if err := fn(&d); err != nil {
				return err
			}
		}
		return rows.Err()
	})
	return err
}

// packedDeal is an SQLite expression of a deal's created, engaged and
// closed times, fixed-width (sqliteTimeLayout; spaces for none), then its
// amount, "|" and stage, which unpackDeal reads.
func packedDeal(stage string) string {
	none := "'" + strings.Repeat(" ", len(sqliteTimeLayout)) + "'"
	return "coalesce(d.created_at, " + none + ") || coalesce(d.engaged_at, " + none + ") || coalesce(d.closed_at, " + none + ") || " +
		"d.amount_cents || '|' || " + stage
}

// unpackDeal reads a deal of packedDeal into d.
func unpackDeal(s string, d *dealreport.Deal) error {
	w := len(sqliteTimeLayout)
	amount, stage, ok := strings.Cut(s[min(len(s), 3*w):], "|")
	if len(s) < 3*w || !ok {
		return fmt.Errorf("deals report: a deal read as %q", s)
	}
	for i, t := range []*time.Time{&d.OpenedAt, &d.EngagedAt, &d.ClosedAt} {
		if v := s[i*w : (i+1)*w]; strings.TrimSpace(v) != "" {
			if err := (scanTime{t}).parse(v); err != nil {
				return err
			}
		}
	}
	n, err := strconv.ParseInt(amount, 10, 64)
	if err != nil {
		return fmt.Errorf("deals report: amount %q: %w", amount, err)
	}
	d.AmountCents, d.Stage = n, stage
	return nil
}

// reportUser is what a report shows of a person.
type reportUser struct {
	name, team string
	managerID  int64
}

// value returns the user's value of a people dimension: their name, their
// team, or their manager's name.
func (u reportUser) value(dim string, users map[int64]reportUser) string {
	switch dim {
	case dealreport.Team:
		return u.team
	case dealreport.Manager:
		if u.managerID == 0 {
			return ""
		}
		return users[u.managerID].name
	}
	return u.name
}

// reportUsers reads every user as reports name them: by name, or by email
// for a user without one.
func (tx *Tx) reportUsers(ctx context.Context) (map[int64]reportUser, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, COALESCE(NULLIF(name, ''), email, ''), team, COALESCE(manager_id, 0) FROM users`)
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	defer rows.Close()
	users := map[int64]reportUser{}
	for rows.Next() {
		var id int64
		var u reportUser
		if err := rows.Scan(&id, &u.name, &u.team, &u.managerID); err != nil {
			return nil, err
		}
		users[id] = u
	}
	return users, rows.Err()
}

// handoffStage returns the hand-off stage of an agreement version.
func (tx *Tx) handoffStage(ctx context.Context, version int64) (string, error) {
	p, err := tx.policy(ctx, int(version))
	if err != nil {
		return "", fmt.Errorf("hand-off stage of agreement version %d: %w", version, err)
	}
	return p.HandoffStage, nil
}
