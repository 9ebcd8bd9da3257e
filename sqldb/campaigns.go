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
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/attribution"
	"github.com/tandemhq/tandem/sla"
)

// SaveCampaign registers a campaign, or renames it and changes its channel
// if its code is registered already, and reports whether it was new. Errors:
// EINVALID naming the field.
func (db *DB) SaveCampaign(ctx context.Context, c tandem.Campaign) (out tandem.Campaign, created bool, err error) {
	defer wrap(&err, "save campaign %q", c.Code)
	if err := c.Validate(); err != nil {
		return out, false, err
	}
	err = db.transact(ctx, func(tx *Tx) error {
		cur, ok, err := tx.campaign(ctx, c.Code)
		if err != nil {
			return err
		}
		created = !ok
		if created {
			c.CreatedAt = tx.Now
			_, err = tx.ExecContext(ctx, `INSERT INTO campaigns (code, name, channel, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)`,
				c.Code, c.Name, c.Channel, tx.t(tx.Now))
		} else {
			c.CreatedAt = cur.CreatedAt
			_, err = tx.ExecContext(ctx, `UPDATE campaigns SET name = $2, channel = $3, updated_at = $4 WHERE code = $1`,
				c.Code, c.Name, c.Channel, tx.t(tx.Now))
		}
		out = c
		return err
	})
	return out, created, err
}

func (tx *Tx) campaign(ctx context.Context, code string) (tandem.Campaign, bool, error) {
	c := tandem.Campaign{Code: code}
	err := tx.QueryRowContext(ctx, `SELECT name, channel, created_at FROM campaigns WHERE code = $1`, code).
		Scan(&c.Name, &c.Channel, scanTime{&c.CreatedAt})
	if err == sql.ErrNoRows {
		return c, false, nil
	}
	return c, err == nil, err
}

