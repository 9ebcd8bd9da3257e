package sqldb

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sla"
)

// dealColumns are the columns scanDeal reads, in its order.
const dealColumns = `id, lead_id, source, external_id, owner_id, stage, amount_cents, created_at, engaged_at, closed_at,
	lost_reason, account, product, attributes, updated_at, pipeline_stage, stage_changed_at`

func scanDeal(s scanner) (tandem.Deal, error) {
	var d tandem.Deal
	var owner sql.NullInt64
	var attrs string
	err := s.Scan(&d.ID, &d.LeadID, &d.Source, &d.ExternalID, &owner, &d.Stage, &d.AmountCents, scanTime{&d.CreatedAt},
		scanTime{&d.EngagedAt}, scanTime{&d.ClosedAt}, &d.LostReason, &d.Account, &d.Product, scanJSON{&attrs}, scanTime{&d.UpdatedAt},
		&d.PipelineStage, scanTime{&d.StageChangedAt})
	if err != nil {
		return d, err
	}
	d.OwnerID = owner.Int64
	if attrs != "" && attrs != "{}" {
		if err := json.Unmarshal([]byte(attrs), &d.Attributes); err != nil {
			return d, fmt.Errorf("deal %d attributes: %w", d.ID, err)
		}
	}
	return d, nil
}

