package sqldb

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/outbox"
)

//go:embed migrations
var migrations embed.FS

// DB is a connection to Tandem's database.
type DB struct {
	// write takes every transaction that writes. On SQLite it holds one
	// connection, so writers queue instead of failing with SQLITE_BUSY.
	write *sql.DB
	// read serves read-only queries; on PostgreSQL it is the same pool.
	read *sql.DB
	d    dialect

	clock tandem.Clock
	log   *slog.Logger
	// channels are the ways out the outbox's notifications take besides
	// the in-app inbox (see [Tx.publish]).
	channels []outbox.Channel
	// ledgerData says whether a channel takes ledger events, which then
	// have their data encoded as they are written (see appendEvents).
	ledgerData bool

	mu       sync.Mutex
	versions map[int]*compiled // signed agreement versions, compiled once

	// writeStmts and readStmts keep statements prepared on each pool
	// (SQLite only: see stmtCache).
	writeStmts, readStmts *stmtCache

	// standby reads the reports of [DB.Standby] from Options.ReadDSN; nil
	// without one.
	standby *DB
	// batching, set on a store made by [DB.Batcher], runs its use cases
	// in the batch in progress, if any (demobatch.go).
	batching *batching

	// dealRowsAlone makes every row of a deals import run on its own,
	// statement by statement, as a row the batch cannot hold does: for
	// tests that compare the two ways (see dealBatch).
	dealRowsAlone bool

	// record, when set, is told every statement a transaction runs
	// through Tx's own methods, before it runs: for the floor benchmark,
	// which replays what intake writes (see floor_test.go).
	record func(q string, args []any)
}

// Options configure [Open].
type Options struct {
	Clock  tandem.Clock // required
	Logger *slog.Logger // nil discards logs
	// Channels are the channels the outbox writes notifications for,
	// besides the in-app inbox, which is always written: tandem serve
	// gives those it can send on (package notify), nil writes none.
	Channels []outbox.Channel
	// ReadDSN, when set, names a PostgreSQL hot standby of the database
	// that [DB.Standby] reads from.
	ReadDSN string
}

