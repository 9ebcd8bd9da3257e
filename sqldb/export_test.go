package sqldb

import "context"

// ExecForTest runs a statement in a write transaction, for tests that check
// what the database itself refuses.
func (db *DB) ExecForTest(ctx context.Context, q string) error {
	return db.transact(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, q)
		return err
	})
}
