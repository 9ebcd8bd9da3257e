package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
)

// dealBatch is what [DB.ImportDeals] knows of one batch: its leads, deals,
// open deals, owners and catalogue names, read with one query per kind for
// the whole batch (chunked), and the rows it writes, kept in memory and
// written together by flush. Row by row, a statement per lookup and per
// write cost an import of 100,000 deals minutes on PostgreSQL, where each
// is a round trip.
//
// A row is computed by the same code as before (importDeal, settle,
// applyMove), which reads through the batch and writes into it while
// buffering is set. What the batch cannot hold (a hand-off to end or
// start, a deal Tandem opens, any other write) stops the row with
// errSlowRow before it writes anything: the batch is then flushed and the
// row run again as before, statement by statement in its savepoint.
type dealBatch struct {
	buffering bool
	// leads by key (source, external_id), with their account; open, by
	// lead id, the lead's open deal (at most one: deals_open_lead);
	// deals by key. A key absent from leads or deals was not found.
	leads map[[2]string]*batchLead
	// stored holds each lead the batch read or wrote, by id, as its row
	// holds it, so that flush writes only what a row changed.
	stored map[int64]tandem.Lead
	// held are the leads createDealLeads made (holdLeads set while it
	// runs), not written yet: flush inserts each as the batch's rows
	// left it, rather than inserting it and updating it again. They have
	// no row, deal or hand-off to read.
	held      []*tandem.Lead
	holdLeads bool
	open      map[int64]tandem.Deal
	deals     map[[2]string]tandem.Deal
	// calm holds the leads known to have no open hand-off.
	calm map[int64]bool
	// owners caches dealOwner's answers, by the reference.
	owners map[string]ownerAnswer
	// accounts and products map a name key to its id, 0 for none.
	accounts, products map[string]int64
	// ids are deal ids reserved and not used yet.
	ids []int64
	// news[i] counts the rows from row i on whose deal was not found:
	// the ids to reserve when none is left.
	news []int
	want int // news of the row being imported

	// What the batch has to write, and what the row being computed adds
	// (merged into it when the row succeeds).
	pending, row batchWrites
}

type batchLead struct {
	lead      tandem.Lead
	accountID int64 // the lead's account_id, 0 for NULL
}

type ownerAnswer struct {
	id  int64
	err error
}

// batchWrites are rows to write: deals to insert or update (with their
// account and product) and leads to update (with an account to set if
// theirs is NULL), each once, in the order first met.
type batchWrites struct {
	deals     map[int64]*batchDeal
	dealOrder []int64
	leads     map[int64]*batchLeadWrite
	leadOrder []int64
}

type batchDeal struct {
	d                    tandem.Deal
	insert               bool
	accountID, productID int64
}

type batchLeadWrite struct {
	lead tandem.Lead
	// old is the lead as its row holds it, nil when not known: with it,
	// only the columns that differ are written.
	old       *tandem.Lead
	accountID int64 // the account to set when the lead has none, 0 for none
}

func (w *batchWrites) deal(id int64) *batchDeal {
	if w.deals == nil {
		w.deals = map[int64]*batchDeal{}
	}
	bd := w.deals[id]
	if bd == nil {
		bd = &batchDeal{}
		w.deals[id] = bd
		w.dealOrder = append(w.dealOrder, id)
	}
	return bd
}

func (w *batchWrites) lead(id int64) *batchLeadWrite {
	if w.leads == nil {
		w.leads = map[int64]*batchLeadWrite{}
	}
	bl := w.leads[id]
	if bl == nil {
		bl = &batchLeadWrite{}
		w.leads[id] = bl
		w.leadOrder = append(w.leadOrder, id)
	}
	return bl
}

func (w *batchWrites) reset() { *w = batchWrites{} }

// merge adds the row's writes to w.
func (w *batchWrites) merge(r *batchWrites) {
	for _, id := range r.dealOrder {
		rd, bd := r.deals[id], w.deal(id)
		insert := bd.insert || rd.insert
		*bd = *rd
		bd.insert = insert
	}
	for _, id := range r.leadOrder {
		rl, bl := r.leads[id], w.lead(id)
		bl.lead = rl.lead
		if rl.accountID != 0 {
			bl.accountID = rl.accountID
		}
	}
}

