package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/access"
	"github.com/tandemhq/tandem/outbox"
)

// leadColumns are the columns of the leads table, in the order leadRow and
// scanLead use. The settable ones carry the names of tandem.LeadFields.
const leadColumns = `id, source, external_id, email, first_name, last_name, company, title, phone, country,
	segment, territory, origin, campaign, landing_page, utm_source, utm_medium, utm_campaign, utm_term,
	utm_content, owner_id, score, stage, attributes, created_at, updated_at, stage_changed_at, version`

// qualifiedLeadColumns are leadColumns named as leads' own, for a query
// that joins another table.
var qualifiedLeadColumns = func() string {
	cols := strings.Split(leadColumns, ",")
	for i := range cols {
		cols[i] = "leads." + strings.TrimSpace(cols[i])
	}
	return strings.Join(cols, ", ")
}()

var leadInsertColumns = func() []string {
	cols := strings.Split(leadColumns, ",")
	for i := range cols {
		cols[i] = strings.TrimSpace(cols[i])
	}
	return cols
}()

func leadRow(l *tandem.Lead) []any {
	attrs := "{}"
	if len(l.Attributes) > 0 {
		b, _ := json.Marshal(l.Attributes)
		attrs = string(b)
	}
	return []any{l.ID, l.Source, l.ExternalID, l.Email, l.FirstName, l.LastName, l.Company, l.Title, l.Phone, l.Country,
		l.Segment, l.Territory, l.Origin, l.Campaign, l.LandingPage, l.UTMSource, l.UTMMedium, l.UTMCampaign, l.UTMTerm,
		l.UTMContent, l.OwnerID, l.Score, l.Stage, attrs, l.CreatedAt, l.UpdatedAt, l.StageChangedAt, l.Version}
}

type scanner interface{ Scan(dest ...any) error }

func scanLead(s scanner) (tandem.Lead, error) {
	var l tandem.Lead
	var attrs string
	dest := make([]any, len(leadInsertColumns))
	for i, c := range leadInsertColumns {
		dest[i] = leadField(&l, c, &attrs)
	}
	if err := s.Scan(dest...); err != nil {
		return l, err
	}
	return l, setAttributes(&l, attrs)
}

// setAttributes reads a lead's attributes from their JSON text.
func setAttributes(l *tandem.Lead, attrs string) error {
	if attrs == "" || attrs == "{}" {
		return nil
	}
	if err := json.Unmarshal([]byte(attrs), &l.Attributes); err != nil {
		return fmt.Errorf("lead %d attributes: %w", l.ID, err)
	}
	return nil
}

// leadField returns where the column of leads with the name is scanned
// into l (attributes as JSON text into attrs): the one mapping scanLead
// and the reports' narrower reads share; nil for a name that is no column.
func leadField(l *tandem.Lead, name string, attrs *string) any {
	switch name {
	case "id":
		return &l.ID
	case "source":
		return &l.Source
	case "external_id":
		return &l.ExternalID
	case "email":
		return &l.Email
	case "first_name":
		return &l.FirstName
	case "last_name":
		return &l.LastName
	case "company":
		return &l.Company
	case "title":
		return &l.Title
	case "phone":
		return &l.Phone
	case "country":
		return &l.Country
	case "segment":
		return &l.Segment
	case "territory":
		return &l.Territory
	case "origin":
		return &l.Origin
	case "campaign":
		return &l.Campaign
	case "landing_page":
		return &l.LandingPage
	case "utm_source":
		return &l.UTMSource
	case "utm_medium":
		return &l.UTMMedium
	case "utm_campaign":
		return &l.UTMCampaign
	case "utm_term":
		return &l.UTMTerm
	case "utm_content":
		return &l.UTMContent
	case "owner_id":
		return &l.OwnerID
	case "score":
		return &l.Score
	case "stage":
		return &l.Stage
	case "created_at":
		return scanTime{&l.CreatedAt}
	case "updated_at":
		return scanTime{&l.UpdatedAt}
	case "stage_changed_at":
		return scanTime{&l.StageChangedAt}
	case "version":
		return &l.Version
	case "attributes":
		return scanJSON{attrs}
	}
	return nil
}

// IntakeOptions say who sends a batch of leads and how.
type IntakeOptions struct {
	// DefaultSource is the source of an input that names none.
	DefaultSource string
	// Actor is recorded on every event ("token:NAME", "import:FILE").
	Actor string
	// DryRun computes every outcome and writes nothing.
	DryRun bool
	// As is the token of the caller who sends the batch, whom the lead
	// rule ([access.CanChange]) checks every input against; nil for the
	// operator at the command line (and the simulator), who may do what
	// an admin may ([access.Operator]).
	As *tandem.Token
}

