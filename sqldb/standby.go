package sqldb

import (
	"context"
	"fmt"
)

// Standby returns the store that the kept reports are computed with and
// the read-only pages read their reports from (package report names those
// paths: RefreshKept and its Read functions). When Tandem runs with
// Options.ReadDSN (tandem --db-read), its reads go to that database, a
// PostgreSQL hot standby, and its writes (keeping a report, taking a
// refresh lease) still go to the primary; otherwise it is db itself.
//
// A standby may lag the primary: a report read from it may miss the last
// moments' writes, as a kept report does anyway. Everything else, and
// every read that must see what the same request wrote, stays on the
// primary.
func (db *DB) Standby() *DB {
	if db.standby != nil {
		return db.standby
	}
	return db
}

// openStandby opens the read pool of [DB.Standby] on dsn.
func (db *DB) openStandby(ctx context.Context, dsn string) error {
	if db.d.name() != "postgres" || !IsPostgres(dsn) {
		return fmt.Errorf("open database: a read DSN (--db-read) is a PostgreSQL standby of a PostgreSQL database; want postgres:// URLs for both")
	}
	pool, err := openPostgres(dsn)
	if err != nil {
		return fmt.Errorf("open the read database: %w", err)
	}
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return fmt.Errorf("open the read database: %w", err)
	}
	db.standby = &DB{write: db.write, read: pool, d: db.d, clock: db.clock, log: db.log, channels: db.channels,
		ledgerData: db.ledgerData, versions: map[int]*compiled{}}
	return nil
}