func attributesJSON(m map[string]string) string {
	if len(m) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func (tx *Tx) insertDeal(ctx context.Context, d *tandem.Deal) error {
	if tx.buffering() {
		id, err := tx.nextDealID(ctx, tx.batch.want)
		if err != nil {
			return err
		}
		d.ID = id
		bd := tx.batch.row.deal(id)
		bd.d, bd.insert = d.Clone(), true
		return nil
	}
	err := tx.QueryRowContext(ctx, `INSERT INTO deals (lead_id, source, external_id, owner_id, stage, amount_cents, created_at, engaged_at,
		closed_at, lost_reason, account, product, attributes, updated_at, pipeline_stage, stage_changed_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
		RETURNING id`, d.LeadID, d.Source, d.ExternalID, nullID(d.OwnerID), d.Stage, d.AmountCents, tx.t(d.CreatedAt), tx.t(d.EngagedAt),
		tx.t(d.ClosedAt), d.LostReason, d.Account, d.Product, attributesJSON(d.Attributes), tx.t(d.UpdatedAt),
		d.PipelineStage, tx.t(d.StageChangedAt)).Scan(&d.ID)
	if err != nil {
		return fmt.Errorf("insert deal of lead %d: %w", d.LeadID, err)
	}
	return nil
}

func (tx *Tx) updateDeal(ctx context.Context, d *tandem.Deal) error {
	if tx.buffering() {
		tx.batch.row.deal(d.ID).d = d.Clone()
		return nil
	}
	_, err := tx.ExecContext(ctx, `UPDATE deals SET source = $2, external_id = $3, owner_id = $4, stage = $5, amount_cents = $6,
		created_at = $7, engaged_at = $8, closed_at = $9, lost_reason = $10, account = $11, product = $12, attributes = $13,
		updated_at = $14, pipeline_stage = $15, stage_changed_at = $16 WHERE id = $1`, d.ID, d.Source, d.ExternalID, nullID(d.OwnerID),
		d.Stage, d.AmountCents, tx.t(d.CreatedAt), tx.t(d.EngagedAt), tx.t(d.ClosedAt), d.LostReason, d.Account, d.Product,
		attributesJSON(d.Attributes), tx.t(d.UpdatedAt), d.PipelineStage, tx.t(d.StageChangedAt))
	if err != nil {
		return fmt.Errorf("update deal %d: %w", d.ID, err)
	}
	return nil
}

// dealWhere returns the one deal that matches cond, locked on PostgreSQL
// when lock is set, or false when none does.
func (tx *Tx) dealWhere(ctx context.Context, lock bool, cond string, args ...any) (tandem.Deal, bool, error) {
	q := `SELECT ` + dealColumns + ` FROM deals WHERE ` + cond
	if lock {
		q += tx.db.d.forUpdate()
	}
	d, err := scanDeal(tx.QueryRowContext(ctx, q, args...))
	if err == sql.ErrNoRows {
		return d, false, nil
	} else if err != nil {
		return d, false, fmt.Errorf("find deal: %w", err)
	}
	return d, true, nil
}

func (tx *Tx) deal(ctx context.Context, id int64, lock bool) (tandem.Deal, error) {
	d, ok, err := tx.dealWhere(ctx, lock, `id = $1`, id)
	if err == nil && !ok {
		err = tandem.Errorf(tandem.ENOTFOUND, "deal %d not found", id)
	}
	return d, err
}

// Deal returns the deal with the id, or ENOTFOUND.
func (db *DB) Deal(ctx context.Context, id int64) (d tandem.Deal, err error) {
	defer wrap(&err, "deal %d", id)
	err = db.view(ctx, func(tx *Tx) error {
		d, err = tx.deal(ctx, id, false)
		return err
	})
	return d, err
}

// Deals returns one page of the deals that match the filter, in id order,
// with the total count of matches. EINVALID for a bad filter.
func (db *DB) Deals(ctx context.Context, f tandem.DealFilter) (page tandem.DealPage, err error) {
	return db.deals(ctx, f, nil)
}

// deals is [DB.Deals], for a caller when tok is set ([DB.DealsFor]).
func (db *DB) deals(ctx context.Context, f tandem.DealFilter, tok *tandem.Token) (page tandem.DealPage, err error) {
	defer wrap(&err, "list deals")
	if err := f.Validate(); err != nil {
		return page, err
	}
	limit := f.Limit
	if limit == 0 {
		limit = 100
	}
	where := []string{"TRUE"}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.Stage != "" {
		var st sla.DealStages
		if err := db.view(ctx, func(tx *Tx) (err error) { st, err = tx.dealStages(ctx); return err }); err != nil {
			return page, err
		}
		stage, open, err := st.Resolve(f.Stage)
		if err != nil {
			return page, err
		}
		where = append(where, "stage = "+arg(stage))
		if open != "" {
			where = append(where, "pipeline_stage = "+arg(open))
		}
	}
	if f.LeadID != 0 {
		where = append(where, "lead_id = "+arg(f.LeadID))
	}
	if !f.ClosedFrom.IsZero() {
		where = append(where, "closed_at >= "+arg(db.d.timeArg(f.ClosedFrom)))
	}
	if !f.ClosedTo.IsZero() {
		where = append(where, "closed_at < "+arg(db.d.timeArg(f.ClosedTo)))
	}
	err = db.view(ctx, func(tx *Tx) error {
		where, args := slices.Clone(where), slices.Clone(args)
		if tok != nil {
			c, err := tx.caller(ctx, *tok)
			if err != nil {
				return err
			}
			scope, sargs := dealScopeCond(c.ReadScope(), len(args)+1, "deals")
			where = append(where, scope)
			args = append(args, sargs...)
		}
		cond := strings.Join(where, " AND ")
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM deals WHERE `+cond, args...).Scan(&page.Total); err != nil {
			return err
		}
		n := len(args)
		rows, err := tx.QueryContext(ctx, fmt.Sprintf(`SELECT %s FROM deals WHERE %s AND id > $%d ORDER BY id LIMIT $%d`,
			dealColumns, cond, n+1, n+2), append(slices.Clone(args), f.After, limit+1)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			d, err := scanDeal(rows)
			if err != nil {
				return err
			}
			page.Deals = append(page.Deals, d)
		}
		return rows.Err()
	})
	if len(page.Deals) > limit {
		page.Deals = page.Deals[:limit]
		page.Next = page.Deals[limit-1].ID
	}
	return page, err
}

// dealStages returns the deal stages of the agreement in force, or of the
// default agreement while none is.
func (tx *Tx) dealStages(ctx context.Context) (sla.DealStages, error) {
	a, err := tx.agreementNow(ctx)
	if err != nil {
		return sla.DealStages{}, err
	}
	return sla.NewDealStages(a), nil
}

// dealMoved is the SLA engine's hook for deals ([engine.moved] calls it
// for every stage change): a lead that enters the opportunity stage, by
// any path, gets an open deal unless it has one. The deal is owned by the
// lead's owner, opened when the lead entered the stage and engaged when
// the lead was created. It returns the deal_opened event, applied to the
// lead, to append after the stage change. The deal's row may be written
// before its lead's (a new lead's): the reference is checked at commit.
func (tx *Tx) dealMoved(ctx context.Context, l *tandem.Lead, from, to string) ([]tandem.Event, error) {
	if !sla.OpensDeal(from, to) || tx.importsDeal[[2]string{l.Source, l.ExternalID}] {
		return nil, nil
	}
	if tx.buffering() {
		return nil, errSlowRow // a deal the batch did not read may exist
	}
	if _, ok, err := tx.dealWhere(ctx, true, `lead_id = $1 AND stage = 'open'`, l.ID); err != nil || ok {
		return nil, err
	}
	lc, err := tx.lifecycle(ctx)
	if err != nil {
		return nil, err
	}
	st, err := tx.dealStages(ctx)
	if err != nil {
		return nil, err
	}
	d := tandem.Deal{LeadID: l.ID, OwnerID: l.OwnerID, Stage: tandem.DealOpen, CreatedAt: l.StageChangedAt,
		EngagedAt: l.CreatedAt, UpdatedAt: tx.Now, PipelineStage: st.First(),
		StageChangedAt: l.StageChangedAt}
	if err := tx.insertDeal(ctx, &d); err != nil {
		return nil, err
	}
	ev := tandem.Event{LeadID: l.ID, Type: tandem.EventDealOpened, OccurredAt: l.StageChangedAt, Actor: "system",
		Reason: "entered " + to, AgreementVersion: lc.Version(), Detail: map[string]string{"deal": strconv.FormatInt(d.ID, 10),
			"stage": d.PipelineStage}}
	if err := l.Apply(&ev); err != nil {
		return nil, err
	}
	if err := tx.writeDealStageEntries(ctx, []tandem.Event{ev}); err != nil {
		return nil, err
	}
	return []tandem.Event{ev}, nil
}

// settle records a deal's events in its lead's ledger and moves the lead
// as the deal's outcome asks, through the same path as a manual move (so
// the SLA engine ends the lead's hand-off):
//   - won: to the last stage of the path (customer), unless it is there;
//   - lost: to the agreement's first non-final exit (recycled), unless the
//     lead is in a final stage (a customer's lost upsell leaves it a
//     customer) or has another open deal.
//
// The events and the move keep the deal's own dates, except that none is
// dated before the lead entered its current stage: a lead's stage history
// stays in time order even when an export says a deal closed before its
// first contact (the deal itself keeps the export's dates). The move's reason is "deal N won" or "deal N lost: CODE".
// A move the agreement refuses is an ECONFLICT error that names the deal.
func (tx *Tx) settle(ctx context.Context, cur tandem.Lead, d tandem.Deal, evs []tandem.Event, actor string) (tandem.Lead, error) {
	lc, err := tx.lifecycle(ctx)
	if err != nil {
		return cur, err
	}
	st, err := tx.dealStages(ctx)
	if err != nil {
		return cur, err
	}
	l := cur.Clone()
	floor := l.StageChangedAt
	for i := range evs {
		e := &evs[i]
		if e.OccurredAt.Before(floor) {
			e.OccurredAt = floor
		}
		e.LeadID, e.Actor, e.AgreementVersion = l.ID, actor, lc.Version()
		if err := l.Apply(e); err != nil {
			return cur, err
		}
	}
	var other bool // another open deal keeps a lead whose deal is lost where it is
	if d.Stage == tandem.DealLost && tx.buffering() {
		o, ok := tx.batch.open[l.ID]
		other = ok && o.ID != d.ID
	} else if d.Stage == tandem.DealLost {
		if _, other, err = tx.dealWhere(ctx, false, `lead_id = $1 AND stage = 'open' AND id <> $2`, l.ID, d.ID); err != nil {
			return cur, err
		}
	}
	if err := tx.writeDealStageEntries(ctx, evs); err != nil {
		return cur, err
	}
	to, reason := st.Settle(d, l.Stage, other)
	if to == "" || to == l.Stage {
		if err := tx.updateLead(ctx, &l); err != nil {
			return cur, err
		}
		return l, tx.appendEvents(ctx, evs)
	}
	at := d.ClosedAt
	if at.Before(floor) {
		at = floor
	}
	ch, err := tandem.Move(l, to, reason, lc, actor, at)
	if err == nil {
		ch.Events = append(evs, ch.Events...)
		l, err = tx.applyMove(ctx, l, ch, transition{})
	}
	if code := tandem.ErrorCode(err); code != tandem.EINTERNAL && code != "" {
		return cur, tandem.Errorf(code, "deal %d is %s, but lead %d cannot follow it to %s: %s", d.ID, d.Stage, l.ID, to, tandem.ErrorMessage(err))
	}
	return l, err
}

// closeEvent is the ledger event of a deal's close.
func closeEvent(d tandem.Deal) tandem.Event {
	detail := map[string]string{"deal": strconv.FormatInt(d.ID, 10), "closed_at": tandem.FormatTime(d.ClosedAt)}
	typ := tandem.EventDealWon
	if d.Stage == tandem.DealLost {
		typ = tandem.EventDealLost
		detail["reason"] = d.LostReason
	} else {
		detail["amount_cents"] = strconv.FormatInt(d.AmountCents, 10)
	}
	return tandem.Event{Type: typ, OccurredAt: d.ClosedAt, Detail: detail}
}

// WinDeal closes an open deal as won, for amountCents, on closedAt (the
// zero time means now), and moves its lead to the last stage of the path
// (customer) with the reason "deal N won": ENOTFOUND for no such deal,
// EINVALID for a negative amount or a date in the future, ECONFLICT for a
// deal already closed or a lead the agreement does not let move there.
func (db *DB) WinDeal(ctx context.Context, id, amountCents int64, closedAt time.Time, actor string) (d tandem.Deal, err error) {
	return db.winDeal(ctx, id, amountCents, closedAt, actor, nil)
}

// WinDealAs is [DB.WinDeal] for a caller of the API: the deal of a lead
// handed off to sales is closed only by the lead's owner, a manager above
// the owner, or an admin (EFORBIDDEN otherwise), as the lead is moved.
func (db *DB) WinDealAs(ctx context.Context, id, amountCents int64, closedAt time.Time, tok tandem.Token) (tandem.Deal, error) {
	return db.winDeal(ctx, id, amountCents, closedAt, tok.Actor(), &tok)
}

func (db *DB) winDeal(ctx context.Context, id, amountCents int64, closedAt time.Time, actor string, tok *tandem.Token) (d tandem.Deal, err error) {
	defer wrap(&err, "win deal %d", id)
	err = db.transact(ctx, func(tx *Tx) error {
		cur, err := tx.deal(ctx, id, true)
		if err != nil {
			return err
		}
		d = cur.Clone()
		d.Stage, d.AmountCents, d.ClosedAt, d.UpdatedAt = tandem.DealWon, amountCents, closedAt.UTC().Truncate(time.Microsecond), tx.Now
		if closedAt.IsZero() {
			d.ClosedAt = tx.Now
		}
		d.StageChangedAt = d.ClosedAt
		return tx.close(ctx, cur, d, actor, tok)
	})
	return d, err
}

// LoseDeal closes an open deal as lost, now, with a reason code, and moves
// its lead to the agreement's first non-final exit (recycled) with the
// reason "deal N lost: CODE", unless the lead is in a final stage or has
// another open deal: ENOTFOUND for no such deal, EINVALID for a reason that
// is not a code, ECONFLICT for a deal already closed or a lead the
// agreement does not let move there (too few touches to recycle it, say).
func (db *DB) LoseDeal(ctx context.Context, id int64, reason, actor string) (d tandem.Deal, err error) {
	return db.loseDeal(ctx, id, reason, actor, nil)
}

// LoseDealAs is [DB.LoseDeal] for a caller of the API, who must be allowed
// to work the lead as for [DB.WinDealAs].
func (db *DB) LoseDealAs(ctx context.Context, id int64, reason string, tok tandem.Token) (tandem.Deal, error) {
	return db.loseDeal(ctx, id, reason, tok.Actor(), &tok)
}

func (db *DB) loseDeal(ctx context.Context, id int64, reason, actor string, tok *tandem.Token) (d tandem.Deal, err error) {
	defer wrap(&err, "lose deal %d", id)
	err = db.transact(ctx, func(tx *Tx) error {
		cur, err := tx.deal(ctx, id, true)
		if err != nil {
			return err
		}
		d = cur.Clone()
		d.Stage, d.LostReason, d.ClosedAt, d.UpdatedAt, d.StageChangedAt = tandem.DealLost, reason, tx.Now, tx.Now, tx.Now
		return tx.close(ctx, cur, d, actor, tok)
	})
	return d, err
}

// close writes an open deal's close and settles its lead; with a token,
// only if the caller may work the lead.
func (tx *Tx) close(ctx context.Context, cur, d tandem.Deal, actor string, tok *tandem.Token) error {
	if cur.Closed() {
		return tandem.Errorf(tandem.ECONFLICT, "deal %d is %s already (closed %s): a closed deal does not reopen or change outcome",
			cur.ID, cur.Stage, tandem.FormatTime(cur.ClosedAt))
	}
	if err := d.Validate(tx.Now); err != nil {
		return err
	}
	lead, err := tx.lead(ctx, d.LeadID, true)
	if err != nil {
		return err
	}
	if tok != nil {
		if h, ok, err := tx.openHandoff(ctx, lead.ID); err != nil {
			return err
		} else if ok {
			if err := tx.mayWork(ctx, *tok, lead.ID, h.OwnerID); err != nil {
				return err
			}
		}
	}
	if err := tx.updateDeal(ctx, &d); err != nil {
		return err
	}
	_, err = tx.settle(ctx, lead, d, []tandem.Event{closeEvent(d)}, actor)
	return err
}

// DealImportOptions say who sends a batch of deals and how.
type DealImportOptions struct {
	// DefaultSource is the source of an input that names none.
	DefaultSource string
	// Actor is recorded on every event ("import:FILE").
	Actor string
	// DryRun computes every outcome and writes nothing.
	DryRun bool
}

// ImportDeals creates or updates one deal per input, in one transaction,
// and reports each input's outcome in order; the ID of a result is the
// deal's. A deal is known by (source, external_id), the external id
// defaulting to its lead's (see [tandem.DealInput.Key]), so importing a
// file again changes nothing and reports every row unchanged. A new deal
// of a lead that has an open deal Tandem opened (with no external id)
// takes that deal over rather than opening a second.
//
// An input is rejected, without stopping the others, when its lead or
// owner does not exist, a value is bad (EINVALID naming the field), or it
// would reopen or change the outcome of a closed deal, or its lead cannot
// follow the deal's outcome (ECONFLICT). A deal closed by the import
// settles its lead as [DB.WinDeal] and [DB.LoseDeal] do, dated by the
// deal's own dates.
func (db *DB) ImportDeals(ctx context.Context, inputs []tandem.DealInput, opts DealImportOptions) (_ []IntakeResult, err error) {
	defer wrap(&err, "import deals")
	if opts.DefaultSource == "" {
		opts.DefaultSource = "import"
	}
	var results []IntakeResult
	err = db.transact(ctx, func(tx *Tx) error {
		results = make([]IntakeResult, len(inputs))
		st, err := tx.dealStages(ctx)
		if err != nil {
			return err
		}
		loc, err := tx.zone(ctx)
		if err != nil {
			return err
		}
		rows := make([]dealRow, len(inputs))
		for i, in := range inputs {
			// A date without an offset is its day in the agreement's zone.
			rows[i], results[i].Err = resolveDealRow(st, dealInZone(in, loc))
		}
		// The batch's events (of the leads it creates, and of its rows)
		// are written once, at the end: per row, the stage entries and
		// counts they give cost more than the rows themselves.
		var pending []tandem.Event
		tx.deferred = &pending
		defer func() { tx.deferred = nil }()
		// The batch's leads, deals and catalogue are read once, and its
		// rows written together (see dealBatch).
		tx.batch = &dealBatch{}
		defer func() { tx.batch = nil }()
		if err := tx.createDealLeads(ctx, rows, results, opts); err != nil {
			return err
		}
		if err := tx.loadDealBatch(ctx, rows, results, opts); err != nil {
			return err
		}
		b := tx.batch
		for i, row := range rows {
			if results[i].Err != nil {
				results[i].Status = tandem.StatusRejected
				continue
			}
			mark := len(pending)
			b.want, b.buffering = b.news[i], true
			var id int64
			var status string
			err := errSlowRow
			if !db.dealRowsAlone {
				id, status, err = tx.importDeal(ctx, st, row, opts)
			}
			b.buffering = false
			if errors.Is(err, errSlowRow) {
				b.row.reset()
				pending = pending[:mark]
				id, status, err = tx.importDealAlone(ctx, st, row, opts)
			}
			if code := tandem.ErrorCode(err); code == tandem.EINTERNAL {
				return err
			} else if err != nil {
				b.row.reset()
				pending = pending[:mark]
				results[i] = IntakeResult{Status: tandem.StatusRejected, Err: err}
				continue
			}
			b.pending.merge(&b.row)
			b.row.reset()
			results[i] = IntakeResult{ID: id, Status: status}
			if opts.DryRun && status == tandem.StatusCreated {
				results[i].ID = 0 // its id goes with the rollback
			}
		}
		if err := tx.flushDealBatch(ctx); err != nil {
			return err
		}
		tx.deferred = nil
		if err := tx.appendEvents(ctx, pending); err != nil {
			return err
		}
		if err := tx.writeDealStageEntries(ctx, pending); err != nil {
			return err
		}
		if opts.DryRun {
			return errRollback
		}
		return nil
	})
	return results, err
}

// importDealAlone imports a row that needs more than the batch holds, on
// its own: the batch's writes so far are written first, the row runs
// statement by statement in a savepoint (undone on its own when it turns
// out to be bad half-way: its lead cannot follow the deal, say), and the
// batch reads again what the row changed.
func (tx *Tx) importDealAlone(ctx context.Context, st sla.DealStages, row dealRow, opts DealImportOptions) (int64, string, error) {
	if err := tx.flushDealBatch(ctx); err != nil {
		return 0, "", err
	}
	// On SQLite ids are reserved from the largest: the row may take them.
	tx.batch.ids = nil
	if _, err := tx.ExecContext(ctx, `SAVEPOINT deal_row`); err != nil {
		return 0, "", err
	}
	id, status, err := tx.importDeal(ctx, st, row, opts)
	if code := tandem.ErrorCode(err); code == tandem.EINTERNAL {
		return 0, "", err
	} else if err != nil {
		if _, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT deal_row`); err != nil {
			return 0, "", err
		}
		return 0, "", err
	}
	if _, err := tx.ExecContext(ctx, `RELEASE SAVEPOINT deal_row`); err != nil {
		return 0, "", err
	}
	ls, le := row.in.LeadKey(opts.DefaultSource)
	ds, de := row.in.Key(opts.DefaultSource)
	return id, status, tx.refreshDealBatch(ctx, [2]string{ls, le}, [2]string{ds, de})
}

// ExpectedCloseAttribute is the attribute that keeps the close date an
// import gives an open deal: the date its source expects it to close.
const ExpectedCloseAttribute = "expected_close_date"

// dealRow is a deal input whose stage is read: a stage of the pipeline
// stands as "open" in in, and is open.
type dealRow struct {
	in   tandem.DealInput
	open string // the open stage the input names, "" for none
	// stage is the deal stage (open, won, lost) the input names, "" for
	// none.
	stage string
}

// resolveDealRow reads the stage an input names, in its fields or its
// initial values: EINVALID naming "stage" for a name that is not a stage
// of the pipeline st.
func resolveDealRow(st sla.DealStages, in tandem.DealInput) (dealRow, error) {
	row := dealRow{in: in}
	for _, m := range []*map[string]string{&row.in.Fields, &row.in.Initial} {
		name := (*m)["stage"]
		if name == "" {
			continue
		}
		stage, open, err := st.Resolve(name)
		if err != nil {
			return row, err
		}
		if stage != name {
			*m = maps.Clone(*m)
			(*m)["stage"] = stage
		}
		if row.stage == "" { // the fields' stage wins over the initial one
			row.stage, row.open = stage, open
		}
	}
	// The close date of an open deal in a CRM export is the date the CRM
	// expects it to close: kept, as an attribute, not as a close.
	if row.stage == tandem.DealOpen {
		for _, m := range []*map[string]string{&row.in.Fields, &row.in.Initial} {
			if v := (*m)["closed_at"]; v != "" {
				*m = maps.Clone(*m)
				delete(*m, "closed_at")
				(*m)[tandem.AttributePrefix+ExpectedCloseAttribute] = v
			}
		}
	}
	if row.stage == tandem.DealLost && row.in.Fields["lost_reason"] == "" && row.in.Initial["lost_reason"] == "" {
		row.in.Initial = maps.Clone(row.in.Initial)
		if row.in.Initial == nil {
			row.in.Initial = map[string]string{}
		}
		row.in.Initial["lost_reason"] = tandem.LostReasonUnspecified
	}
	return row, nil
}

// createDealLeads creates the lead of each good row whose lead is not
// found, once per lead, so that an opportunities file imports without a
// leads file: the lead is sales-sourced (origin prospecting), takes the
// deal's account as its company, and is created in the opportunity stage
// when the deal was engaged (or created, or else now). Its entry into
// opportunity opens no deal of Tandem's: the row's deal is its deal,
// opened in the stage the row names. A row whose deal is bad (its values,
// its owner) gets its error in results and creates no lead; a lead the
// intake refuses rejects every row that names it.
func (tx *Tx) createDealLeads(ctx context.Context, rows []dealRow, results []IntakeResult, opts DealImportOptions) error {
	type want struct {
		rows []int
		in   tandem.LeadInput
	}
	byKey := map[[2]string]*want{}
	var keys [][2]string
	for i, row := range rows {
		if results[i].Err != nil {
			continue
		}
		source, ext := row.in.LeadKey(opts.DefaultSource)
		k := [2]string{source, ext}
		if w := byKey[k]; w != nil {
			w.rows = append(w.rows, i)
			continue
		}
		if ext == "" || !tandem.ValidKey(source, ext) {
			continue // importDeal says what is wrong
		}
		byKey[k] = &want{rows: []int{i}}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil
	}
	found := map[[2]string]bool{}
	for len(keys) > 0 {
		chunk := keys[:min(len(keys), 1000)]
		keys = keys[len(chunk):]
		cond, args := tx.db.d.keyIn("source", "external_id", chunk, 1)
		err := tx.scanKeys(ctx, `SELECT source, external_id FROM leads WHERE external_id <> '' AND `+cond, args, func(k [2]string) { found[k] = true })
		if err != nil {
			return fmt.Errorf("find the deals' leads: %w", err)
		}
	}
	var inputs []tandem.LeadInput
	var wants []*want
	for i, row := range rows {
		if results[i].Err != nil {
			continue
		}
		source, ext := row.in.LeadKey(opts.DefaultSource)
		k := [2]string{source, ext}
		w := byKey[k]
		if w == nil || found[k] || w.rows[0] != i {
			continue
		}
		// The deal must be good before its lead is made: a row rejected
		// for its own values leaves nothing behind.
		probe := tandem.Lead{CreatedAt: tx.Now}
		_, _, err := tandem.MergeDeal(nil, row.in, &probe, 0, tx.Now)
		if err == nil {
			_, err = tx.dealOwner(ctx, row.in.Owner())
		}
		if code := tandem.ErrorCode(err); code == tandem.EINTERNAL {
			return err
		} else if err != nil {
			for _, j := range w.rows {
				results[j].Err = err
			}
			continue
		}
		created := row.in.Fields["engaged_at"]
		for _, f := range []string{"engaged_at", "created_at", "closed_at"} {
			if created == "" {
				created = row.in.Fields[f]
			}
			if created == "" {
				created = row.in.Initial[f]
			}
		}
		if created == "" {
			created = tandem.FormatTime(tx.Now)
		}
		fields := map[string]string{"source": source, "external_id": ext, "stage": tandem.StageOpportunity,
			"origin": "prospecting", "created_at": created}
		if a := row.in.Fields["account"]; a != "" {
			fields["company"] = a
		}
		w.in = tandem.LeadInput{Fields: fields, Reason: "lead of a deal imported without one"}
		inputs = append(inputs, w.in)
		wants = append(wants, w)
		if tx.importsDeal == nil {
			tx.importsDeal = map[[2]string]bool{}
		}
		tx.importsDeal[k] = true
	}
	if len(inputs) == 0 {
		return nil
	}
	res := make([]IntakeResult, len(inputs))
	tx.batch.holdLeads = true
	err := tx.intakeLeads(ctx, inputs, IntakeOptions{DefaultSource: opts.DefaultSource, Actor: opts.Actor}, res)
	tx.batch.holdLeads = false
	tx.importsDeal = nil
	if err != nil {
		return err
	}
	for j, r := range res {
		if r.Status != tandem.StatusRejected {
			continue
		}
		for _, i := range wants[j].rows {
			results[i].Err = tandem.Errorf(tandem.ErrorCode(r.Err), "the deal's lead cannot be created: %s", tandem.ErrorMessage(r.Err))
			if fs := tandem.ErrorFields(r.Err); len(fs) > 0 {
				results[i].Err = tandem.Invalid(tandem.FieldError{Field: tandem.DealFieldLeadExternalID,
					Message: fmt.Sprintf("the deal's lead cannot be created: %s: %s", fs[0].Field, fs[0].Message)})
			}
		}
	}
	return nil
}

// scanKeys runs a query of (source, external_id) pairs and calls fn with each.
func (tx *Tx) scanKeys(ctx context.Context, q string, args []any, fn func([2]string)) error {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k [2]string
		if err := rows.Scan(&k[0], &k[1]); err != nil {
			return err
		}
		fn(k)
	}
	return rows.Err()
}