// IntakeResult is the outcome for one input of a batch, in input order.
type IntakeResult struct {
	ID     int64  // 0 for a rejected input or a lead a dry run would create
	Status string // tandem.StatusCreated, StatusUpdated, StatusUnchanged or StatusRejected
	Err    error  // why the input was rejected: an EINVALID or EFORBIDDEN *tandem.Error
}

// IntakeLeads creates or updates one lead per input, in one transaction.
// Inputs are idempotent by (source, external_id): sending a batch again
// creates nothing new and reports each lead unchanged. A bad input is
// rejected with its reasons and does not stop the others. The entry rules of
// the agreement in force run on every created or changed lead; each change
// is written to the ledger with the lead's new row. An input the caller may
// not make (see [access.CanChange]) is rejected with EFORBIDDEN naming the
// lead and its owner, and an owner_id that is no user in sales with
// EINVALID; either changes nothing.
func (db *DB) IntakeLeads(ctx context.Context, inputs []tandem.LeadInput, opts IntakeOptions) (_ []IntakeResult, err error) {
	defer wrap(&err, "intake leads")
	if opts.DefaultSource == "" {
		opts.DefaultSource = "api"
	}
	var results []IntakeResult
	err = db.transact(ctx, func(tx *Tx) error {
		results = make([]IntakeResult, len(inputs))
		if err := tx.intakeLeads(ctx, inputs, opts, results); err != nil {
			return err
		}
		if opts.DryRun {
			return errRollback
		}
		return nil
	})
	return results, err
}

