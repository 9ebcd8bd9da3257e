package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
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

func (postgres) uniqueViolation(err error) bool { return pgCode(err) == "23505" }

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

// bulkInsert sends each column as one array and lets unnest turn the arrays
// back into rows: one statement per chunk, however many rows.
func (postgres) bulkInsert(ctx context.Context, tx *Tx, table string, cols []column, rows [][]any) error {
	const per = 5000
	for len(rows) > 0 {
		chunk := rows[:min(per, len(rows))]
		rows = rows[len(chunk):]
		args := make([]any, len(cols))
		params := make([]string, len(cols))
		selects := make([]string, len(cols))
		for j, c := range cols {
			arrayType := c.pgType
			selects[j] = c.name
			if c.pgType == "jsonb" {
				arrayType = "text"
				selects[j] = c.name + "::jsonb"
			}
			params[j] = fmt.Sprintf("$%d::%s[]", j+1, arrayType)
			switch c.pgType {
			case "bigint", "integer":
				a := make([]int64, len(chunk))
				for i, row := range chunk {
					a[i] = toInt64(row[j])
				}
				args[j] = a
			case "timestamptz":
				a := make([]time.Time, len(chunk))
				for i, row := range chunk {
					a[i] = row[j].(time.Time).UTC()
				}
				args[j] = a
			default:
				a := make([]string, len(chunk))
				for i, row := range chunk {
					a[i] = row[j].(string)
				}
				args[j] = a
			}
		}
		q := fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM unnest(%s) AS u(%s)",
			table, columnNames(cols), strings.Join(selects, ", "), strings.Join(params, ", "), columnNames(cols))
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
	}
	return nil
}

func toInt64(v any) int64 {
	switch v := v.(type) {
	case int64:
		return v
	case int:
		return int64(v)
	case int32:
		return int64(v)
	}
	panic(fmt.Sprintf("sqldb: %T is not an integer", v))
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