// dealOwner returns the id of the user a deal input names as owner, by
// email, or 0 for none: EINVALID naming the owner for no such user.
func (tx *Tx) dealOwner(ctx context.Context, email string) (int64, error) {
	if email == "" {
		return 0, nil
	}
	if b := tx.batch; b != nil {
		// Users do not change in an import of deals.
		a, ok := b.owners[email]
		if !ok {
			a.id, a.err = tx.findDealOwner(ctx, email)
			if code := tandem.ErrorCode(a.err); code == tandem.EINTERNAL {
				return 0, a.err
			}
			if b.owners == nil {
				b.owners = map[string]ownerAnswer{}
			}
			b.owners[email] = a
		}
		return a.id, a.err
	}
	return tx.findDealOwner(ctx, email)
}

func (tx *Tx) findDealOwner(ctx context.Context, email string) (int64, error) {
	u, err := tx.userByEmailOrName(ctx, email)
	if tandem.ErrorCode(err) == tandem.ENOTFOUND {
		return 0, tandem.Invalid(tandem.FieldError{Field: tandem.DealFieldOwner,
			Message: fmt.Sprintf("no user with %s: add the user first (tandem user add, or tandem import users)", userRef(email))})
	} else if err != nil {
		return 0, err
	}
	return u.ID, nil
}