// intakeLeads is [DB.IntakeLeads] within a transaction: it writes each
// input's outcome to results (of the inputs' length), and rolls nothing
// back for a dry run, which is the caller's to do.
func (tx *Tx) intakeLeads(ctx context.Context, inputs []tandem.LeadInput, opts IntakeOptions, results []IntakeResult) error {
	c := access.Operator(opts.Actor)
	if opts.As != nil {
		var err error
		if c, err = tx.caller(ctx, *opts.As); err != nil {
			return err
		}
	}
	won, err := tx.wonStage(ctx, c)
	if err != nil {
		return err
	}
	lc, err := tx.lifecycle(ctx)
	if err != nil {
		return err
	}
	loc, err := tx.zone(ctx)
	if err != nil {
		return err
	}
	existing, err := tx.leadsByKey(ctx, inputs, opts.DefaultSource)
	if err != nil {
		return err
	}
	// Each lead the batch creates or changes is one piece of work, in
	// first-touched order, however many inputs name it.
	type work struct {
		lead   *tandem.Lead
		events []tandem.Event
		isNew  bool
		from   string // the stage before the batch, "" for a new lead
	}
	var works []*work
	byLead := map[*tandem.Lead]*work{}
	refs := make([]*work, len(inputs)) // the work each result's id comes from
	for i, in := range inputs {
		source, ext := in.Key(opts.DefaultSource)
		var cur *tandem.Lead
		if in.ID != 0 {
			// An edit of a lead named by its id, which keeps its key.
			l, err := tx.leadByID(ctx, in.ID, existing)
			if err == nil {
				err = keepsKey(l, in)
			}
			if err != nil && tandem.ErrorCode(err) == tandem.EINTERNAL {
				return err
			} else if err != nil {
				results[i] = IntakeResult{Status: tandem.StatusRejected, Err: err}
				continue
			}
			cur = l
		} else if ext != "" {
			cur = existing[[2]string{source, ext}]
		}
		// A date without an offset is its day in the agreement's zone.
		ch, err := tandem.Intake(cur, leadInZone(in, loc), lc, opts.DefaultSource, opts.Actor, tx.Now)
		if err == nil {
			// The one lead rule: who may create this lead, or change
			// these fields, its owner or its stage.
			err = tx.mayChange(ctx, c, cur, access.EditOf(ch, opts.Actor), won)
			if err != nil && tandem.ErrorCode(err) == tandem.EINTERNAL {
				return err
			}
		}
		if err == nil && cur != nil {
			// Sending a handed-off lead back to marketing needs the
			// agreement's touches, however it is asked for.
			for _, st := range stageMoves(ch.Events) {
				if err = tx.checkRecycle(ctx, *cur, st[1]); err != nil {
					err = tandem.Invalid(tandem.FieldError{Field: "stage", Message: tandem.ErrorMessage(err)})
					break
				}
			}
		}
		if err != nil {
			results[i] = IntakeResult{Status: tandem.StatusRejected, Err: err}
			continue
		}
		results[i] = IntakeResult{ID: ch.Lead.ID, Status: ch.Status}
		before := cur // the lead before this input, nil for a new one; unchanged until the end of this loop
		w := byLead[cur]
		switch {
		case ch.Status == tandem.StatusUnchanged:
			refs[i] = w // nil for a lead stored before this batch: its id is known
			continue
		case cur == nil:
			l := ch.Lead
			cur = &l
			if ext != "" {
				existing[[2]string{source, ext}] = cur
			}
			w = &work{lead: cur, isNew: true}
		case w == nil:
			w = &work{lead: cur, from: cur.Stage}
		}
		if byLead[cur] == nil {
			byLead[cur] = w
			works = append(works, w)
		}
		// A new campaign on the lead is a marketing touch.
		evs := tandem.WithMarketingTouches(before, ch.Events)
		for j := range evs {
			if evs[j].Type == tandem.EventMarketingTouched {
				if err := ch.Lead.Apply(&evs[j]); err != nil {
					return err
				}
			}
		}
		*cur = ch.Lead
		w.events = append(w.events, evs...)
		refs[i] = w
	}
	created := 0
	for _, w := range works {
		if w.isNew {
			created++
		}
	}
	if created > 0 {
		first, err := tx.db.d.reserveLeadIDs(ctx, tx, created)
		if err != nil {
			return err
		}
		for _, w := range works {
			if w.isNew {
				w.lead.ID = first
				first++
			}
		}
	}
	// Stage changes start and end hand-offs; routing sets owners
	// before the rows are written.
	var eng *engine
	for _, w := range works {
		for _, st := range stageMoves(w.events) {
			if eng == nil {
				if eng, err = tx.engine(ctx); err != nil {
					return err
				}
			}
			evs, err := eng.moved(ctx, w.lead, st[0], st[1], transition{created: w.isNew})
			if err != nil {
				return err
			}
			w.events = append(w.events, evs...)
		}
	}
	if created > 0 {
		newRows := make([][]any, 0, created)
		for _, w := range works {
			if w.isNew {
				newRows = append(newRows, leadRow(w.lead))
			}
		}
		// A batch of deals holds the leads it creates (no hand-off starts
		// for them) and writes each once, as its rows leave it.
		if b := tx.batch; b != nil && b.holdLeads && (eng == nil || len(eng.starts) == 0) {
			for _, w := range works {
				if w.isNew {
					b.held = append(b.held, w.lead)
				}
			}
		} else if err := tx.db.d.bulkInsert(ctx, tx, "leads", leadInsertColumns, newRows); err != nil {
			return err
		}
	}
	var events []tandem.Event
	for _, w := range works {
		if !w.isNew {
			if err := tx.updateLead(ctx, w.lead); err != nil {
				return err
			}
		}
		for _, e := range w.events {
			e.LeadID = w.lead.ID
			events = append(events, e)
		}
	}
	if err := tx.appendEvents(ctx, events); err != nil {
		return err
	}
	if _, err := tx.recordTouches(ctx, events); err != nil {
		return err
	}
	if eng != nil {
		if err := eng.flush(ctx); err != nil {
			return err
		}
	}
	for i, w := range refs {
		switch {
		case w == nil:
		case w.isNew && opts.DryRun:
			results[i].ID = 0 // its reserved id goes with the rollback
		default:
			results[i].ID = w.lead.ID
		}
	}
	return nil
}

// leadByID loads and locks the lead with the id for an input that names
// it, as the batch knows it: the lead of existing if it has the same key.
func (tx *Tx) leadByID(ctx context.Context, id int64, existing map[[2]string]*tandem.Lead) (*tandem.Lead, error) {
	for _, l := range existing {
		if l.ID == id {
			return l, nil
		}
	}
	l, err := tx.lead(ctx, id, true)
	if err != nil {
		return nil, err
	}
	if l.ExternalID != "" {
		existing[[2]string{l.Source, l.ExternalID}] = &l
	}
	return &l, nil
}

