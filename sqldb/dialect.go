package sqldb

import (
	"context"
	"time"

	"github.com/pressly/goose/v3"
)

// dialect is what differs between SQLite and PostgreSQL. Keep it small: all
// other SQL is shared.
type dialect interface {
	name() string
	gooseDialect() goose.Dialect
	// retryable reports whether a failed transaction may succeed if run
	// again (serialization failures, deadlocks, unique violations caused by
	// a concurrent writer).
	retryable(err error) bool
	// timeArg converts a time to a query argument.
	timeArg(t time.Time) any
	// reserveLeadIDs reserves n consecutive lead ids and returns the first.
	reserveLeadIDs(ctx context.Context, tx *Tx, n int) (int64, error)
	// reserveIDs reserves n ids of table's id column, unique but not
	// always consecutive.
	reserveIDs(ctx context.Context, tx *Tx, table string, n int) ([]int64, error)
	// bulkInsert inserts rows (values in cols order) into table.
	bulkInsert(ctx context.Context, tx *Tx, table string, cols []string, rows [][]any) error
	// updateLeads writes leads whose rows exist (every column of
	// leadColumns), setting the account of each that has none to the
	// one it names (0 for none).
	updateLeads(ctx context.Context, tx *Tx, leads []batchLeadWrite) error
	// touchLeads writes the version and update time of leads that only
	// events without field changes moved (breaches), in one statement or
	// one prepared statement per lead: the rest of their rows is as it was.
	touchLeads(ctx context.Context, tx *Tx, ls []leadTouch) error
	// upsertStageEntries writes stage entries (see stage_entries),
	// keeping the earlier time of an entry already recorded. The entries
	// name each (lead, stage) once.
	upsertStageEntries(ctx context.Context, tx *Tx, entries []stageEntry) error
	// addStageCounts adds rows to stage_counts, to the counts of a row
	// already there (see stageCountsAdd). The rows name each key once.
	addStageCounts(ctx context.Context, tx *Tx, rows []stageCount) error
	// hourOf returns an expression for the start of the hour (UTC) of a
	// time column, in the form of stage_counts.bucket.
	hourOf(col string) string
	// lockStageCounts is the statement that keeps other writers from
	// changing stage_counts until the transaction ends, "" when a write
	// transaction already does.
	lockStageCounts() string
	// forUpdate is the clause that locks selected rows for the transaction.
	forUpdate() string
	// keyIn returns a condition that (a, b) is one of the pairs, with its
	// arguments numbered from n.
	keyIn(a, b string, pairs [][2]string, n int) (string, []any)
	// attribute returns an expression for attribute key of the leads row and
	// its argument, numbered n.
	attribute(key string, n int) (string, any)
	// skipLocked is the clause that locks selected rows and passes over rows
	// another transaction holds, so concurrent workers claim different rows.
	skipLocked() string
}

// sqliteTimeLayout is fixed-width so that times compare correctly as text.
const sqliteTimeLayout = "2006-01-02T15:04:05.000000Z"
