package sqldb

import (
	"context"
	"fmt"
	"strings"
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
	// uniqueViolation reports whether err is a unique constraint failure.
	uniqueViolation(err error) bool
	// timeArg converts a time to a query argument.
	timeArg(t time.Time) any
	// reserveLeadIDs reserves n consecutive lead ids and returns the first.
	reserveLeadIDs(ctx context.Context, tx *Tx, n int) (int64, error)
	// bulkInsert inserts rows (values in cols order) into table.
	bulkInsert(ctx context.Context, tx *Tx, table string, cols []column, rows [][]any) error
	// forUpdate is the clause that locks selected rows for the transaction.
	forUpdate() string
	// keyIn returns a condition that (a, b) is one of the pairs, with its
	// arguments numbered from n.
	keyIn(a, b string, pairs [][2]string, n int) (string, []any)
	// attribute returns an expression for attribute key of the leads row and
	// its argument, numbered n.
	attribute(key string, n int) (string, any)
}

// column is a column of a bulk insert, with its PostgreSQL type.
type column struct {
	name   string
	pgType string // bigint, integer, text, jsonb or timestamptz
}

// sqliteTimeLayout is fixed-width so that times compare correctly as text.
const sqliteTimeLayout = "2006-01-02T15:04:05.000000Z"

// placeholders returns "($n, $n+1, ...)" for k values.
func placeholders(n, k int) string {
	var b strings.Builder
	b.WriteByte('(')
	for i := range k {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d", n+i)
	}
	b.WriteByte(')')
	return b.String()
}

func columnNames(cols []column) string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.name
	}
	return strings.Join(names, ", ")
}
