package sqldb

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps statements prepared on a pool, by text, so that a
// transaction on SQLite runs a statement it has run before without
// preparing it again (see [Tx.stmt]): preparing costs as much as running a
// short statement, and the demo's simulation spent a fifth of its time
// there when statements were prepared once per transaction.
//
// A statement is prepared on the pool only between transactions: the one
// that first met it asks for it, and it is prepared after that
// transaction has given its connection back. Preparing on the pool while a
// transaction holds the write pool's only connection would wait for that
// connection forever. A transaction then binds the pool's statement to its
// connection ([sql.Tx.StmtContext]), which reuses the statement already
// prepared there, or prepares it there once.
type stmtCache struct {
	pool *sql.DB
	mu   sync.Mutex
	m    map[string]*sql.Stmt
}

// maxCachedStmts bounds the statements a pool keeps: texts built with a
// varying number of rows are many, and beyond this they are prepared per
// transaction as before.
const maxCachedStmts = 256

func newStmtCache(pool *sql.DB) *stmtCache {
	return &stmtCache{pool: pool, m: map[string]*sql.Stmt{}}
}

// get returns the pool's statement for q, or nil.
func (c *stmtCache) get(q string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[q]
}

// full reports whether the cache takes no more statements.
func (c *stmtCache) full() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m) >= maxCachedStmts
}

// prepare prepares each of qs on the pool and keeps it. It must not be
// called while the caller holds one of the pool's connections. A
// statement that fails to prepare is left out: running it reports the
// error.
func (c *stmtCache) prepare(ctx context.Context, qs []string) {
	for _, q := range qs {
		if c.get(q) != nil || c.full() {
			continue
		}
		s, err := c.pool.PrepareContext(ctx, q) // not under c.mu: it waits for a connection
		if err != nil {
			continue
		}
		c.mu.Lock()
		if _, ok := c.m[q]; ok || len(c.m) >= maxCachedStmts {
			s.Close()
		} else {
			c.m[q] = s
		}
		c.mu.Unlock()
	}
}

// close closes every statement kept.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, s := range c.m {
		s.Close()
		delete(c.m, q)
	}
}
