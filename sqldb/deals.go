package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sla"
)

// dealColumns are the columns scanDeal reads, in its order.
const dealColumns = `id, lead_id, source, external_id, owner_id, stage, amount_cents, created_at, engaged_at, closed_at,
	lost_reason, account, product, attributes, updated_at`

func scanDeal(s scanner) (tandem.Deal, error) {
	var d tandem.Deal
	var owner sql.NullInt64
	var attrs string
	err := s.Scan(&d.ID, &d.LeadID, &d.Source, &d.ExternalID, &owner, &d.Stage, &d.AmountCents, scanTime{&d.CreatedAt},
		scanTime{&d.EngagedAt}, scanTime{&d.ClosedAt}, &d.LostReason, &d.Account, &d.Product, scanJSON{&attrs}, scanTime{&d.UpdatedAt})
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
	err := tx.QueryRowContext(ctx, `INSERT INTO deals (lead_id, source, external_id, owner_id, stage, amount_cents, created_at, engaged_at,
		closed_at, lost_reason, account, product, attributes, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
		RETURNING id`, d.LeadID, d.Source, d.ExternalID, nullID(d.OwnerID), d.Stage, d.AmountCents, tx.t(d.CreatedAt), tx.t(d.EngagedAt),
		tx.t(d.ClosedAt), d.LostReason, d.Account, d.Product, attributesJSON(d.Attributes), tx.t(d.UpdatedAt)).Scan(&d.ID)
	if err != nil {
		return fmt.Errorf("insert deal of lead %d: %w", d.LeadID, err)
	}
	return nil
}