func (tx *Tx) importDeal(ctx context.Context, st sla.DealStages, row dealRow, opts DealImportOptions) (int64, string, error) {
	in := row.in
	source, ext := in.Key(opts.DefaultSource)
	leadSource, leadExt := in.LeadKey(opts.DefaultSource)
	keyField := tandem.DealFieldLeadExternalID
	switch {
	case leadExt == "":
		return 0, "", tandem.Invalid(tandem.FieldError{Field: keyField, Message: "is required: a deal's lead is known by its source and external_id (or by the deal's own external_id)"})
	case !tandem.ValidKey(leadSource, leadExt):
		return 0, "", tandem.Invalid(tandem.FieldError{Field: keyField, Message: fmt.Sprintf("%q is not a lead key: at most %d bytes of UTF-8", leadExt, tandem.MaxKeyBytes)})
	case !tandem.ValidKey(source, ext):
		return 0, "", tandem.Invalid(tandem.FieldError{Field: "external_id", Message: fmt.Sprintf("%q is not a deal key: at most %d bytes of UTF-8", ext, tandem.MaxKeyBytes)})
	}
	b := tx.batch
	batched := tx.buffering()
	var lead tandem.Lead
	var leadAccount int64 // the lead's account, when batched
	var err error
	if batched {
		bl := b.leads[[2]string{leadSource, leadExt}]
		if bl == nil {
			err = sql.ErrNoRows
		} else {
			lead, leadAccount = bl.lead.Clone(), bl.accountID
		}
	} else {
		// external_id <> '' lets SQLite use the partial index on the key.
		lead, err = scanLead(tx.QueryRowContext(ctx, `SELECT `+leadColumns+` FROM leads WHERE external_id <> '' AND source = $1 AND external_id = $2`+
			tx.db.d.forUpdate(), leadSource, leadExt))
	}
	if err == sql.ErrNoRows {
		return 0, "", tandem.Invalid(tandem.FieldError{Field: keyField,
			Message: fmt.Sprintf("no lead with source %q and external_id %q: import the leads first", leadSource, leadExt)})
	} else if err != nil {
		return 0, "", fmt.Errorf("find lead %s/%s: %w", leadSource, leadExt, err)
	}
	var cur, open tandem.Deal
	var found, hasOpen bool
	if batched {
		cur, found = b.deals[[2]string{source, ext}]
		open, hasOpen = b.open[lead.ID]
		cur, open = cur.Clone(), open.Clone()
	} else if cur, found, err = tx.dealWhere(ctx, true, `source = $1 AND external_id = $2 AND external_id <> ''`, source, ext); err != nil {
		return 0, "", err
	}
	if found && cur.LeadID != lead.ID {
		return 0, "", tandem.Invalid(tandem.FieldError{Field: keyField,
			Message: fmt.Sprintf("deal %d (source %q, external_id %q) belongs to lead %d, not to lead %d", cur.ID, source, ext, cur.LeadID, lead.ID)})
	}
	if !batched {
		if open, hasOpen, err = tx.dealWhere(ctx, true, `lead_id = $1 AND stage = 'open'`, lead.ID); err != nil {
			return 0, "", err
		}
	}
	adopt := !found && hasOpen && open.ExternalID == ""
	if adopt {
		cur, found = open, true
	}
	var curp *tandem.Deal
	if found {
		curp = &cur
	}
	// A lost deal whose source gives no reason is lost for an unspecified
	// one, rather than refused.
	// (resolveDealRow gives a new deal its initial reason.)
	if row.stage == tandem.DealLost && found && !cur.Closed() && in.Fields["lost_reason"] == "" {
		in.Fields = maps.Clone(in.Fields)
		if in.Fields == nil {
			in.Fields = map[string]string{}
		}
		in.Fields["lost_reason"] = cmp.Or(in.Initial["lost_reason"], tandem.LostReasonUnspecified)
	}
	// The owner a row names; a constant or default owner only fills a new
	// deal, like every initial value.
	email := in.Fields[tandem.DealFieldOwner]
	if !found && email == "" {
		email = in.Owner()
	}
	ownerID, err := tx.dealOwner(ctx, email)
	if err != nil {
		return 0, "", err
	}
	next, changes, err := tandem.MergeDeal(curp, in, &lead, ownerID, tx.Now)
	if err != nil {
		return 0, "", err
	}
	next.UpdatedAt = tx.Now
	var evs []tandem.Event
	status := tandem.StatusUpdated
	switch {
	case !found && next.Stage == tandem.DealOpen:
		next.PipelineStage, next.StageChangedAt = st.Opened(row.open), next.CreatedAt
	case !found:
		next.PipelineStage, next.StageChangedAt = row.open, next.ClosedAt
	case next.Closed() && !cur.Closed():
		next.StageChangedAt = next.ClosedAt
	case !next.Closed() && row.open != "":
		var ev tandem.Event
		var moved bool
		if next, ev, moved, err = st.Move(next, row.open, tx.Now); err != nil {
			return 0, "", err
		} else if moved {
			changes = append(changes, tandem.FieldChange{Field: "pipeline_stage", From: cur.PipelineStage, To: row.open})
			evs = append(evs, ev)
		}
	}
	switch {
	case !found:
		if next.Stage == tandem.DealOpen && hasOpen {
			return 0, "", tandem.Errorf(tandem.ECONFLICT, "lead %d has an open deal already (deal %d, source %q, external_id %q): close it first",
				lead.ID, open.ID, open.Source, open.ExternalID)
		}
		next.Source, next.ExternalID = source, ext
		if err := tx.insertDeal(ctx, &next); err != nil {
			return 0, "", err
		}
		status = tandem.StatusCreated
		opened := tandem.Event{Type: tandem.EventDealOpened, OccurredAt: next.CreatedAt, Detail: map[string]string{
			"deal": strconv.FormatInt(next.ID, 10), "source": source, "external_id": ext}}
		if next.PipelineStage != "" {
			opened.Detail["stage"] = next.PipelineStage
		}
		evs = append(evs, opened)
		if next.Closed() {
			evs = append(evs, closeEvent(next))
		}
	default:
		if adopt {
			next.Source, next.ExternalID = source, ext
			changes = append(changes, tandem.FieldChange{Field: "source", To: source}, tandem.FieldChange{Field: "external_id", To: ext})
		}
		if len(changes) == 0 {
			return cur.ID, tandem.StatusUnchanged, nil
		}
		if err := tx.updateDeal(ctx, &next); err != nil {
			return 0, "", err
		}
		closing := !cur.Closed() && next.Closed()
		detail := map[string]string{}
		for _, c := range changes {
			switch c.Field {
			case "stage", "pipeline_stage":
				continue
			case tandem.DealFieldAmount, "closed_at", "lost_reason":
				if closing {
					continue // the close event holds them
				}
			}
			detail[c.Field] = c.To
		}
		if closing {
			evs = append(evs, closeEvent(next))
		}

		if len(detail) > 0 {
			detail["deal"] = strconv.FormatInt(next.ID, 10)
			evs = append(evs, tandem.Event{Type: tandem.EventDealUpdated, OccurredAt: tx.Now, Detail: detail})
		}
	}
	settled, err := tx.settle(ctx, lead, next, evs, opts.Actor)
	if err != nil {
		return 0, "", err
	}
	if !batched {
		return next.ID, status, tx.linkCatalog(ctx, next)
	}
	account, product, err := tx.batchCatalog(ctx, next)
	if err != nil {
		return 0, "", err
	}
	bd := b.row.deal(next.ID)
	bd.accountID, bd.productID = account, product
	bl := b.row.lead(lead.ID)
	bl.lead = settled.Clone()
	if leadAccount == 0 && account != 0 {
		bl.accountID, leadAccount = account, account
	}
	// What the next rows of the batch read.
	b.leads[[2]string{leadSource, leadExt}] = &batchLead{lead: settled, accountID: leadAccount}
	if next.ExternalID != "" {
		b.deals[[2]string{next.Source, next.ExternalID}] = next
	}
	if next.Stage == tandem.DealOpen {
		b.open[lead.ID] = next
	} else if o, ok := b.open[lead.ID]; ok && o.ID == next.ID {
		delete(b.open, lead.ID)
	}
	return next.ID, status, nil
}

