package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib" // also registers the "pgx" driver
	"github.com/pressly/goose/v3"
)

type postgres struct{}

func openPostgres(dsn string) (*sql.DB, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	return db, nil
}

func (postgres) name() string                { return "postgres" }
func (postgres) gooseDialect() goose.Dialect { return goose.DialectPostgres }
func (postgres) forUpdate() string           { return " FOR UPDATE" }

func (postgres) timeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

func pgCode(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func (postgres) retryable(err error) bool {
	switch pgCode(err) {
	case "40001", "40P01", "23505": // serialization failure, deadlock, unique violation
		return true
	}
	return false
}

func (postgres) reserveLeadIDs(ctx context.Context, tx *Tx, n int) (int64, error) {
	// setval moves the sequence past the whole block in one statement, so
	// the block is consecutive even with concurrent writers.
	var last int64
	err := tx.QueryRowContext(ctx, `SELECT setval('leads_id_seq', nextval('leads_id_seq') + $1 - 1)`, n).Scan(&last)
	if err != nil {
		return 0, fmt.Errorf("reserve lead ids: %w", err)
	}
	return last - int64(n) + 1, nil
}

func (postgres) reserveIDs(ctx context.Context, tx *Tx, table string, n int) ([]int64, error) {
	// nextval per row: concurrent writers interleave, but never share an id.
	rows, err := tx.QueryContext(ctx, `SELECT nextval($1::regclass) FROM generate_series(1, $2)`, table+"_id_seq", n)
	if err != nil {
		return nil, fmt.Errorf("reserve %s ids: %w", table, err)
	}
	defer rows.Close()
	ids := make([]int64, 0, n)
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("reserve %s ids: %w", table, err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// bulkInsert uses COPY, PostgreSQL's fastest way in, on the transaction's
// own connection, so the rows commit or roll back with the transaction.
func (postgres) bulkInsert(ctx context.Context, tx *Tx, table string, cols []string, rows [][]any) error {
	if len(rows) <= smallInsert {
		// COPY costs several round trips however few the rows: a breach
		// writes one event.
		var b strings.Builder
		fmt.Fprintf(&b, "INSERT INTO %s (%s) VALUES ", table, strings.Join(cols, ", "))
		args := make([]any, 0, len(rows)*len(cols))
		for i, row := range rows {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			for j, v := range row {
				if j > 0 {
					b.WriteString(", ")
				}
				args = append(args, v)
				fmt.Fprintf(&b, "$%d", len(args))
			}
			b.WriteByte(')')
		}
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
		return nil
	}
	err := tx.conn.Raw(func(driverConn any) error {
		conn := driverConn.(*stdlib.Conn).Conn()
		_, err := conn.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(rows))
		return err
	})
	if err != nil {
		return fmt.Errorf("copy into %s: %w", table, err)
	}
	return nil
}

// updateLeads copies the leads into a temporary table and updates them
// from it in one statement: an UPDATE per lead is a round trip each.
func (d postgres) updateLeads(ctx context.Context, tx *Tx, leads []batchLeadWrite) error {
	if len(leads) <= smallInsert {
		return updateLeadsEach(ctx, tx, leads)
	}
	cols := append(slices.Clone(leadInsertColumns), "account_id")
	if _, err := tx.ExecContext(ctx, `CREATE TEMPORARY TABLE lead_updates ON COMMIT DROP AS SELECT `+strings.Join(cols, ", ")+
		` FROM leads WITH NO DATA`); err != nil {
		return fmt.Errorf("update leads: %w", err)
	}
	rows := make([][]any, len(leads))
	for i := range leads {
		row := leadRow(&leads[i].lead)
		for j := range row {
			row[j] = tx.arg(row[j])
		}
		rows[i] = append(row, nullID(leads[i].accountID))
	}
	if err := d.bulkInsert(ctx, tx, "lead_updates", cols, rows); err != nil {
		return fmt.Errorf("update leads: %w", err)
	}
	set := make([]string, 0, len(cols))
	for _, c := range leadInsertColumns[1:] {
		set = append(set, c+" = u."+c)
	}
	set = append(set, "account_id = coalesce(leads.account_id, u.account_id)")
	if _, err := tx.ExecContext(ctx, `UPDATE leads SET `+strings.Join(set, ", ")+` FROM lead_updates u WHERE leads.id = u.id`); err != nil {
		return fmt.Errorf("update leads: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DROP TABLE lead_updates`); err != nil {
		return fmt.Errorf("update leads: %w", err)
	}
	return nil
}

// touchLeads sends the leads as three arrays: one statement, however
// many leads.
func (postgres) touchLeads(ctx context.Context, tx *Tx, ls []leadTouch) error {
	ids := make([]int64, len(ls))
	versions := make([]int64, len(ls))
	ats := make([]time.Time, len(ls))
	for i, l := range ls {
		ids[i], versions[i], ats[i] = l.id, int64(l.version), l.updatedAt.UTC()
	}
	_, err := tx.ExecContext(ctx, `UPDATE leads SET version = u.version, updated_at = u.updated_at
		FROM unnest($1::bigint[], $2::bigint[], $3::timestamptz[]) AS u (id, version, updated_at) WHERE leads.id = u.id`, ids, versions, ats)
	if err != nil {
		return fmt.Errorf("update leads: %w", err)
	}
	return nil
}

// smallInsert is the most rows bulkInsert writes with INSERT rather than
// COPY.
const smallInsert = 8

// upsertStageEntries sends the rows as three arrays: one statement and
// three parameters, however many rows.
func (postgres) upsertStageEntries(ctx context.Context, tx *Tx, entries []stageEntry) error {
	leads := make([]int64, len(entries))
	stages := make([]string, len(entries))
	ats := make([]time.Time, len(entries))
	for i, e := range entries {
		leads[i], stages[i], ats[i] = e.leadID, e.stage, e.at.UTC()
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO stage_entries (lead_id, stage, entered_at)
		SELECT * FROM unnest($1::bigint[], $2::text[], $3::timestamptz[])`+stageEntriesUpsert, leads, stages, ats)
	return err
}

// addStageCounts sends the rows as arrays, as upsertStageEntries does.
func (postgres) addStageCounts(ctx context.Context, tx *Tx, rows []stageCount) error {
	stages, sources, origins, segments := make([]string, len(rows)), make([]string, len(rows)), make([]string, len(rows)), make([]string, len(rows))
	buckets := make([]time.Time, len(rows))
	entered, next, last := make([]int64, len(rows)), make([]int64, len(rows)), make([]int64, len(rows))
	for i, r := range rows {
		stages[i], buckets[i], sources[i], origins[i], segments[i] = r.stage, r.bucket(), r.group[0], r.group[1], r.group[2]
		entered[i], next[i], last[i] = r.entered, r.next, r.last
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO stage_counts (stage, bucket, source, origin, segment, entered, reached_next, reached_last)
		SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::bigint[])`+stageCountsAdd,
		stages, buckets, sources, origins, segments, entered, next, last)
	return err
}

// hourOf truncates in UTC: date_trunc on a timestamptz would use the
// session's time zone, whose hours may start at half past.
func (postgres) hourOf(col string) string {
	return "date_trunc('hour', " + col + " AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"
}

// lockStageCounts conflicts with the row locks of other writers' changes
// and with itself.
func (postgres) lockStageCounts() string {
	return "LOCK TABLE stage_counts IN SHARE ROW EXCLUSIVE MODE"
}

func (postgres) keyIn(a, b string, pairs [][2]string, n int) (string, []any) {
	as := make([]string, len(pairs))
	bs := make([]string, len(pairs))
	for i, p := range pairs {
		as[i], bs[i] = p[0], p[1]
	}
	return fmt.Sprintf("(%s, %s) IN (SELECT * FROM unnest($%d::text[], $%d::text[]))", a, b, n, n+1), []any{as, bs}
}

func (postgres) attribute(key string, n int) (string, any) {
	return fmt.Sprintf("attributes->>$%d", n), key
}

func (postgres) skipLocked() string { return " FOR UPDATE SKIP LOCKED" }
