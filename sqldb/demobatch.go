package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// batching is the state of a store made by [DB.Batcher]: the transaction
// of the batch in progress, if any.
type batching struct {
	outer *Tx
}

// Batcher returns a store on db's database whose use cases may run in
// batches (see [DB.Batch]); outside a batch it is db's equal. It is for one
// goroutine: the demo's simulation, which does thousands of small use cases
// in the time order of a fake clock.
func (db *DB) Batcher() *DB {
	return &DB{write: db.write, read: db.read, d: db.d, clock: db.clock, log: db.log, channels: db.channels,
		ledgerData: db.ledgerData, versions: map[int]*compiled{}, writeStmts: db.writeStmts, readStmts: db.readStmts,
		batching: &batching{}}
}

// Batch runs fn, and every use case fn does on db, in one transaction: each
// use case (a method of db, reads included) runs in a savepoint of its own,
// so that one that fails leaves nothing behind, as its own transaction
// would, and with its own time, the clock's when it begins, as its own
// transaction would. The ledger is written as it is without a batch. An
// error from fn rolls the whole batch back. db must come from
// [DB.Batcher]; batches do not nest.
func (db *DB) Batch(ctx context.Context, fn func() error) (err error) {
	defer wrap(&err, "batch")
	if db.batching == nil {
		return errors.New("the store is not a Batcher")
	}
	if db.batching.outer != nil {
		return errors.New("a batch is in progress")
	}
	return db.transactOnce(ctx, db.write, nil, func(tx *Tx) error {
		if tx.stmts == nil {
			tx.stmts = map[string]*sql.Stmt{}
		}
		db.batching.outer = tx
		defer func() { db.batching.outer = nil }()
		return fn()
	})
}

// nested runs fn as one use case of the batch in progress, in a savepoint.
func (b *batching) nested(ctx context.Context, db *DB, fn func(tx *Tx) error) error {
	outer := b.outer
	if _, err := outer.Tx.ExecContext(ctx, `SAVEPOINT use_case`); err != nil {
		return fmt.Errorf("begin use case: %w", err)
	}
	// A transaction of its own but for the connection, the statements
	// and the batch's end: its caches (users, the agreement in force) are
	// its own, and Now is the clock's.
	tx := &Tx{Tx: outer.Tx, db: db, conn: outer.conn, Now: db.clock.Now().UTC().Truncate(time.Microsecond),
		stmts: outer.stmts, cache: outer.cache}
	err := fn(tx)
	outer.wanted = append(outer.wanted, tx.wanted...)
	if err != nil {
		if _, rerr := outer.Tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT use_case`); rerr != nil {
			return errors.Join(err, fmt.Errorf("roll back use case: %w", rerr))
		}
	}
	if _, rerr := outer.Tx.ExecContext(ctx, `RELEASE SAVEPOINT use_case`); rerr != nil {
		return errors.Join(err, fmt.Errorf("end use case: %w", rerr))
	}
	return err
}