func (tx *Tx) updateDeal(ctx context.Context, d *tandem.Deal) error {
	_, err := tx.ExecContext(ctx, `UPDATE deals SET source = $2, external_id = $3, owner_id = $4, stage = $5, amount_cents = $6,
		created_at = $7, engaged_at = $8, closed_at = $9, lost_reason = $10, account = $11, product = $12, attributes = $13,
		updated_at = $14 WHERE id = $1`, d.ID, d.Source, d.ExternalID, nullID(d.OwnerID), d.Stage, d.AmountCents, tx.t(d.CreatedAt),
		tx.t(d.EngagedAt), tx.t(d.ClosedAt), d.LostReason, d.Account, d.Product, attributesJSON(d.Attributes), tx.t(d.UpdatedAt))
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
		where = append(where, "stage = "+arg(f.Stage))
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
	cond := strings.Join(where, " AND ")
	err = db.view(ctx, func(tx *Tx) error {
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
	if !sla.OpensDeal(from, to) {
		return nil, nil
	}
	if _, ok, err := tx.dealWhere(ctx, true, `lead_id = $1 AND stage = 'open'`, l.ID); err != nil || ok {
		return nil, err
	}
	lc, err := tx.lifecycle(ctx)
	if err != nil {
		return nil, err
	}
	d := tandem.Deal{LeadID: l.ID, OwnerID: l.OwnerID, Stage: tandem.DealOpen, CreatedAt: l.StageChangedAt,
		EngagedAt: l.CreatedAt, UpdatedAt: tx.Now}
	if err := tx.insertDeal(ctx, &d); err != nil {
		return nil, err
	}
	ev := tandem.Event{LeadID: l.ID, Type: tandem.EventDealOpened, OccurredAt: l.StageChangedAt, Actor: "system",
		Reason: "entered " + to, AgreementVersion: lc.Version(), Detail: map[string]string{"deal": strconv.FormatInt(d.ID, 10)}}
	if err := l.Apply(&ev); err != nil {
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
	if d.Stage == tandem.DealLost {
		if _, other, err = tx.dealWhere(ctx, false, `lead_id = $1 AND stage = 'open' AND id <> $2`, l.ID, d.ID); err != nil {
			return cur, err
		}
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
		d.Stage, d.LostReason, d.ClosedAt, d.UpdatedAt = tandem.DealLost, reason, tx.Now, tx.Now
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
		loc, err := tx.zone(ctx)
		if err != nil {
			return err
		}
		for i, in := range inputs {
			// A date without an offset is its day in the agreement's zone.
			in := dealInZone(in, loc)
			// Each row is undone on its own when it turns out to be bad
			// half-way (its lead cannot follow the deal, say).
			if _, err := tx.ExecContext(ctx, `SAVEPOINT deal_row`); err != nil {
				return err
			}
			id, status, err := tx.importDeal(ctx, in, opts)
			if code := tandem.ErrorCode(err); code == tandem.EINTERNAL {
				return err
			} else if err != nil {
				if _, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT deal_row`); err != nil {
					return err
				}
				results[i] = IntakeResult{Status: tandem.StatusRejected, Err: err}
				continue
			}
			if _, err := tx.ExecContext(ctx, `RELEASE SAVEPOINT deal_row`); err != nil {
				return err
			}
			results[i] = IntakeResult{ID: id, Status: status}
			if opts.DryRun && status == tandem.StatusCreated {
				results[i].ID = 0 // its id goes with the rollback
			}
		}
		if opts.DryRun {
			return errRollback
		}
		return nil
	})
	return results, err
}

func (tx *Tx) importDeal(ctx context.Context, in tandem.DealInput, opts DealImportOptions) (int64, string, error) {
	source, ext := in.Key(opts.DefaultSource)
	leadSource, leadExt := in.LeadKey(opts.DefaultSource)
	keyField := tandem.DealFieldLeadExternalID
	switch {
	case leadExt == "":
		return 0, "", tandem.Invalid(tandem.FieldError{Field: keyField, Message: "is required: a deal's lead is known by its source and external_id"})
	case !tandem.ValidKey(leadSource, leadExt):
		return 0, "", tandem.Invalid(tandem.FieldError{Field: keyField, Message: fmt.Sprintf("%q is not a lead key: at most %d bytes of UTF-8", leadExt, tandem.MaxKeyBytes)})
	case !tandem.ValidKey(source, ext):
		return 0, "", tandem.Invalid(tandem.FieldError{Field: "external_id", Message: fmt.Sprintf("%q is not a deal key: at most %d bytes of UTF-8", ext, tandem.MaxKeyBytes)})
	}
	// external_id <> '' lets SQLite use the partial index on the key.
	lead, err := scanLead(tx.QueryRowContext(ctx, `SELECT `+leadColumns+` FROM leads WHERE external_id <> '' AND source = $1 AND external_id = $2`+
		tx.db.d.forUpdate(), leadSource, leadExt))
	if err == sql.ErrNoRows {
		return 0, "", tandem.Invalid(tandem.FieldError{Field: keyField,
			Message: fmt.Sprintf("no lead with source %q and external_id %q: import the leads first", leadSource, leadExt)})
	} else if err != nil {
		return 0, "", fmt.Errorf("find lead %s/%s: %w", leadSource, leadExt, err)
	}
	cur, found, err := tx.dealWhere(ctx, true, `source = $1 AND external_id = $2 AND external_id <> ''`, source, ext)
	if err != nil {
		return 0, "", err
	}
	if found && cur.LeadID != lead.ID {
		return 0, "", tandem.Invalid(tandem.FieldError{Field: keyField,
			Message: fmt.Sprintf("deal %d (source %q, external_id %q) belongs to lead %d, not to lead %d", cur.ID, source, ext, cur.LeadID, lead.ID)})
	}
	open, hasOpen, err := tx.dealWhere(ctx, true, `lead_id = $1 AND stage = 'open'`, lead.ID)
	if err != nil {
		return 0, "", err
	}
	adopt := !found && hasOpen && open.ExternalID == ""
	if adopt {
		cur, found = open, true
	}
	var curp *tandem.Deal
	if found {
		curp = &cur
	}
	// The owner a row names; a constant or default owner only fills a new
	// deal, like every initial value.
	var ownerID int64
	email := in.Fields[tandem.DealFieldOwner]
	if !found && email == "" {
		email = in.Owner()
	}
	if email != "" {
		u, err := tx.userByEmailOrName(ctx, email)
		if tandem.ErrorCode(err) == tandem.ENOTFOUND {
			return 0, "", tandem.Invalid(tandem.FieldError{Field: tandem.DealFieldOwner,
				Message: fmt.Sprintf("no user with %s: add the user first (tandem user add, or tandem import users)", userRef(email))})
		} else if err != nil {
			return 0, "", err
		}
		ownerID = u.ID
	}
	next, changes, err := tandem.MergeDeal(curp, in, &lead, ownerID, tx.Now)
	if err != nil {
		return 0, "", err
	}
	next.UpdatedAt = tx.Now
	var evs []tandem.Event
	status := tandem.StatusUpdated
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
		evs = append(evs, tandem.Event{Type: tandem.EventDealOpened, OccurredAt: next.CreatedAt, Detail: map[string]string{
			"deal": strconv.FormatInt(next.ID, 10), "source": source, "external_id": ext}})
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
			case "stage":
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
	if _, err := tx.settle(ctx, lead, next, evs, opts.Actor); err != nil {
		return 0, "", err
	}
	return next.ID, status, tx.linkCatalog(ctx, next)
}