// errSlowRow stops a row that needs more than the batch holds: it is run
// again on its own.
var errSlowRow = errors.New("deal row needs the statement-by-statement path")

// buffering reports whether the rows' writes go to the batch.
func (tx *Tx) buffering() bool { return tx.batch != nil && tx.batch.buffering }

// loadDealBatch reads, for the good rows, their leads (locked on
// PostgreSQL), the deals they name, the leads' open deals and which leads
// have an open hand-off, and the accounts and products they name: a query
// of each kind per thousand rows.
func (tx *Tx) loadDealBatch(ctx context.Context, rows []dealRow, results []IntakeResult, opts DealImportOptions) error {
	b := tx.batch
	b.leads, b.open, b.deals, b.calm = map[[2]string]*batchLead{}, map[int64]tandem.Deal{}, map[[2]string]tandem.Deal{}, map[int64]bool{}
	b.accounts, b.products = map[string]int64{}, map[string]int64{}
	b.stored = map[int64]tandem.Lead{}
	var leadKeys, dealKeys [][2]string
	seenLead, seenDeal := map[[2]string]bool{}, map[[2]string]bool{}
	accounts, products := map[string]bool{}, map[string]bool{}
	for i, row := range rows {
		if results[i].Err != nil {
			continue
		}
		ls, le := row.in.LeadKey(opts.DefaultSource)
		if k := [2]string{ls, le}; le != "" && tandem.ValidKey(ls, le) && !seenLead[k] {
			seenLead[k] = true
			leadKeys = append(leadKeys, k)
		}
		ds, de := row.in.Key(opts.DefaultSource)
		if k := [2]string{ds, de}; de != "" && tandem.ValidKey(ds, de) && !seenDeal[k] {
			seenDeal[k] = true
			dealKeys = append(dealKeys, k)
		}
		for _, m := range []map[string]string{row.in.Fields, row.in.Initial} {
			if k := tandem.NameKey(m["account"]); k != "" {
				accounts[k] = true
			}
			if k := tandem.NameKey(m["product"]); k != "" {
				products[k] = true
			}
		}
	}
	b.news = make([]int, len(rows)+1)
	var leadIDs []int64
	held := map[[2]string]bool{}
	for _, l := range b.held {
		k := [2]string{l.Source, l.ExternalID}
		b.leads[k] = &batchLead{lead: l.Clone()}
		b.calm[l.ID] = true
		held[k] = true
	}
	leadKeys = slices.DeleteFunc(leadKeys, func(k [2]string) bool { return held[k] })
	for chunk := range slices.Chunk(leadKeys, 1000) {
		cond, args := tx.db.d.keyIn("source", "external_id", chunk, 1)
		q := `SELECT ` + leadColumns + `, coalesce(account_id, 0) FROM leads WHERE external_id <> '' AND ` + cond + tx.db.d.forUpdate()
		err := tx.scanRows(ctx, q, args, func(rs *sql.Rows) error {
			var bl batchLead
			l, err := scanLead(extraScan{rs, []any{&bl.accountID}})
			if err != nil {
				return err
			}
			bl.lead = l
			b.leads[[2]string{l.Source, l.ExternalID}] = &bl
			b.stored[l.ID] = l.Clone()
			leadIDs = append(leadIDs, l.ID)
			b.calm[l.ID] = true
			return nil
		})
		if err != nil {
			return fmt.Errorf("find the deals' leads: %w", err)
		}
	}
	for chunk := range slices.Chunk(dealKeys, 1000) {
		cond, args := tx.db.d.keyIn("source", "external_id", chunk, 1)
		q := `SELECT ` + dealColumns + ` FROM deals WHERE external_id <> '' AND ` + cond + tx.db.d.forUpdate()
		err := tx.scanRows(ctx, q, args, func(rs *sql.Rows) error {
			d, err := scanDeal(rs)
			if err == nil {
				b.deals[[2]string{d.Source, d.ExternalID}] = d
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("find the deals: %w", err)
		}
	}
	// The rows from each on whose deal was not found may add one.
	for i := len(rows) - 1; i >= 0; i-- {
		b.news[i] = b.news[i+1]
		ds, de := rows[i].in.Key(opts.DefaultSource)
		if _, ok := b.deals[[2]string{ds, de}]; !ok && results[i].Err == nil {
			b.news[i]++
		}
	}
	for chunk := range slices.Chunk(leadIDs, 1000) {
		in, args := listIn(tx, "lead_id", chunk)
		err := tx.scanRows(ctx, `SELECT `+dealColumns+` FROM deals WHERE stage = 'open' AND `+in+tx.db.d.forUpdate(), args,
			func(rs *sql.Rows) error {
				d, err := scanDeal(rs)
				if err == nil {
					b.open[d.LeadID] = d
				}
				return err
			})
		if err != nil {
			return fmt.Errorf("find the leads' open deals: %w", err)
		}
		err = tx.scanRows(ctx, `SELECT lead_id FROM handoffs WHERE ended_at IS NULL AND `+in, args, func(rs *sql.Rows) error {
			var id int64
			err := rs.Scan(&id)
			delete(b.calm, id)
			return err
		})
		if err != nil {
			return fmt.Errorf("find the leads' open hand-offs: %w", err)
		}
	}
	for _, c := range []struct {
		table string
		keys  map[string]bool
		ids   map[string]int64
	}{{"accounts", accounts, b.accounts}, {"products", products, b.products}} {
		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range c.keys {
				if !yield(k) {
					return
				}
			}
		})
		for chunk := range slices.Chunk(keys, 1000) {
			in, args := listIn(tx, "name_key", chunk)
			err := tx.scanRows(ctx, `SELECT name_key, id FROM `+c.table+` WHERE `+in, args,
				func(rs *sql.Rows) error {
					var k string
					var id int64
					err := rs.Scan(&k, &id)
					c.ids[k] = id
					return err
				})
			if err != nil {
				return fmt.Errorf("find the deals' %s: %w", c.table, err)
			}
		}
	}
	return nil
}