// dealStageEntry is a row of the deal_stage_entries table: the first time a
// deal entered a stage (an open stage of the pipeline, won or lost).
type dealStageEntry struct {
	dealID int64
	stage  string
	at     time.Time
}

// dealStageEntriesOf returns the deal stage entries that events give, the
// earliest for each deal and stage, ordered by deal and stage: a deal
// enters the stage its deal_opened event names, the "to" of a
// deal_stage_changed event, and won or lost with its close.
func dealStageEntriesOf(events []tandem.Event) []dealStageEntry {
	type key struct {
		deal  int64
		stage string
	}
	first := map[key]time.Time{}
	for _, e := range events {
		var stage string
		switch e.Type {
		case tandem.EventDealOpened:
			stage = e.Detail["stage"]
		case tandem.EventDealStageChanged:
			stage = e.Detail["to"]
		case tandem.EventDealWon:
			stage = tandem.DealWon
		case tandem.EventDealLost:
			stage = tandem.DealLost
		}
		id, err := strconv.ParseInt(e.Detail["deal"], 10, 64)
		if stage == "" || err != nil {
			continue
		}
		k := key{id, stage}
		if t, ok := first[k]; !ok || e.OccurredAt.Before(t) {
			first[k] = e.OccurredAt
		}
	}
	out := make([]dealStageEntry, 0, len(first))
	for k, t := range first {
		out = append(out, dealStageEntry{k.deal, k.stage, t})
	}
	slices.SortFunc(out, func(a, b dealStageEntry) int {
		return cmp.Or(cmp.Compare(a.dealID, b.dealID), strings.Compare(a.stage, b.stage))
	})
	return out
}

