package sqldb

import (
	"context"
	"fmt"
	"strings"

	"github.com/tandemhq/tandem"
)

// ExecForTest runs a statement in a write transaction, for tests that check
// what the database itself refuses.
func (db *DB) ExecForTest(ctx context.Context, q string) error {
	return db.transact(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, q)
		return err
	})
}

// AppendEventsForTest writes the leads' rows, inserting those the events
// create, and appends the events in one transaction, as the store's
// writers do: for tests that need events at chosen times, in chosen orders.
func (db *DB) AppendEventsForTest(ctx context.Context, leads []tandem.Lead, events []tandem.Event) error {
	created := map[int64]bool{}
	for _, e := range events {
		if e.Type == tandem.EventCreated {
			created[e.LeadID] = true
		}
	}
	return db.transact(ctx, func(tx *Tx) error {
		for _, l := range leads {
			if created[l.ID] {
				if err := db.d.bulkInsert(ctx, tx, "leads", leadInsertColumns, [][]any{leadRow(&l)}); err != nil {
					return err
				}
			} else if err := tx.updateLead(ctx, &l); err != nil {
				return err
			}
		}
		return tx.appendEvents(ctx, events)
	})
}

// QueryRowForTest reads one row of a query.
func (db *DB) QueryRowForTest(ctx context.Context, q string, dest ...any) error {
	return db.read.QueryRowContext(ctx, q).Scan(dest...)
}

// ImportDealRowsAloneForTest makes every row of a deals import run on its
// own, statement by statement, as before deals were imported by batch.
func (db *DB) ImportDealRowsAloneForTest() { db.dealRowsAlone = true }

// QueryRowsForTest reads every row of a query, each as its columns'
// values joined by "|".
func (db *DB) QueryRowsForTest(ctx context.Context, q string) ([]string, error) {
	rows, err := db.read.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			parts[i] = fmt.Sprint(v)
		}
		out = append(out, strings.Join(parts, "|"))
	}
	return out, rows.Err()
}

// FireOneByOneForTest wraps a fire function so that no timer's writes are
// buffered: each reads and writes at once under its savepoint, as before
// FireDue fired the SLA's timers set-wise.
func FireOneByOneForTest(fire func(ctx context.Context, tx *Tx, t Timer) error) func(ctx context.Context, tx *Tx, t Timer) error {
	return func(ctx context.Context, tx *Tx, t Timer) error {
		tx.fireBuf = nil
		return fire(ctx, tx, t)
	}
}

// The intake benchmarks' world, shared with BenchmarkInsertFloor (see
// floor_test.go).
var (
	BenchModes      = benchModes
	BenchEpoch      = benchEpoch
	SetupBenchWorld = setupBenchWorld
	BenchLeads      = benchLeads
	BenchSize       = benchSize
	ProcessCPU      = processCPU
)