// IsPostgres reports whether dsn names a PostgreSQL database rather than a
// SQLite file.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open connects to the database named by dsn, a postgres:// URL or a SQLite
// file path, applies any migrations it lacks, and does the work they leave
// to the program (see DB.backfill).
func Open(ctx context.Context, dsn string, opts Options) (_ *DB, err error) {
	db := &DB{clock: opts.Clock, log: opts.Logger, versions: map[int]*compiled{}}
	seen := map[string]bool{ChannelInbox: true}
	for _, ch := range opts.Channels {
		if ch.Name == "" || seen[ch.Name] || ch.Route == nil {
			return nil, fmt.Errorf("open database: channel %q: want a name of its own (not inbox) and a Route", ch.Name)
		}
		seen[ch.Name] = true
		db.channels = append(db.channels, ch)
		for _, l := range []string{tandem.EventCreated, tandem.EventUpdated, tandem.EventStageChanged, tandem.EventTouched, tandem.EventReviewed,
			tandem.EventHandedOff, tandem.EventAssigned, tandem.EventBreached, tandem.EventDealOpened, tandem.EventDealUpdated,
			tandem.EventDealWon, tandem.EventDealLost} {
			if t, _ := outbox.LedgerType(l); ch.Takes(t) {
				db.ledgerData = true
			}
		}
	}
	if db.log == nil {
		db.log = slog.New(slog.DiscardHandler)
	}
	if IsPostgres(dsn) {
		db.d = postgres{}
		db.write, err = openPostgres(dsn)
		db.read = db.write
	} else {
		db.d = sqlite{}
		db.write, db.read, err = openSQLite(dsn)
		db.writeStmts, db.readStmts = newStmtCache(db.write), newStmtCache(db.read)
	}
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := db.write.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.backfill(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if opts.ReadDSN != "" {
		if err := db.openStandby(ctx, opts.ReadDSN); err != nil {
			db.Close()
			return nil, err
		}
	}
	return db, nil
}

// Close closes the database.
func (db *DB) Close() error {
	for _, c := range []*stmtCache{db.writeStmts, db.readStmts} {
		if c != nil {
			c.close()
		}
	}
	err := db.write.Close()
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	if db.standby != nil {
		err = errors.Join(err, db.standby.read.Close())
	}
	return err
}

// Dialect names the database in use: "sqlite" or "postgres".
func (db *DB) Dialect() string { return db.d.name() }

func (db *DB) migrate(ctx context.Context) error {
	dir, err := fs.Sub(migrations, "migrations/"+db.d.name())
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(db.d.gooseDialect(), db.write, dir)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.read.PingContext(ctx) }

// Tx is one transaction of one use case. Now is fixed once, when the
// transaction starts, so everything it records carries the same time.
type Tx struct {
	*sql.Tx
	db *DB
	// conn is the connection the transaction runs on, for what only the
	// driver itself can do (PostgreSQL's COPY).
	conn *sql.Conn
	Now  time.Time

	// Read-through caches for one transaction (see cachedUser).
	userCache map[int64]tandem.User
	roleCache map[tandem.Role][]tandem.User
	// importsDeal holds, by key (source, external_id), the leads an
	// import of deals creates in opportunity: their entry opens no deal,
	// since the import's own row is their deal (see dealMoved).
	importsDeal map[[2]string]bool
	// deferred, when set, takes the events appendEvents is given instead
	// of writing them: a batch of deals writes its events, their stage
	// entries and counts once, at its end (see ImportDeals).
	deferred *[]tandem.Event
	// batch, when set, is the batch of deals ImportDeals is importing:
	// what it read for the batch, and the writes it keeps (dealbatch.go).
	batch *dealBatch
	// belowCache holds each manager's direct reports (see Tx.below).
	belowCache map[int64][]int64
	// fired counts what the timers fired in this transaction did (see
	// Tx.Fired).
	fired Fired
	// fireBuf, while FireDue fires a batch set-wise, holds what the
	// batch's timers read and will write (firebatch.go).
	fireBuf *fireBuffer
	// inForceNow is the agreement version in force at Now, once asked.
	inForceNow *versionAnswer
	// stmts holds the statements prepared in this transaction, by text
	// (SQLite only: see Tx.stmt); cache is the pool's, and wanted the
	// statements to prepare on the pool once the transaction is over.
	stmts  map[string]*sql.Stmt
	cache  *stmtCache
	wanted []string
}

// versionAnswer is an answer of Tx.versionInForce.
type versionAnswer struct {
	n   int
	err error
}

// maxTxStmts bounds the statements one transaction keeps prepared.
const maxTxStmts = 64

// stmt returns a prepared statement for q, or nil to run q directly: the
// pool's statement bound to this transaction when the pool keeps one (see
// stmtCache), else one prepared for this transaction, which the pool keeps
// once the transaction is over. On SQLite preparing costs as much as
// running a short statement, and a transaction that fires a batch of
// clocks runs the same few statements fifty times. pgx caches prepared
// statements on its own, so PostgreSQL needs none of this.
func (tx *Tx) stmt(ctx context.Context, q string) *sql.Stmt {
	if tx.cache == nil {
		return nil
	}
	if s, ok := tx.stmts[q]; ok {
		return s
	}
	if len(tx.stmts) >= maxTxStmts {
		return nil
	}
	var s *sql.Stmt
	if ps := tx.cache.get(q); ps != nil {
		s = tx.Tx.StmtContext(ctx, ps)
	} else {
		var err error
		if s, err = tx.Tx.PrepareContext(ctx, q); err != nil {
			return nil // running it directly reports the error
		}
		if !tx.cache.full() {
			tx.wanted = append(tx.wanted, q)
		}
	}
	if tx.stmts == nil {
		tx.stmts = map[string]*sql.Stmt{}
	}
	tx.stmts[q] = s
	return s
}

// prepared returns q prepared for the transaction, and what to call once
// the caller is done with it: the pool's cached statement when there is
// one (see [Tx.stmt]), which a bulk write runs thousands of times per
// batch without preparing it again, else one prepared here and closed by
// done.
func (tx *Tx) prepared(ctx context.Context, q string) (_ *sql.Stmt, done func(), _ error) {
	if s := tx.stmt(ctx, q); s != nil {
		return s, func() {}, nil
	}
	s, err := tx.Tx.PrepareContext(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	return s, func() { s.Close() }, nil
}

// ExecContext runs a statement in the transaction.
func (tx *Tx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if tx.buffering() {
		return nil, errSlowRow // a write the batch of deals does not hold
	}
	if tx.db.record != nil {
		tx.db.record(q, args)
	}
	if s := tx.stmt(ctx, q); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return tx.Tx.ExecContext(ctx, q, args...)
}

// QueryContext runs a query in the transaction.
func (tx *Tx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if tx.db.record != nil {
		tx.db.record(q, args)
	}
	if s := tx.stmt(ctx, q); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return tx.Tx.QueryContext(ctx, q, args...)
}

// QueryRowContext runs a query that returns at most one row.
func (tx *Tx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if tx.db.record != nil {
		tx.db.record(q, args)
	}
	if s := tx.stmt(ctx, q); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return tx.Tx.QueryRowContext(ctx, q, args...)
}

// errRollback ends a transaction without committing it and without error
// (a dry run).
var errRollback = errors.New("roll back")

// transact runs fn in a write transaction and commits it. It retries when
// PostgreSQL reports a serialization failure, a deadlock or a unique
// violation that a concurrent writer caused: fn must be safe to run again.
func (db *DB) transact(ctx context.Context, fn func(tx *Tx) error) error {
	const attempts = 5
	var err error
	for i := range attempts {
		if err = db.transactOnce(ctx, db.write, nil, fn); err == nil || !db.d.retryable(err) {
			break
		}
		// Back off before the next attempt, unless the caller gives up.
		select {
		case <-time.After(time.Duration(i+1) * 5 * time.Millisecond):
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		}
	}
	if errors.Is(err, errRollback) {
		return nil
	}
	return err
}

// view runs fn in a read-only transaction.
func (db *DB) view(ctx context.Context, fn func(tx *Tx) error) error {
	return db.transactOnce(ctx, db.read, &sql.TxOptions{ReadOnly: db.d.name() == "postgres"}, fn)
}

func (db *DB) transactOnce(ctx context.Context, pool *sql.DB, opts *sql.TxOptions, fn func(tx *Tx) error) error {
	if db.batching != nil && db.batching.outer != nil {
		return db.batching.nested(ctx, db, fn)
	}
	conn, err := pool.Conn(ctx)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	sqlTx, err := conn.BeginTx(ctx, opts)
	if err != nil {
		conn.Close()
		return fmt.Errorf("begin transaction: %w", err)
	}
	tx := &Tx{Tx: sqlTx, db: db, conn: conn, Now: db.clock.Now().UTC().Truncate(time.Microsecond)}
	if pool == db.write {
		tx.cache = db.writeStmts
	} else {
		tx.cache = db.readStmts
	}
	defer func() {
		conn.Close()
		if len(tx.wanted) > 0 {
			tx.cache.prepare(ctx, tx.wanted) // now that the connection is back in the pool
		}
	}()
	if err := fn(tx); err != nil {
		sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// t converts a time to the database's form of it.
func (tx *Tx) t(t time.Time) any { return tx.db.d.timeArg(t) }

// scanTime reads a time column from either database.
type scanTime struct{ t *time.Time }

func (s scanTime) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*s.t = time.Time{}
	case time.Time:
		*s.t = v.UTC()
	case string:
		return s.parse(v)
	case []byte:
		return s.parse(string(v))
	default:
		return fmt.Errorf("scan time: unexpected %T", v)
	}
	return nil
}

func (s scanTime) parse(v string) error {
	if t, ok := parseFixedTime(v); ok {
		*s.t = t
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return fmt.Errorf("scan time: %w", err)
	}
	*s.t = t.UTC()
	return nil
}

// parseFixedTime reads a time in SQLite's form (sqliteTimeLayout) without
// time.Parse, which costs a report over a million deals a tenth of its
// time; false for anything else, which time.Parse then reads (or refuses).
func parseFixedTime(v string) (time.Time, bool) {
	if len(v) != len(sqliteTimeLayout) || v[4] != '-' || v[7] != '-' || v[10] != 'T' || v[13] != ':' || v[16] != ':' || v[19] != '.' || v[26] != 'Z' {
		return time.Time{}, false
	}
	num := func(i, j int) int {
		n := 0
		for _, c := range []byte(v[i:j]) {
			if c < '0' || c > '9' {
				return -1
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	y, mo, d, h, mi, sec, us := num(0, 4), num(5, 7), num(8, 10), num(11, 13), num(14, 16), num(17, 19), num(20, 26)
	if y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59 || us < 0 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, us*1000, time.UTC)
	if t.Day() != d { // the 31st of a month of 30 days, say
		return time.Time{}, false
	}
	return t, true
}

// scanJSON reads a JSON column (jsonb on PostgreSQL, text on SQLite) as text.
type scanJSON struct{ s *string }

func (j scanJSON) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*j.s = ""
	case string:
		*j.s = v
	case []byte:
		*j.s = string(v)
	default:
		return fmt.Errorf("scan json: unexpected %T", v)
	}
	return nil
}

// Now is the current time on the database's clock.
func (db *DB) Now() time.Time { return db.clock.Now().UTC().Truncate(time.Microsecond) }

// wrap adds what failed to an error that is not a *tandem.Error (which
// already speaks to the user).
func wrap(err *error, format string, args ...any) {
	if *err == nil || tandem.ErrorCode(*err) != tandem.EINTERNAL {
		return
	}
	*err = fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), *err)
}