// keepsKey refuses an input naming a lead by id that would change the
// lead's (source, external_id): its key is how its source finds it again.
func keepsKey(l *tandem.Lead, in tandem.LeadInput) error {
	var errs []tandem.FieldError
	if v, ok := in.Fields["source"]; ok && v != "" && v != l.Source {
		errs = append(errs, tandem.FieldError{Field: "source", Message: "a lead's source is how its source finds it again: it does not change"})
	}
	if v, ok := in.Fields["external_id"]; ok && v != "" && v != l.ExternalID {
		errs = append(errs, tandem.FieldError{Field: "external_id", Message: "a lead's external id is how its source finds it again: it does not change"})
	}
	if len(errs) > 0 {
		return tandem.Invalid(errs...)
	}
	return nil
}

// leadsByKey loads, and on PostgreSQL locks, the existing leads that the
// inputs name by (source, external_id).
func (tx *Tx) leadsByKey(ctx context.Context, inputs []tandem.LeadInput, defaultSource string) (map[[2]string]*tandem.Lead, error) {
	seen := map[[2]string]bool{}
	var keys [][2]string
	for _, in := range inputs {
		// A key that is not a valid value is never stored: skip it here
		// (the database could refuse to compare it) and let intake reject it.
		if s, e := in.Key(defaultSource); e != "" && !seen[[2]string{s, e}] && tandem.ValidKey(s, e) {
			seen[[2]string{s, e}] = true
			keys = append(keys, [2]string{s, e})
		}
	}
	found := make(map[[2]string]*tandem.Lead, len(keys))
	for len(keys) > 0 {
		chunk := keys[:min(len(keys), 1000)]
		keys = keys[len(chunk):]
		cond, args := tx.db.d.keyIn("source", "external_id", chunk, 1)
		rows, err := tx.QueryContext(ctx, `SELECT `+leadColumns+` FROM leads WHERE external_id <> '' AND `+cond+` ORDER BY id`+tx.db.d.forUpdate(), args...)
		if err != nil {
			return nil, fmt.Errorf("find leads by key: %w", err)
		}
		for rows.Next() {
			l, err := scanLead(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			found[[2]string{l.Source, l.ExternalID}] = &l
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return found, nil
}

func (tx *Tx) updateLead(ctx context.Context, l *tandem.Lead) error {
	if tx.buffering() {
		tx.batch.row.lead(l.ID).lead = l.Clone()
		return nil
	}
	return tx.writeLead(ctx, l, nil, 0)
}

// writeLead writes the lead's row and, when accountID is not 0, links the
// lead to that account if it has none: one statement. With old, the lead
// as its row holds it now, only the columns that differ are written (none:
// no statement), so that the indexes of the others are left alone;
// without, every column is.
func (tx *Tx) writeLead(ctx context.Context, l, old *tandem.Lead, accountID int64) error {
	row := leadRow(l)
	var was []any
	if old != nil {
		was = leadRow(old)
	}
	set := make([]string, 0, len(leadInsertColumns))
	args := []any{l.ID}
	for i, c := range leadInsertColumns[1:] {
		if was != nil && sameValue(row[i+1], was[i+1]) {
			continue
		}
		args = append(args, tx.arg(row[i+1]))
		set = append(set, fmt.Sprintf("%s = $%d", c, len(args)))
	}
	if accountID != 0 {
		args = append(args, accountID)
		set = append(set, fmt.Sprintf("account_id = coalesce(account_id, $%d)", len(args)))
	}
	if len(set) == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, `UPDATE leads SET `+strings.Join(set, ", ")+` WHERE id = $1`, args...)
	if err != nil {
		return fmt.Errorf("update lead %d: %w", l.ID, err)
	}
	return nil
}

// sameValue reports whether two values of leadRow are the same: times by
// their instant, the rest by ==.
func sameValue(a, b any) bool {
	if t, ok := a.(time.Time); ok {
		u, ok := b.(time.Time)
		return ok && t.Equal(u)
	}
	return a == b
}

// arg converts a Go value to a query argument of the database in use.
func (tx *Tx) arg(v any) any {
	if t, ok := v.(time.Time); ok {
		return tx.t(t)
	}
	return v
}

var eventColumns = []string{"lead_id", "type", "occurred_at", "recorded_at", "actor", "reason", "agreement_version", "data"}

// eventData is what an event keeps in its data column: the new value of
// each field it sets, the old value of each field it changes, and the rule
// that fired. Keyed by field, it is half the size of a list of changes.
type eventData struct {
	To   map[string]string `json:"to,omitempty"`
	From map[string]string `json:"from,omitempty"`
	Rule string            `json:"rule,omitempty"`
	// Detail is the event's Detail (SLA events).
	Detail map[string]string `json:"detail,omitempty"`
}

// encodeEventData writes an event's data as eventData's JSON. It is written
// by hand because it runs for every event of every batch, and
// encoding/json's maps (sorted keys, reflection) cost more than the insert.
func encodeEventData(e *tandem.Event) string {
	b := make([]byte, 0, 64+48*len(e.Changes))
	b = append(b, '{')
	sep := false
	if len(e.Changes) > 0 {
		b = append(b, `"to":{`...)
		for i, c := range e.Changes {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, c.Field)
			b = append(b, ':')
			b = appendJSONString(b, c.To)
		}
		b = append(b, '}')
		sep = true
	}
	first := true
	for _, c := range e.Changes {
		if c.From == "" {
			continue
		}
		if first {
			if sep {
				b = append(b, ',')
			}
			b = append(b, `"from":{`...)
			first, sep = false, true
		} else {
			b = append(b, ',')
		}
		b = appendJSONString(b, c.Field)
		b = append(b, ':')
		b = appendJSONString(b, c.From)
	}
	if !first {
		b = append(b, '}')
	}
	if e.Rule != "" {
		if sep {
			b = append(b, ',')
		}
		b = append(b, `"rule":`...)
		b = appendJSONString(b, e.Rule)
		sep = true
	}
	if len(e.Detail) > 0 {
		// Rare and small: encoding/json's sorted keys are fine here.
		d, _ := json.Marshal(e.Detail)
		if sep {
			b = append(b, ',')
		}
		b = append(b, `"detail":`...)
		b = append(b, d...)
	}
	return string(append(b, '}'))
}

// appendJSONString appends s as a JSON string. Lead values are valid UTF-8
// (tandem.LeadField.Set checks), so only quotes, backslashes and control
// characters need escaping.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\t':
			b = append(b, '\\', 't')
		case '\r':
			b = append(b, '\\', 'r')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func (d eventData) changes() []tandem.FieldChange {
	cs := make([]tandem.FieldChange, 0, len(d.To))
	for f, to := range d.To {
		cs = append(cs, tandem.FieldChange{Field: f, From: d.From[f], To: to})
	}
	return tandem.SortChanges(cs)
}

// appendEvents writes events to the ledger, recorded now, with their ids,
// the stage entries and stage counts they give (see stage_entries and
// stage_counts), and each one's event in the outbox (see [Tx.publish]):
// every event is written here, after the rows of the leads it changes.
func (tx *Tx) appendEvents(ctx context.Context, events []tandem.Event) error {
	if len(events) == 0 {
		return nil
	}
	if tx.deferred != nil {
		*tx.deferred = append(*tx.deferred, events...)
		return nil
	}
	ids, err := tx.db.d.reserveIDs(ctx, tx, "events", len(events))
	if err != nil {
		return err
	}
	rows := make([][]any, len(events))
	out := make([]outbox.Event, 0, len(events))
	for i := range events {
		e := &events[i]
		e.ID, e.RecordedAt = ids[i], tx.Now
		rows[i] = []any{e.ID, e.LeadID, e.Type, e.OccurredAt, tx.Now, e.Actor, e.Reason, e.AgreementVersion, encodeEventData(e)}
		if !tx.db.ledgerData && e.Type != tandem.EventAssigned {
			// The data is the ledger's record, read from the ledger when
			// the event is read (Tx.ledgerData): encoding it again here
			// would cost intake a quarter of its speed for no reader. An
			// assignment has one: it tells the new owner in the inbox
			// (outbox.NoticeOf reads its data).
			if typ, ok := outbox.LedgerType(e.Type); ok {
				out = append(out, outbox.Event{Type: typ, Version: outbox.Version, LeadID: e.LeadID, LedgerID: e.ID, OccurredAt: e.OccurredAt})
			}
		} else if oe, ok := outbox.FromLedger(*e); ok {
			out = append(out, oe)
		}
	}
	if err := tx.db.d.bulkInsert(ctx, tx, "events", append([]string{"id"}, eventColumns...), rows); err != nil {
		return err
	}
	if err := tx.writeStageEntries(ctx, events, true); err != nil {
		return err
	}
	return tx.publish(ctx, out)
}

// Lead returns the lead with the id, or ENOTFOUND.
func (db *DB) Lead(ctx context.Context, id int64) (l tandem.Lead, err error) {
	defer wrap(&err, "lead %d", id)
	err = db.view(ctx, func(tx *Tx) error {
		l, err = tx.lead(ctx, id, false)
		return err
	})
	return l, err
}

func (tx *Tx) lead(ctx context.Context, id int64, lock bool) (tandem.Lead, error) {
	q := `SELECT ` + leadColumns + ` FROM leads WHERE id = $1`
	if lock {
		q += tx.db.d.forUpdate()
	}
	l, err := scanLead(tx.QueryRowContext(ctx, q, id))
	if err == sql.ErrNoRows {
		return l, tandem.Errorf(tandem.ENOTFOUND, "lead %d not found", id)
	}
	return l, err
}

// Leads returns one page of the leads that match the filter, in the
// filter's order (id order by default), with the total count of matches.
// A search (f.Q) is answered by the search index (see search.go).
func (db *DB) Leads(ctx context.Context, f tandem.LeadFilter) (page tandem.LeadPage, err error) {
	return db.leads(ctx, f, nil)
}

// LeadsFor is [DB.Leads] for a caller: only the leads they may read
// ([access.Caller.ReadScope]) match, and the total counts only those.
func (db *DB) LeadsFor(ctx context.Context, f tandem.LeadFilter, tok tandem.Token) (page tandem.LeadPage, err error) {
	return db.leads(ctx, f, &tok)
}

func (db *DB) leads(ctx context.Context, f tandem.LeadFilter, tok *tandem.Token) (page tandem.LeadPage, err error) {
	defer wrap(&err, "list leads")
	if err := f.Validate(); err != nil {
		return page, err
	}
	limit := f.Limit
	if limit == 0 {
		limit = 100
	}
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	// oneOf is the condition that the field is one of the values (all
	// validated above), as the field's column holds them.
	oneOf := func(name string, values []string) string {
		field, _ := tandem.LookupLeadField(name)
		expr := name
		if key, ok := strings.CutPrefix(name, tandem.AttributePrefix); ok {
			var a any
			expr, a = db.d.attribute(key, len(args)+1)
			args = append(args, a)
		}
		ph := make([]string, len(values))
		for i, value := range values {
			if expr != name { // an attribute: text
				ph[i] = arg(value)
				continue
			}
			var probe tandem.Lead
			field.Set(&probe, value)
			switch {
			case field.Kind == tandem.KindInt:
				n, _ := strconv.ParseInt(field.Get(&probe), 10, 64)
				ph[i] = arg(n)
			case field.Kind == tandem.KindTime:
				ph[i] = arg(db.d.timeArg(probe.CreatedAt))
			default:
				ph[i] = arg(value)
			}
		}
		if len(ph) == 1 {
			return expr + " = " + ph[0]
		}
		return expr + " IN (" + strings.Join(ph, ", ") + ")"
	}
	for _, name := range slices.Sorted(maps.Keys(f.Equal)) {
		where = append(where, oneOf(name, []string{f.Equal[name]}))
	}
	for _, name := range slices.Sorted(maps.Keys(f.In)) {
		where = append(where, oneOf(name, f.In[name]))
	}
	if !f.CreatedFrom.IsZero() {
		where = append(where, "created_at >= "+arg(db.d.timeArg(f.CreatedFrom)))
	}
	if !f.CreatedTo.IsZero() {
		where = append(where, "created_at < "+arg(db.d.timeArg(f.CreatedTo)))
	}
	if !f.StageChangedFrom.IsZero() {
		where = append(where, "stage_changed_at >= "+arg(db.d.timeArg(f.StageChangedFrom)))
	}
	if !f.StageChangedTo.IsZero() {
		where = append(where, "stage_changed_at < "+arg(db.d.timeArg(f.StageChangedTo)))
	}
	if f.Team != "" {
		where = append(where, "owner_id IN (SELECT id FROM users WHERE team = "+arg(f.Team)+")")
	}
	from, idCol := "leads", "id"
	if terms, _ := tandem.SearchTerms(f.Q); len(terms) > 0 {
		var cond string
		var a []any
		from, idCol, cond, a = db.searchFrom(terms, len(args)+1)
		args = append(args, a...)
		where = append(where, cond)
	}
	if f.ScoreMin != nil {
		where = append(where, "score >= "+arg(*f.ScoreMin))
	}
	if f.ScoreMax != nil {
		where = append(where, "score <= "+arg(*f.ScoreMax))
	}
	cond := "TRUE"
	if len(where) > 0 {
		cond = strings.Join(where, " AND ")
	}
	err = db.view(ctx, func(tx *Tx) error {
		cond, args := cond, args
		if tok != nil {
			c, err := tx.caller(ctx, *tok)
			if err != nil {
				return err
			}
			if sc := c.ReadScope(); !sc.All {
				scope, sargs := scopeCond(sc, len(args)+1)
				cond, args = cond+" AND "+scope, append(slices.Clone(args), sargs...)
			}
		}
		after, order, aargs := db.sortCond(f, idCol, len(args)+1)
		pageArgs := append(append(slices.Clone(args), aargs...), limit+1)
		rows, err := tx.QueryContext(ctx, fmt.Sprintf(`SELECT %s FROM %s WHERE %s AND %s ORDER BY %s LIMIT $%d`,
			qualifiedLeadColumns, from, cond, after, order, len(pageArgs)), pageArgs...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			l, err := scanLead(rows)
			if err != nil {
				return err
			}
			page.Leads = append(page.Leads, l)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		// A first page that holds every match is its own count: a search
		// that finds a few leads reads its index once, not twice (a rare
		// word among common trigrams costs 18 ms each time on SQLite).
		page.Total = len(page.Leads)
		if f.After != 0 || page.Total > limit {
			count := `SELECT count(*) FROM ` + from + ` WHERE ` + cond
			if f.CountUpTo > 0 {
				count = fmt.Sprintf(`SELECT count(*) FROM (SELECT 1 FROM %s WHERE %s LIMIT %d) t`, from, cond, f.CountUpTo+1)
			}
			if err := tx.QueryRowContext(ctx, count, args...).Scan(&page.Total); err != nil {
				return err
			}
		}
		if f.CountUpTo > 0 && page.Total > f.CountUpTo {
			page.Total, page.More = f.CountUpTo, true
		}
		return nil
	})
	if len(page.Leads) > limit {
		page.Leads = page.Leads[:limit]
		page.Next = page.Leads[limit-1].ID
		if field, _, _ := tandem.SortField(f.Sort); field != "id" {
			page.NextValue = tandem.SortValue(&page.Leads[limit-1], field)
		}
	}
	return page, err
}

// LeadEvents returns the lead's ledger in recorded order, or ENOTFOUND.
func (db *DB) LeadEvents(ctx context.Context, id int64) (events []tandem.Event, err error) {
	defer wrap(&err, "events of lead %d", id)
	err = db.view(ctx, func(tx *Tx) error {
		if _, err := tx.lead(ctx, id, false); err != nil {
			return err
		}
		events, err = tx.events(ctx, `lead_id = $1`, id)
		return err
	})
	return events, err
}

func (tx *Tx) events(ctx context.Context, cond string, args ...any) ([]tandem.Event, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, lead_id, type, occurred_at, recorded_at, actor, reason, agreement_version, data
		FROM events WHERE `+cond+` ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var events []tandem.Event
	for rows.Next() {
		var e tandem.Event
		var data string
		if err := rows.Scan(&e.ID, &e.LeadID, &e.Type, scanTime{&e.OccurredAt}, scanTime{&e.RecordedAt},
			&e.Actor, &e.Reason, &e.AgreementVersion, &data); err != nil {
			return nil, err
		}
		var d eventData
		if err := json.Unmarshal([]byte(data), &d); err != nil {
			return nil, fmt.Errorf("event %d data: %w", e.ID, err)
		}
		e.Changes, e.Rule, e.Detail = d.changes(), d.Rule, d.Detail
		events = append(events, e)
	}
	return events, rows.Err()
}

// MoveLead changes a lead's stage by hand, with a reason, if the agreement
// in force allows the move: ENOTFOUND, EINVALID (no reason, unknown stage)
// or ECONFLICT (a move the lifecycle refuses, with why).
func (db *DB) MoveLead(ctx context.Context, id int64, stage, reason, actor string) (l tandem.Lead, err error) {
	return db.moveLead(ctx, id, stage, reason, actor, nil)
}

// MoveLeadAs is [DB.MoveLead] for a caller of the API or the web app, who
// must be allowed the move by the lead rule ([access.CanChange]): a lead
// someone owns is moved by its owner, a manager above the owner, or an
// admin; an unassigned one by marketing too; only a won deal (or an admin)
// makes a lead a customer. EFORBIDDEN otherwise, naming the lead and its
// owner.
func (db *DB) MoveLeadAs(ctx context.Context, id int64, stage, reason string, tok tandem.Token) (tandem.Lead, error) {
	return db.moveLead(ctx, id, stage, reason, tok.Actor(), &tok)
}

// moveLead moves the lead for tok, or for the operator when tok is nil.
func (db *DB) moveLead(ctx context.Context, id int64, stage, reason, actor string, tok *tandem.Token) (l tandem.Lead, err error) {
	defer wrap(&err, "move lead %d", id)
	err = db.transact(ctx, func(tx *Tx) error {
		cur, err := tx.lead(ctx, id, true)
		if err != nil {
			return err
		}
		c := access.Operator(actor)
		if tok != nil {
			if c, err = tx.caller(ctx, *tok); err != nil {
				return err
			}
		}
		lc, err := tx.lifecycle(ctx)
		if err != nil {
			return err
		}
		ch, err := tandem.Move(cur, stage, reason, lc, actor, tx.Now)
		if err != nil {
			return err
		}
		l = ch.Lead
		if ch.Status == tandem.StatusUnchanged {
			return nil
		}
		won, err := tx.wonStage(ctx, c)
		if err != nil {
			return err
		}
		if err := tx.mayChange(ctx, c, &cur, access.EditOf(ch, actor), won); err != nil {
			return err
		}
		l, err = tx.applyMove(ctx, cur, ch, transition{})
		return err
	})
	return l, err
}

// applyMove writes a manual stage change with what it does to the lead's
// hand-off: the check that a recycle comes after enough touches, routing a
// lead that enters the hand-off stage, ending a hand-off the lead leaves.
func (tx *Tx) applyMove(ctx context.Context, cur tandem.Lead, ch tandem.Change, t transition) (tandem.Lead, error) {
	l := ch.Lead
	eng, err := tx.engine(ctx)
	if err != nil {
		return l, err
	}
	// A decision was checked by sla.Policy.Decide, by its reject reason's
	// rule; any other move back to marketing needs the touches.
	if !t.decided {
		if err := tx.checkRecycle(ctx, cur, l.Stage); err != nil {
			return l, err
		}
	}
	evs, err := eng.moved(ctx, &l, cur.Stage, l.Stage, t)
	if err != nil {
		return l, err
	}
	if err := tx.updateLead(ctx, &l); err != nil {
		return l, err
	}
	if err := tx.appendEvents(ctx, append(ch.Events, evs...)); err != nil {
		return l, err
	}
	return l, eng.flush(ctx)
}

// stageMoves lists the stage changes that events make, in order, as
// (from, to) pairs; a lead's creation moves it from "" to its first stage.
func stageMoves(events []tandem.Event) [][2]string {
	var moves [][2]string
	for _, e := range events {
		if e.Type != tandem.EventCreated && e.Type != tandem.EventStageChanged {
			continue
		}
		for _, c := range e.Changes {
			if c.Field == "stage" {
				from := c.From
				if e.Type == tandem.EventCreated {
					from = ""
				}
				moves = append(moves, [2]string{from, c.To})
			}
		}
	}
	return moves
}

// AddNote writes a note on a lead to its ledger (a noted event), for a
// caller who may read the lead ([access.CanRead]): ENOTFOUND, EFORBIDDEN,
// or EINVALID for an empty note or one that is not text.
func (db *DB) AddNote(ctx context.Context, id int64, note string, tok tandem.Token) (e tandem.Event, err error) {
	defer wrap(&err, "note on lead %d", id)
	note = strings.TrimSpace(note)
	if note == "" {
		return e, tandem.Invalid(tandem.FieldError{Field: "note", Message: "write the note"})
	}
	if err := checkNote("note", note); err != nil {
		return e, err
	}
	err = db.transact(ctx, func(tx *Tx) error {
		l, err := tx.lead(ctx, id, true)
		if err != nil {
			return err
		}
		if err := tx.mayRead(ctx, tok, l); err != nil {
			return err
		}
		lc, err := tx.lifecycle(ctx)
		if err != nil {
			return err
		}
		e = tandem.Event{LeadID: id, Type: tandem.EventNoted, OccurredAt: tx.Now, Actor: tok.Actor(),
			AgreementVersion: lc.Version(), Detail: map[string]string{"note": note}}
		if err := l.Apply(&e); err != nil {
			return err
		}
		if err := tx.updateLead(ctx, &l); err != nil {
			return err
		}
		evs := []tandem.Event{e}
		if err := tx.appendEvents(ctx, evs); err != nil {
			return err
		}
		e = evs[0]
		return nil
	})
	return e, err
}