// writeDealStageEntries records the deal stage entries that events give,
// keeping the earlier time of an entry already recorded.
func (tx *Tx) writeDealStageEntries(ctx context.Context, events []tandem.Event) error {
	if tx.deferred != nil {
		return nil // written from the deferred events, with them
	}
	entries := dealStageEntriesOf(events)
	for len(entries) > 0 {
		// One statement per chunk: a batch of deals enters thousands.
		chunk := entries[:min(len(entries), 300)]
		entries = entries[len(chunk):]
		values := make([]string, len(chunk))
		args := make([]any, 0, 3*len(chunk))
		for i, e := range chunk {
			values[i] = fmt.Sprintf("($%d, $%d, $%d)", 3*i+1, 3*i+2, 3*i+3)
			args = append(args, e.dealID, e.stage, tx.t(e.at))
		}
		_, err := tx.Tx.ExecContext(ctx, `INSERT INTO deal_stage_entries (deal_id, stage, entered_at) VALUES `+strings.Join(values, ", ")+`
			ON CONFLICT (deal_id, stage) DO UPDATE SET entered_at = excluded.entered_at
			WHERE excluded.entered_at < deal_stage_entries.entered_at`, args...)
		if err != nil {
			return fmt.Errorf("write deal stage entries: %w", err)
		}
	}
	return nil
}

