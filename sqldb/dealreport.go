package sqldb

import (
	"context"
	"database/sql"
	"fmt"
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
// deal's attribute: an SQL expression over the deal (d), its lead (l,
// joined only when needed) and, for the people, a column the users map
// resolves. Product series and account sector read ” until deals name a
// catalogue's products and accounts. Month and quarter are the report's
// to compute from the dates.
var dealDims = map[string]struct {
	expr string
	lead bool // joins the lead
	user bool // expr is a user id, resolved by userDim
}{
	dealreport.Owner:         {expr: "d.owner_id", user: true},
	dealreport.Team:          {expr: "d.owner_id", user: true},
	dealreport.Manager:       {expr: "d.owner_id", user: true},
	dealreport.Product:       {expr: "d.product"},
	dealreport.ProductSeries: {expr: "''"},
	dealreport.Account:       {expr: "d.account"},
	dealreport.AccountSector: {expr: "''"},
	dealreport.Source:        {expr: "l.source", lead: true},
	dealreport.Origin:        {expr: "l.origin", lead: true},
	dealreport.Segment:       {expr: "l.segment", lead: true},
	dealreport.Campaign:      {expr: "l.campaign", lead: true},
	// The agreement version of the lead's first hand-off (handoffs_lead
	// index), whose hand-off stage Go reads; NULL for a lead never
	// handed off.
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
	defer wrap(&err, "deals report rows")
	if err := dealreport.CheckDims(q.By); err != nil {
		return nil, err
	}
	// An open deal's stage is its pipeline stage ('open' for a deal that
	// has none).
	cols := []string{"CASE WHEN d.stage = 'open' THEN COALESCE(NULLIF(d.pipeline_stage, ''), 'open') ELSE d.stage END", "d.amount_cents", "d.created_at", "d.engaged_at", "d.closed_at"}
	from := "deals d"
	needUsers := false
	for _, dim := range q.By {
		spec := dealDims[dim]
		cols = append(cols, spec.expr)
		if spec.lead && !strings.Contains(from, " l ") {
			from += " JOIN leads l ON l.id = d.lead_id "
		}
		needUsers = needUsers || spec.user
	}
	sel := `SELECT ` + strings.Join(cols, ", ") + ` FROM ` + from
	// Each deal once: opened in the period, or closed in it and opened
	// outside it. Each half reads one index.
	query := sel + ` WHERE d.created_at >= $1 AND d.created_at < $2 UNION ALL ` +
		sel + ` WHERE d.closed_at >= $1 AND d.closed_at < $2 AND (d.created_at < $1 OR d.created_at >= $2)`
	err = db.view(ctx, func(tx *Tx) error {
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
		dest := make([]any, 5+len(q.By))
		var d dealreport.Deal
		dest[0], dest[1], dest[2], dest[3], dest[4] = &d.Stage, &d.AmountCents, scanTime{&d.OpenedAt}, scanTime{&d.EngagedAt}, scanTime{&d.ClosedAt}
		for i, dim := range q.By {
			if dealDims[dim].user || dim == dealreport.HandoffStage {
				dest[5+i] = &ids[i]
			} else {
				dest[5+i] = &vals[i]
			}
		}
		for rows.Next() {
			d = dealreport.Deal{}
			if err := rows.Scan(dest...); err != nil {
				return err
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
			deals = append(deals, d)
		}
		return rows.Err()
	})
	return deals, err
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