// listIn returns a condition that col is one of vals, the only
// parameters of its query: one array on PostgreSQL, positional "?" on
// SQLite (which looks "$N" names up in a list: see sqlite.keyIn).
func listIn[T int64 | string](tx *Tx, col string, vals []T) (string, []any) {
	if tx.db.d.name() == "postgres" {
		typ := "bigint"
		if _, ok := any(vals).([]string); ok {
			typ = "text"
		}
		return fmt.Sprintf("%s = ANY($1::%s[])", col, typ), []any{vals}
	}
	args := make([]any, len(vals))
	for i, v := range vals {
		args[i] = v
	}
	return col + " IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(vals)), ", ") + ")", args
}

// extraScan scans a row into a scanner's destinations and then extra ones.
type extraScan struct {
	s     scanner
	extra []any
}

func (e extraScan) Scan(dest ...any) error { return e.s.Scan(append(dest, e.extra...)...) }

// scanRows runs a query and calls fn on each row.
func (tx *Tx) scanRows(ctx context.Context, q string, args []any, fn func(*sql.Rows) error) error {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// refresh reads again what the batch holds of a lead and a deal key, after
// a row ran statement by statement; the lead is no longer known to be
// without a hand-off, so its later rows run that way too.
func (tx *Tx) refreshDealBatch(ctx context.Context, leadKey, dealKey [2]string) error {
	b := tx.batch
	var bl batchLead
	l, err := scanLead(extraScan{tx.QueryRowContext(ctx, `SELECT `+leadColumns+`, coalesce(account_id, 0) FROM leads
		WHERE external_id <> '' AND source = $1 AND external_id = $2`, leadKey[0], leadKey[1]), []any{&bl.accountID}})
	switch {
	case err == sql.ErrNoRows:
		delete(b.leads, leadKey)
		return nil
	case err != nil:
		return fmt.Errorf("find lead %s/%s: %w", leadKey[0], leadKey[1], err)
	}
	bl.lead = l
	b.leads[leadKey] = &bl
	b.stored[l.ID] = l.Clone()
	delete(b.calm, l.ID)
	if d, ok, err := tx.dealWhere(ctx, false, `lead_id = $1 AND stage = 'open'`, l.ID); err != nil {
		return err
	} else if ok {
		b.open[l.ID] = d
	} else {
		delete(b.open, l.ID)
	}
	if d, ok, err := tx.dealWhere(ctx, false, `source = $1 AND external_id = $2 AND external_id <> ''`, dealKey[0], dealKey[1]); err != nil {
		return err
	} else if ok {
		b.deals[dealKey] = d
	} else {
		delete(b.deals, dealKey)
	}
	return nil
}

// nextDealID returns a reserved deal id, reserving n more when none is left.
func (tx *Tx) nextDealID(ctx context.Context, n int) (int64, error) {
	b := tx.batch
	if len(b.ids) == 0 {
		ids, err := tx.db.d.reserveIDs(ctx, tx, "deals", max(n, 1))
		if err != nil {
			return 0, err
		}
		b.ids = ids
	}
	id := b.ids[0]
	b.ids = b.ids[1:]
	return id, nil
}

// batchCatalogID returns the id of the account or product named name,
// adding it when there is none (table is "accounts" or "products").
func (tx *Tx) batchCatalogID(ctx context.Context, table, name string) (int64, error) {
	ids := tx.batch.accounts
	if table == "products" {
		ids = tx.batch.products
	}
	k := tandem.NameKey(name)
	if id, ok := ids[k]; ok {
		return id, nil
	}
	var id int64
	var err error
	if table == "products" {
		id, _, err = tx.productID(ctx, name, "product")
	} else {
		id, _, err = tx.accountID(ctx, name, "account")
	}
	if err == nil {
		ids[k] = id
	}
	return id, err
}

// flushDealBatch writes what the batch holds: the leads it created, the
// deals changed (before those added, which may open a lead's deal another
// row closed), the deals added, and the other leads.
func (tx *Tx) flushDealBatch(ctx context.Context) error {
	b := tx.batch
	w := &b.pending
	buffering := b.buffering
	b.buffering = false
	defer func() { w.reset(); b.buffering = buffering }()
	if b.stored == nil {
		b.stored = map[int64]tandem.Lead{}
	}
	// The leads the batch holds are inserted as its rows left them,
	// before the deals, which take their copies of their lead's fields
	// from the lead's row as they are inserted (migration 00030): each
	// deal is written once.
	var newRows [][]any
	inserted := map[int64]bool{}
	for _, l := range b.held {
		accountID := int64(0)
		if lw := w.leads[l.ID]; lw != nil {
			l, accountID = &lw.lead, lw.accountID
		}
		newRows = append(newRows, append(leadRow(l), nullID(accountID)))
		inserted[l.ID] = true
		b.stored[l.ID] = l.Clone()
	}
	b.held = nil
	if len(newRows) > 0 {
		if err := tx.db.d.bulkInsert(ctx, tx, "leads", append(slices.Clone(leadInsertColumns), "account_id"), newRows); err != nil {
			return err
		}
	}
	var inserts [][]any
	for _, id := range w.dealOrder {
		bd := w.deals[id]
		d := &bd.d
		if bd.insert {
			inserts = append(inserts, []any{d.ID, d.LeadID, d.Source, d.ExternalID, nullID(d.OwnerID), d.Stage, d.AmountCents,
				tx.t(d.CreatedAt), tx.t(d.EngagedAt), tx.t(d.ClosedAt), d.LostReason, d.Account, d.Product, attributesJSON(d.Attributes),
				tx.t(d.UpdatedAt), d.PipelineStage, tx.t(d.StageChangedAt), nullID(bd.accountID), nullID(bd.productID)})
			continue
		}
		_, err := tx.ExecContext(ctx, `UPDATE deals SET source = $2, external_id = $3, owner_id = $4, stage = $5, amount_cents = $6,
		created_at = $7, engaged_at = $8, closed_at = $9, lost_reason = $10, account = $11, product = $12, attributes = $13,
		updated_at = $14, pipeline_stage = $15, stage_changed_at = $16, account_id = $17, product_id = $18 WHERE id = $1`, d.ID, d.Source,
			d.ExternalID, nullID(d.OwnerID), d.Stage, d.AmountCents, tx.t(d.CreatedAt), tx.t(d.EngagedAt), tx.t(d.ClosedAt), d.LostReason,
			d.Account, d.Product, attributesJSON(d.Attributes), tx.t(d.UpdatedAt), d.PipelineStage, tx.t(d.StageChangedAt),
			nullID(bd.accountID), nullID(bd.productID))
		if err != nil {
			return fmt.Errorf("update deal %d: %w", d.ID, err)
		}
	}
	if len(inserts) > 0 {
		cols := []string{"id", "lead_id", "source", "external_id", "owner_id", "stage", "amount_cents", "created_at", "engaged_at",
			"closed_at", "lost_reason", "account", "product", "attributes", "updated_at", "pipeline_stage", "stage_changed_at",
			"account_id", "product_id"}
		if err := tx.insertBatchDeals(ctx, cols, inserts); err != nil {
			return err
		}
	}
	leads := make([]batchLeadWrite, 0, len(w.leadOrder))
	for _, id := range w.leadOrder {
		if inserted[id] {
			continue
		}
		lw := *w.leads[id]
		if old, ok := b.stored[id]; ok {
			lw.old = &old
		}
		leads = append(leads, lw)
	}
	if err := tx.db.d.updateLeads(ctx, tx, leads); err != nil {
		return err
	}
	for i := range leads {
		b.stored[leads[i].lead.ID] = leads[i].lead.Clone()
	}
	return nil
}

// insertBatchDeals writes the batch's new deals (cols[1] is lead_id). On
// SQLite each row takes its copy of its lead's fields (migration 00030)
// from the lead's row in the INSERT itself: left to the trigger, each deal
// would be written twice, with the three indexes that hold the copy. A
// deal whose lead is not written yet gets NULL, which the lead's insert
// trigger fills. On PostgreSQL a trigger sets the copy before the row is
// written: COPY stays as it was.
func (tx *Tx) insertBatchDeals(ctx context.Context, cols []string, rows [][]any) error {
	if tx.db.d.name() != "sqlite" {
		return tx.db.d.bulkInsert(ctx, tx, "deals", cols, rows)
	}
	ph := make([]string, len(cols))
	for i := range cols {
		ph[i] = fmt.Sprintf("$%d", i+1)
	}
	all := slices.Clone(cols)
	for _, c := range []string{"owner_id", "source", "origin", "segment", "campaign"} {
		all = append(all, "lead_"+c)
		ph = append(ph, "(SELECT "+c+" FROM leads WHERE id = $2)")
	}
	stmt, done, err := tx.prepared(ctx, "INSERT INTO deals ("+strings.Join(all, ", ")+") VALUES ("+strings.Join(ph, ", ")+")")
	if err != nil {
		return err
	}
	defer done()
	for _, row := range rows {
		for i, v := range row {
			if t, ok := v.(time.Time); ok {
				row[i] = tx.db.d.timeArg(t)
			}
		}
		if _, err := stmt.ExecContext(ctx, row...); err != nil {
			return fmt.Errorf("insert into deals: %w", err)
		}
	}
	return nil
}

// updateLeadsEach writes each lead with its own UPDATE (prepared once, one
// per set of columns changed), which also sets its account when it has
// none.
func updateLeadsEach(ctx context.Context, tx *Tx, leads []batchLeadWrite) error {
	for i := range leads {
		if err := tx.writeLead(ctx, &leads[i].lead, leads[i].old, leads[i].accountID); err != nil {
			return err
		}
	}
	return nil
}