// DealStageEntries returns when the deal entered each stage it has been
// in (an open stage of the pipeline, won, lost), in time order, for its
// time in stage: ENOTFOUND for no such deal.
func (db *DB) DealStageEntries(ctx context.Context, id int64) (entries []tandem.DealStageEntry, err error) {
	defer wrap(&err, "stage entries of deal %d", id)
	err = db.view(ctx, func(tx *Tx) error {
		if _, err := tx.deal(ctx, id, false); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT stage, entered_at FROM deal_stage_entries WHERE deal_id = $1`, id)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e tandem.DealStageEntry
			if err := rows.Scan(&e.Stage, scanTime{&e.EnteredAt}); err != nil {
				return err
			}
			entries = append(entries, e)
		}
		return rows.Err()
	})
	slices.SortStableFunc(entries, func(a, b tandem.DealStageEntry) int {
		return cmp.Or(a.EnteredAt.Compare(b.EnteredAt), strings.Compare(a.Stage, b.Stage))
	})
	return entries, err
}

// MoveDealStage moves an open deal to another open stage of the pipeline
// of the agreement in force, now, and records the move in its lead's
// ledger (a deal_stage_changed event): ENOTFOUND for no such deal,
// EINVALID for a stage that is not an open stage of the pipeline (won and
// lost have [DB.WinDeal] and [DB.LoseDeal]), ECONFLICT for a closed deal.
// A move to the stage the deal is in changes nothing.
func (db *DB) MoveDealStage(ctx context.Context, id int64, stage, actor string) (tandem.Deal, error) {
	return db.moveDealStage(ctx, id, stage, actor, nil)
}

// MoveDealStageAs is [DB.MoveDealStage] for a caller of the API, who must
// be allowed to work the deal's lead as for [DB.WinDealAs].
func (db *DB) MoveDealStageAs(ctx context.Context, id int64, stage string, tok tandem.Token) (tandem.Deal, error) {
	return db.moveDealStage(ctx, id, stage, tok.Actor(), &tok)
}

func (db *DB) moveDealStage(ctx context.Context, id int64, stage, actor string, tok *tandem.Token) (d tandem.Deal, err error) {
	defer wrap(&err, "move deal %d to %s", id, stage)
	err = db.transact(ctx, func(tx *Tx) error {
		cur, err := tx.deal(ctx, id, true)
		if err != nil {
			return err
		}
		st, err := tx.dealStages(ctx)
		if err != nil {
			return err
		}
		next, ev, moved, err := st.Move(cur, stage, tx.Now)
		if err != nil || !moved {
			d = cur
			return err
		}
		lead, err := tx.lead(ctx, cur.LeadID, true)
		if err != nil {
			return err
		}
		if tok != nil {
			if h, ok, err := tx.openHandoff(ctx, lead.ID); err != nil {
				return err
			} else if ok {
				if err := tx.mayWork(ctx, *tok, lead.ID, h.OwnerID); err != nil {
					return err
				}
			}
		}
		next.UpdatedAt = tx.Now
		if err := tx.updateDeal(ctx, &next); err != nil {
			return err
		}
		d = next
		_, err = tx.settle(ctx, lead, next, []tandem.Event{ev}, actor)
		return err
	})
	return d, err
}
