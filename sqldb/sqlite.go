package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // the "sqlite" driver
)

type sqlite struct{}

// openSQLite opens the file twice: a writer pool of one connection whose
// transactions take the write lock when they begin (so they never fail with
// SQLITE_BUSY half-way), and a reader pool for queries, which WAL lets run
// beside the writer.
func openSQLite(path string) (write, read *sql.DB, err error) {
	path = strings.TrimPrefix(path, "sqlite://")
	if path == "" {
		return nil, nil, fmt.Errorf("empty database path")
	}
	const pragmas = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"
	write, err = sql.Open("sqlite", path+"?"+pragmas+"&_pragma=cache_size(-131072)&_pragma=wal_autocheckpoint(20000)&_pragma=mmap_size(1073741824)&_pragma=temp_store(MEMORY)&_txlock=immediate")
	if err != nil {
		return nil, nil, err
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	read, err = sql.Open("sqlite", path+"?"+pragmas+"&_pragma=cache_size(-65536)&_pragma=mmap_size(1073741824)&_pragma=query_only(1)")
	if err != nil {
		write.Close()
		return nil, nil, err
	}
	read.SetMaxOpenConns(max(4, runtime.NumCPU()))
	return write, read, nil
}

func (sqlite) name() string                { return "sqlite" }
func (sqlite) gooseDialect() goose.Dialect { return goose.DialectSQLite3 }
func (sqlite) forUpdate() string           { return "" }

func (sqlite) timeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(sqliteTimeLayout)
}

func (sqlite) retryable(err error) bool {
	// One writer connection and immediate transactions: a conflict cannot
	// happen, and busy_timeout covers other processes.
	return false
}

func (sqlite) reserveLeadIDs(ctx context.Context, tx *Tx, n int) (int64, error) {
	// The transaction holds the write lock, so no other writer can take
	// these ids before the transaction ends.
	var last int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM leads`).Scan(&last); err != nil {
		return 0, fmt.Errorf("reserve lead ids: %w", err)
	}
	return last + 1, nil
}

func (sqlite) reserveIDs(ctx context.Context, tx *Tx, table string, n int) ([]int64, error) {
	// As for leads: the transaction holds the write lock.
	var last int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM `+table).Scan(&last); err != nil {
		return nil, fmt.Errorf("reserve %s ids: %w", table, err)
	}
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = last + 1 + int64(i)
	}
	return ids, nil
}

// questionMarks returns "(?, ?, ...)" for k values.
func questionMarks(k int) string {
	return "(" + strings.Repeat("?, ", k-1) + "?)"
}

// bulkInsert inserts the rows with prepared multi-row INSERTs of 64 rows,
// the rest with one of 32, 16, ..., 1 rows each (so a table has at most
// seven statement texts, each prepared once and cached). Rows per
// statement matter on SQLite for a table under a full-text index (leads):
// FTS5 writes out what it holds at the start of every statement that
// follows one that wrote it, one small segment per statement, which it
// must then merge.
func (d sqlite) bulkInsert(ctx context.Context, tx *Tx, table string, cols []string, rows [][]any) error {
	// Most rows repeat the transaction's time (created_at, sent_at...):
	// it is formatted once.
	var last time.Time
	var lastArg any
	for _, row := range rows {
		for i, v := range row {
			if t, ok := v.(time.Time); ok {
				if lastArg == nil || !t.Equal(last) { // the same instant is the same UTC text
					last, lastArg = t, d.timeArg(t)
				}
				row[i] = lastArg
			}
		}
	}
	// SQLite takes at most 32,766 parameters in a statement.
	most := 64
	for most > 1 && most*len(cols) > 32766 {
		most /= 2
	}
	one := questionMarks(len(cols))
	var args []any
	for n := most; len(rows) > 0; n /= 2 {
		if len(rows) < n {
			continue
		}
		stmt, done, err := tx.prepared(ctx, fmt.Sprintf("INSERT INTO %s (%s) VALUES %s", table, strings.Join(cols, ", "),
			strings.TrimSuffix(strings.Repeat(one+", ", n), ", ")))
		if err != nil {
			return err
		}
		for ; len(rows) >= n; rows = rows[n:] {
			args = args[:0]
			for _, row := range rows[:n] {
				args = append(args, row...)
			}
			if _, err := stmt.ExecContext(ctx, args...); err != nil {
				done()
				return fmt.Errorf("insert into %s: %w", table, err)
			}
		}
		done()
	}
	return nil
}