// Campaigns returns the registered campaigns by code, each with its spend
// by month.
func (db *DB) Campaigns(ctx context.Context) (cs []tandem.Campaign, err error) {
	defer wrap(&err, "list campaigns")
	err = db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT code, name, channel, created_at FROM campaigns ORDER BY code`)
		if err != nil {
			return err
		}
		defer rows.Close()
		byCode := map[string]int{}
		for rows.Next() {
			var c tandem.Campaign
			if err := rows.Scan(&c.Code, &c.Name, &c.Channel, scanTime{&c.CreatedAt}); err != nil {
				return err
			}
			byCode[c.Code] = len(cs)
			cs = append(cs, c)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		srows, err := tx.QueryContext(ctx, `SELECT campaign, month, amount_cents FROM campaign_spend ORDER BY campaign, month`)
		if err != nil {
			return err
		}
		defer srows.Close()
		for srows.Next() {
			var s tandem.CampaignSpend
			if err := srows.Scan(&s.Campaign, &s.Month, &s.AmountCents); err != nil {
				return err
			}
			if i, ok := byCode[s.Campaign]; ok {
				cs[i].Spend = append(cs[i].Spend, s)
			}
		}
		return srows.Err()
	})
	if cs == nil {
		cs = []tandem.Campaign{}
	}
	return cs, err
}

// SetCampaignSpend sets a registered campaign's spend for a month,
// replacing what was set before. Errors: EINVALID naming the field,
// ENOTFOUND for a campaign nobody registered.
func (db *DB) SetCampaignSpend(ctx context.Context, s tandem.CampaignSpend, actor string) (out tandem.CampaignSpend, err error) {
	defer wrap(&err, "set spend of campaign %q for %s", s.Campaign, s.Month)
	if err := s.Validate(); err != nil {
		return out, err
	}
	err = db.transact(ctx, func(tx *Tx) error {
		if _, ok, err := tx.campaign(ctx, s.Campaign); err != nil {
			return err
		} else if !ok {
			return tandem.Errorf(tandem.ENOTFOUND, "campaign %q is not registered: add it first (tandem campaign add %s --name NAME --channel CHANNEL)", s.Campaign, s.Campaign)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO campaign_spend (campaign, month, amount_cents, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (campaign, month) DO UPDATE SET amount_cents = excluded.amount_cents, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
			s.Campaign, s.Month, s.AmountCents, tx.t(tx.Now), actor)
		return err
	})
	return s, err
}

// AddMarketingTouch records a marketing touch of an existing lead (a
// webinar it attended, say) without changing the lead: a marketing_touched
// event in its ledger and a row for the reports. The touch's origin
// defaults to the lead's, its time to now. Errors: ENOTFOUND for the lead,
// EINVALID naming the field.
func (db *DB) AddMarketingTouch(ctx context.Context, t tandem.MarketingTouch, actor string) (out tandem.MarketingTouch, err error) {
	defer wrap(&err, "add marketing touch to lead %d", t.LeadID)
	err = db.transact(ctx, func(tx *Tx) error {
		l, err := tx.lead(ctx, t.LeadID, true)
		if err != nil {
			return err
		}
		if t.Origin == "" {
			t.Origin = l.Origin
		}
		if t.OccurredAt.IsZero() {
			t.OccurredAt = tx.Now
		}
		t.OccurredAt = t.OccurredAt.UTC().Truncate(time.Microsecond)
		if err := t.Validate(tx.Now); err != nil {
			return err
		}
		lc, err := tx.lifecycle(ctx)
		if err != nil {
			return err
		}
		ev := t.Event(actor, lc.Version())
		if err := l.Apply(&ev); err != nil {
			return err
		}
		if err := tx.updateLead(ctx, &l); err != nil {
			return err
		}
		if err := tx.appendEvents(ctx, []tandem.Event{ev}); err != nil {
			return err
		}
		ids, err := tx.recordTouches(ctx, []tandem.Event{ev})
		if err != nil {
			return err
		}
		out = t
		if len(ids) == 1 {
			out.ID = ids[0]
		}
		return nil
	})
	return out, err
}

var touchColumns = []string{"lead_id", "campaign", "origin", "kind", "occurred_at", "actor"}

// recordTouches writes a row for each marketing_touched event among events,
// whose lead ids are set, and returns the new rows' ids when there are few
// (for one touch added by hand), nil otherwise.
func (tx *Tx) recordTouches(ctx context.Context, events []tandem.Event) ([]int64, error) {
	var rows [][]any
	for i := range events {
		if t, ok := tandem.TouchOf(&events[i]); ok {
			rows = append(rows, []any{t.LeadID, t.Campaign, t.Origin, t.Kind, t.OccurredAt, events[i].Actor})
		}
	}
	if len(rows) == 0 {
		return nil, nil
	}
	if len(rows) == 1 {
		var id int64
		r := rows[0]
		err := tx.QueryRowContext(ctx, `INSERT INTO marketing_touches (lead_id, campaign, origin, kind, occurred_at, actor)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, r[0], r[1], r[2], r[3], tx.t(r[4].(time.Time)), r[5]).Scan(&id)
		if err != nil {
			return nil, fmt.Errorf("record marketing touch: %w", err)
		}
		return []int64{id}, nil
	}
	return nil, tx.db.d.bulkInsert(ctx, tx, "marketing_touches", touchColumns, rows)
}

