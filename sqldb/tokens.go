package sqldb

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/access"
)

// tokenSelect reads tokens for [scanToken], each with its user's current
// role; a WHERE or ORDER BY clause may follow.
const tokenSelect = `SELECT t.id, t.name, coalesce(u.role, t.role), t.created_at, t.last_used_at, coalesce(u.id, 0), coalesce(u.email, ''),
	t.scopes, t.expires_at
	FROM tokens t LEFT JOIN users u ON u.id = t.user_id`

// scanToken reads a row of tokenSelect into t.
func scanToken(row interface{ Scan(...any) error }, t *tandem.Token) error {
	var scopes string
	err := row.Scan(&t.ID, &t.Name, &t.Role, scanTime{&t.CreatedAt}, scanTime{&t.LastUsedAt}, &t.UserID, &t.UserEmail, &scopes, scanTime{&t.ExpiresAt})
	t.Scopes = strings.Fields(scopes)
	return err
}

// TokenSpec says what token to make: an integration's (Role) or a user's
// (Email), with scopes (none: every scope) and an expiry (zero: never).
type TokenSpec struct {
	Name      string
	Role      tandem.Role
	Email     string
	Scopes    []access.TokenScope
	ExpiresAt time.Time
}

// CreateScopedToken makes the API token the spec says and returns it with
// its secret, shown this once. A bad name, role, scope or an expiry not in
// the future is EINVALID naming the field; a name taken is ECONFLICT.
func (db *DB) CreateScopedToken(ctx context.Context, spec TokenSpec) (t tandem.Token, secret string, err error) {
	defer wrap(&err, "create token %q", spec.Name)
	return db.createToken(ctx, spec)
}

// Tokens returns every API token, by name, without secrets (only their
// hashes are kept). A user's token carries the user's role as it is now.
func (db *DB) Tokens(ctx context.Context) (ts []tandem.Token, err error) {
	defer wrap(&err, "list tokens")
	rows, err := db.read.QueryContext(ctx, tokenSelect+` ORDER BY t.name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ts = []tandem.Token{}
	for rows.Next() {
		var t tandem.Token
		if err := scanToken(rows, &t); err != nil {
			return nil, err
		}
		ts = append(ts, t)
	}
	return ts, rows.Err()
}

// RevokeToken deletes the API token with the id and returns it as it was:
// its secret no longer authenticates. ENOTFOUND when no token has the id.
func (db *DB) RevokeToken(ctx context.Context, id int64) (t tandem.Token, err error) {
	defer wrap(&err, "revoke token %d", id)
	err = db.transact(ctx, func(tx *Tx) error {
		err := scanToken(tx.QueryRowContext(ctx, tokenSelect+` WHERE t.id = $1`, id), &t)
		if err == sql.ErrNoRows {
			return tandem.Errorf(tandem.ENOTFOUND, "no API token with id %d", id)
		} else if err != nil {
			return err
		}
		if _, err = tx.ExecContext(ctx, `DELETE FROM tokens WHERE id = $1`, id); err != nil {
			return err
		}
		return tx.auditToken(ctx, AuditTokenRevoke, t)
	})
	return t, err
}

// UsersWithPassword returns the ids of the users who have a password (and
// so may sign in).
func (db *DB) UsersWithPassword(ctx context.Context) (ids map[int64]bool, err error) {
	defer wrap(&err, "users with a password")
	rows, err := db.read.QueryContext(ctx, `SELECT id FROM users WHERE password_hash <> ''`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ids = map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids[id] = true
	}
	return ids, rows.Err()
}