// updateLeads runs one prepared UPDATE per lead: in process, that is as
// fast as anything bulkier.
func (sqlite) updateLeads(ctx context.Context, tx *Tx, leads []batchLeadWrite) error {
	return updateLeadsEach(ctx, tx, leads)
}

// touchLeads runs one prepared UPDATE of the two columns per lead.
func (d sqlite) touchLeads(ctx context.Context, tx *Tx, ls []leadTouch) error {
	stmt, done, err := tx.prepared(ctx, `UPDATE leads SET version = ?, updated_at = ? WHERE id = ?`)
	if err != nil {
		return err
	}
	defer done()
	for _, l := range ls {
		if _, err := stmt.ExecContext(ctx, l.version, d.timeArg(l.updatedAt), l.id); err != nil {
			return fmt.Errorf("update lead %d: %w", l.id, err)
		}
	}
	return nil
}

// upsertStageEntries runs one prepared single-row upsert per entry, as
// bulkInsert does: here that is faster than multi-row statements, whose
// text SQLite parses again for each transaction.
func (d sqlite) upsertStageEntries(ctx context.Context, tx *Tx, entries []stageEntry) error {
	stmt, done, err := tx.prepared(ctx, `INSERT INTO stage_entries (lead_id, stage, entered_at) VALUES (?, ?, ?)`+stageEntriesUpsert)
	if err != nil {
		return err
	}
	defer done()
	for _, e := range entries {
		if _, err := stmt.ExecContext(ctx, e.leadID, e.stage, d.timeArg(e.at)); err != nil {
			return err
		}
	}
	return nil
}

// addStageCounts runs one prepared single-row upsert per row, as
// upsertStageEntries does.
func (d sqlite) addStageCounts(ctx context.Context, tx *Tx, rows []stageCount) error {
	stmt, done, err := tx.prepared(ctx, `INSERT INTO stage_counts (stage, bucket, source, origin, segment, entered, reached_next, reached_last)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`+stageCountsAdd)
	if err != nil {
		return err
	}
	defer done()
	for _, r := range rows {
		if _, err := stmt.ExecContext(ctx, r.stage, d.timeArg(r.bucket()), r.group[0], r.group[1], r.group[2], r.entered, r.next, r.last); err != nil {
			return err
		}
	}
	return nil
}

// hourOf cuts the fixed-width text of a time after the hour.
func (sqlite) hourOf(col string) string {
	return "substr(" + col + ", 1, 13) || ':00:00.000000Z'"
}

// lockStageCounts is empty: a write transaction holds the database's
// write lock from its start.
func (sqlite) lockStageCounts() string { return "" }

// keyIn uses positional "?" parameters: SQLite looks "$N" names up in a
// list, which makes a statement with thousands of them quadratic. The
// condition must therefore be the only parameterised part of its query.
func (sqlite) keyIn(a, b string, pairs [][2]string, n int) (string, []any) {
	var sb strings.Builder
	fmt.Fprintf(&sb, "(%s, %s) IN (VALUES ", a, b)
	args := make([]any, 0, 2*len(pairs))
	for i, p := range pairs {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString("(?, ?)")
		args = append(args, p[0], p[1])
	}
	sb.WriteByte(')')
	return sb.String(), args
}

func (sqlite) attribute(key string, n int) (string, any) {
	return fmt.Sprintf("json_extract(attributes, $%d)", n), `$."` + key + `"`
}

// skipLocked is empty: a write transaction holds the database's write lock
// from its start, so claims are serialised without row locks.
func (sqlite) skipLocked() string { return "" }