// MarketingTouches returns a lead's marketing touches in time order.
func (db *DB) MarketingTouches(ctx context.Context, leadID int64) (ts []tandem.MarketingTouch, err error) {
	defer wrap(&err, "marketing touches of lead %d", leadID)
	err = db.view(ctx, func(tx *Tx) error {
		if _, err := tx.lead(ctx, leadID, false); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, lead_id, campaign, origin, kind, occurred_at FROM marketing_touches
			WHERE lead_id = $1 ORDER BY occurred_at, id`, leadID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var t tandem.MarketingTouch
			if err := rows.Scan(&t.ID, &t.LeadID, &t.Campaign, &t.Origin, &t.Kind, scanTime{&t.OccurredAt}); err != nil {
				return err
			}
			ts = append(ts, t)
		}
		return rows.Err()
	})
	return ts, err
}

// CampaignRows are what the campaign report of [From, To) is assembled
// from (package report assembles it; docs/campaigns.md): the leads the
// report names, by what they did in the period, with their marketing
// touches, the deals won, the spend and the registered campaigns.
type CampaignRows struct {
	From, To time.Time
	// Agreement is the agreement in force now (the default while none
	// is): its sales_sourced rule and goal.marketing_share.
	Agreement *agreement.Agreement
	// NewLeads counts the leads created in the period, MQLs those that
	// entered the hand-off stage in it, Opportunities the leads of the
	// deals opened in it (one per deal), each in groups of leads alike in
	// what the report reads of them (see [LeadGroup]).
	NewLeads, MQLs, Opportunities []LeadGroup
	// Won are the deals won in the period, in close order, with their id,
	// lead, amount and close time.
	Won []attribution.Deal
	// Leads holds the lead of each deal won, by id, with its origin and
	// the fields the agreement's sales_sourced rule reads (as LeadGroup);
	// Touches their marketing touches in time order.
	Leads   map[int64]tandem.Lead
	Touches map[int64][]attribution.Touch
	// Spend is each campaign's spend in the whole months the period
	// touches, in its time zone, by code.
	Spend     map[string]int64
	Campaigns []attribution.Campaign
}

// LeadGroup is Count leads alike in what the campaign report reads of a
// lead: the campaign of its first marketing touch (First, "" for none or
// an unnamed one), and Lead's origin and the fields the agreement's
// sales_sourced rule reads ([agreement.Marketing.SalesSourcedFields]; the
// others are left zero), which say whether sales found it.
type LeadGroup struct {
	First string
	Lead  tandem.Lead
	Count int
}

// CampaignRows reads the rows of the campaign report for [from, to).
// EINVALID naming period for a period that does not end after it starts.
func (db *DB) CampaignRows(ctx context.Context, from, to time.Time) (rows CampaignRows, err error) {
	defer wrap(&err, "campaign report")
	if !from.Before(to) {
		return rows, tandem.Invalid(tandem.FieldError{Field: "period", Message: "must end after it starts"})
	}
	rows = CampaignRows{From: from, To: to, Spend: map[string]int64{}}
	err = db.view(ctx, func(tx *Tx) error {
		if err := tx.reportSettings(ctx); err != nil {
			return err
		}
		a, err := tx.agreementNow(ctx)
		if err != nil {
			return err
		}
		rows.Agreement = a
		lo, hi := tx.t(from), tx.t(to)
		// Each set of leads is counted in one query, grouped by what the
		// report reads of a lead (LeadGroup), not read lead by lead.
		rows.Leads, rows.Touches = map[int64]tandem.Lead{}, map[int64][]attribution.Touch{}
		cols := []string{"origin"}
		for _, f := range a.Marketing.SalesSourcedFields() {
			if !slices.Contains(cols, f) {
				cols = append(cols, f)
			}
		}
		fields := "l." + strings.Join(cols, ", l.")
		first := `(SELECT mt.campaign FROM marketing_touches mt WHERE mt.lead_id = l.id ORDER BY mt.occurred_at, mt.id LIMIT 1)`
		groupBy := make([]string, len(cols)+1)
		for i := range groupBy {
			groupBy[i] = strconv.Itoa(i + 1)
		}
		groups := func(from string, a ...any) ([]LeadGroup, error) {
			rs, err := tx.QueryContext(ctx, `SELECT `+first+`, `+fields+`, count(*) FROM `+from+` GROUP BY `+strings.Join(groupBy, ", "), a...)
			if err != nil {
				return nil, err
			}
			defer rs.Close()
			var out []LeadGroup
			for rs.Next() {
				var g LeadGroup
				var first sql.NullString
				var attrs string
				dest := []any{&first}
				for _, c := range cols {
					f := leadField(&g.Lead, c, &attrs)
					if f == nil {
						return nil, fmt.Errorf("no lead field %q", c)
					}
					dest = append(dest, f)
				}
				if err := rs.Scan(append(dest, &g.Count)...); err != nil {
					return nil, err
				}
				if err := setAttributes(&g.Lead, attrs); err != nil {
					return nil, err
				}
				g.First = first.String
				out = append(out, g)
			}
			return out, rs.Err()
		}
		if rows.NewLeads, err = groups(`leads l WHERE l.created_at >= $1 AND l.created_at < $2`, lo, hi); err != nil {
			return fmt.Errorf("new leads: %w", err)
		}
		if p, err := sla.New(a, 0); err != nil {
			return err
		} else if p != nil {
			from := `stage_entries s JOIN leads l ON l.id = s.lead_id WHERE s.stage = $1 AND s.entered_at >= $2 AND s.entered_at < $3`
			if rows.MQLs, err = groups(from, p.HandoffStage, lo, hi); err != nil {
				return fmt.Errorf("hand-off stage entries: %w", err)
			}
		}
		if rows.Opportunities, err = groups(`deals d JOIN leads l ON l.id = d.lead_id WHERE d.created_at >= $1 AND d.created_at < $2`, lo, hi); err != nil {
			return fmt.Errorf("opportunities: %w", err)
		}
		wrows, err := tx.QueryContext(ctx, `SELECT id, lead_id, amount_cents, closed_at FROM deals
			WHERE stage = 'won' AND closed_at >= $1 AND closed_at < $2 ORDER BY closed_at, id`, lo, hi)
		if err != nil {
			return fmt.Errorf("won deals: %w", err)
		}
		for wrows.Next() {
			var d attribution.Deal
			if err := wrows.Scan(&d.ID, &d.LeadID, &d.AmountCents, scanTime{&d.ClosedAt}); err != nil {
				wrows.Close()
				return err
			}
			rows.Won = append(rows.Won, d)
		}
		wrows.Close()
		if err := wrows.Err(); err != nil {
			return err
		}
		won := `SELECT lead_id FROM deals WHERE stage = 'won' AND closed_at >= $1 AND closed_at < $2`
		lrows, err := tx.QueryContext(ctx, `SELECT l.id, `+fields+` FROM leads l WHERE l.id IN (`+won+`)`, lo, hi)
		if err != nil {
			return fmt.Errorf("leads of the won deals: %w", err)
		}
		for lrows.Next() {
			var l tandem.Lead
			var attrs string
			dest := []any{&l.ID}
			for _, c := range cols {
				dest = append(dest, leadField(&l, c, &attrs)) // cols checked above
			}
			if err := lrows.Scan(dest...); err != nil {
				lrows.Close()
				return fmt.Errorf("leads of the won deals: %w", err)
			}
			if err := setAttributes(&l, attrs); err != nil {
				lrows.Close()
				return err
			}
			rows.Leads[l.ID] = l
		}
		lrows.Close()
		if err := lrows.Err(); err != nil {
			return fmt.Errorf("leads of the won deals: %w", err)
		}
		trows, err := tx.QueryContext(ctx, `SELECT lead_id, campaign, origin, occurred_at FROM marketing_touches
			WHERE lead_id IN (`+won+`) ORDER BY lead_id, occurred_at, id`, lo, hi)
		if err != nil {
			return fmt.Errorf("touches of the won deals: %w", err)
		}
		for trows.Next() {
			var id int64
			var t attribution.Touch
			if err := trows.Scan(&id, &t.Campaign, &t.Origin, scanTime{&t.At}); err != nil {
				trows.Close()
				return err
			}
			rows.Touches[id] = append(rows.Touches[id], t)
		}
		trows.Close()
		if err := trows.Err(); err != nil {
			return fmt.Errorf("touches of the won deals: %w", err)
		}

		// Spend: the whole months the period touches, in its time zone.
		firstMonth := from.In(from.Location()).Format("2006-01")
		lastMonth := to.Add(-time.Microsecond).In(to.Location()).Format("2006-01")
		srows, err := tx.QueryContext(ctx, `SELECT campaign, sum(amount_cents) FROM campaign_spend
			WHERE month >= $1 AND month <= $2 GROUP BY campaign`, firstMonth, lastMonth)
		if err != nil {
			return fmt.Errorf("spend: %w", err)
		}
		for srows.Next() {
			var code string
			var cents int64
			if err := srows.Scan(&code, &cents); err != nil {
				srows.Close()
				return err
			}
			rows.Spend[code] = cents
		}
		srows.Close()
		if err := srows.Err(); err != nil {
			return err
		}
		crows, err := tx.QueryContext(ctx, `SELECT code, name, channel FROM campaigns ORDER BY code`)
		if err != nil {
			return err
		}
		defer crows.Close()
		for crows.Next() {
			var c attribution.Campaign
			if err := crows.Scan(&c.Code, &c.Name, &c.Channel); err != nil {
				return err
			}
			rows.Campaigns = append(rows.Campaigns, c)
		}
		return crows.Err()
	})
	return rows, err
}

// SpendInput is one row of a spend import: values by field name of
// csvimport.SpendFields, as strings.
type SpendInput struct {
	Fields map[string]string
	// Initial holds the import's constants and defaults.
	Initial map[string]string
}

func (in SpendInput) value(name string) string {
	if v := in.Fields[name]; v != "" {
		return v
	}
	return in.Initial[name]
}

// ImportSpend sets one month's spend per input, in one transaction, and
// reports each input's outcome in order (the ID of a result is 0). A
// campaign the file names that is not registered is registered, with the
// row's name and channel; a registered one keeps its own. A month set again
// with the same amount is unchanged. A bad row is rejected with its
// reasons, naming the fields, and does not stop the others.
func (db *DB) ImportSpend(ctx context.Context, inputs []SpendInput, actor string, dryRun bool) (results []IntakeResult, err error) {
	defer wrap(&err, "import spend")
	err = db.transact(ctx, func(tx *Tx) error {
		results = make([]IntakeResult, len(inputs))
		for i, in := range inputs {
			res, err := tx.importSpendRow(ctx, in, actor)
			if err != nil && tandem.ErrorCode(err) == tandem.EINTERNAL {
				return err
			}
			results[i] = IntakeResult{Status: res, Err: err}
			if err != nil {
				results[i].Status = tandem.StatusRejected
			}
		}
		if dryRun {
			return errRollback
		}
		return nil
	})
	return results, err
}

func (tx *Tx) importSpendRow(ctx context.Context, in SpendInput, actor string) (string, error) {
	var errs []tandem.FieldError
	for name := range in.Fields {
		if !slices.Contains([]string{"campaign", "name", "channel", "month", "amount"}, name) {
			errs = append(errs, tandem.FieldError{Field: name, Message: "no such spend field (campaign, name, channel, month, amount)"})
		}
	}
	s := tandem.CampaignSpend{Campaign: strings.TrimSpace(in.value("campaign")), Month: strings.TrimSpace(in.value("month"))}
	if t, err := time.Parse(time.DateOnly, s.Month); err == nil {
		s.Month = t.Format("2006-01") // a date stands for its month
	}
	if a := in.value("amount"); a == "" {
		errs = append(errs, tandem.FieldError{Field: "amount", Message: "is required: the month's spend, like 12000.50"})
	} else if c, err := tandem.ParseAmount(a); err != nil {
		errs = append(errs, tandem.FieldError{Field: "amount", Message: err.Error()})
	} else {
		s.AmountCents = c
	}
	if err := s.Validate(); err != nil {
		for _, f := range tandem.ErrorFields(err) {
			if f.Field != "amount" || !slices.ContainsFunc(errs, func(e tandem.FieldError) bool { return e.Field == "amount" }) {
				errs = append(errs, f)
			}
		}
	}
	c := tandem.Campaign{Code: s.Campaign, Name: in.value("name"), Channel: in.value("channel")}
	if err := c.Validate(); err != nil && s.Campaign != "" {
		for _, f := range tandem.ErrorFields(err) {
			if f.Field != "code" {
				errs = append(errs, f)
			}
		}
	}
	if len(errs) > 0 {
		slices.SortStableFunc(errs, func(a, b tandem.FieldError) int { return strings.Compare(a.Field, b.Field) })
		return "", tandem.Invalid(errs...)
	}
	if _, ok, err := tx.campaign(ctx, c.Code); err != nil {
		return "", err
	} else if !ok {
		if _, err := tx.ExecContext(ctx, `INSERT INTO campaigns (code, name, channel, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)`,
			c.Code, c.Name, c.Channel, tx.t(tx.Now)); err != nil {
			return "", err
		}
	}
	var cur int64
	status := tandem.StatusCreated
	err := tx.QueryRowContext(ctx, `SELECT amount_cents FROM campaign_spend WHERE campaign = $1 AND month = $2`, s.Campaign, s.Month).Scan(&cur)
	switch {
	case err == sql.ErrNoRows:
	case err != nil:
		return "", err
	case cur == s.AmountCents:
		return tandem.StatusUnchanged, nil
	default:
		status = tandem.StatusUpdated
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO campaign_spend (campaign, month, amount_cents, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (campaign, month) DO UPDATE SET amount_cents = excluded.amount_cents, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
		s.Campaign, s.Month, s.AmountCents, tx.t(tx.Now), actor)
	return status, err
}
