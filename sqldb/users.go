package sqldb

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"encoding/hex"
	"strings"

	"github.com/tandemhq/tandem"
)

// CreateUser adds a user: EINVALID for a bad email or role, ECONFLICT when
// the email is taken.
func (db *DB) CreateUser(ctx context.Context, u *tandem.User) (err error) {
	defer wrap(&err, "create user %q", u.Email)
	u.Email = strings.ToLower(strings.TrimSpace(u.Email))
	if err := u.Validate(); err != nil {
		return err
	}
	return db.transact(ctx, func(tx *Tx) error {
		if _, err := tx.userByEmail(ctx, u.Email); err == nil {
			return tandem.Errorf(tandem.ECONFLICT, "a user with email %s already exists", u.Email)
		}
		u.CreatedAt = tx.Now
		return tx.QueryRowContext(ctx, `INSERT INTO users (email, name, role, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
			u.Email, u.Name, string(u.Role), tx.t(u.CreatedAt)).Scan(&u.ID)
	})
}

// UserByEmail returns the user with the email, or ENOTFOUND.
func (db *DB) UserByEmail(ctx context.Context, email string) (u tandem.User, err error) {
	defer wrap(&err, "user %q", email)
	err = db.view(ctx, func(tx *Tx) error {
		u, err = tx.userByEmail(ctx, email)
		return err
	})
	return u, err
}

func (tx *Tx) userByEmail(ctx context.Context, email string) (tandem.User, error) {
	var u tandem.User
	err := tx.QueryRowContext(ctx, `SELECT id, email, name, role, created_at FROM users WHERE email = $1`,
		strings.ToLower(strings.TrimSpace(email))).Scan(&u.ID, &u.Email, &u.Name, &u.Role, scanTime{&u.CreatedAt})
	if err == sql.ErrNoRows {
		return u, tandem.Errorf(tandem.ENOTFOUND, "no user with email %s", email)
	}
	return u, err
}

// Users returns every user, by email.
func (db *DB) Users(ctx context.Context) (us []tandem.User, err error) {
	defer wrap(&err, "list users")
	err = db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, email, name, role, created_at FROM users ORDER BY email`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var u tandem.User
			if err := rows.Scan(&u.ID, &u.Email, &u.Name, &u.Role, scanTime{&u.CreatedAt}); err != nil {
				return err
			}
			us = append(us, u)
		}
		return rows.Err()
	})
	return us, err
}

// tokenPrefix marks Tandem's API tokens so that secret scanners find them.
const tokenPrefix = "tdm_"

func hashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// CreateToken makes an API token and returns it with its secret, which is
// shown this once: only its hash is stored. EINVALID for a bad name or role,
// ECONFLICT when the name is taken.
func (db *DB) CreateToken(ctx context.Context, name string, role tandem.Role) (t tandem.Token, secret string, err error) {
	defer wrap(&err, "create token %q", name)
	name = strings.TrimSpace(name)
	var errs []tandem.FieldError
	if name == "" || len(name) > 100 {
		errs = append(errs, tandem.FieldError{Field: "name", Message: "a token needs a name of 1 to 100 characters"})
	}
	if _, err := tandem.ParseRole(string(role)); err != nil {
		errs = append(errs, tandem.ErrorFields(err)...)
	}
	if len(errs) > 0 {
		return t, "", tandem.Invalid(errs...)
	}
	b := make([]byte, 20)
	rand.Read(b)
	secret = tokenPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
	err = db.transact(ctx, func(tx *Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM tokens WHERE name = $1`, name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return tandem.Errorf(tandem.ECONFLICT, "a token named %q already exists", name)
		}
		t = tandem.Token{Name: name, Role: role, CreatedAt: tx.Now}
		return tx.QueryRowContext(ctx, `INSERT INTO tokens (name, role, hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
			name, string(role), hashToken(secret), tx.t(tx.Now)).Scan(&t.ID)
	})
	return t, secret, err
}

// Authenticate returns the token whose secret this is, or EUNAUTHORIZED.
func (db *DB) Authenticate(ctx context.Context, secret string) (t tandem.Token, err error) {
	defer wrap(&err, "authenticate")
	if !strings.HasPrefix(secret, tokenPrefix) {
		return t, tandem.Errorf(tandem.EUNAUTHORIZED, "not a Tandem API token")
	}
	err = db.read.QueryRowContext(ctx, `SELECT id, name, role, created_at FROM tokens WHERE hash = $1`, hashToken(secret)).
		Scan(&t.ID, &t.Name, &t.Role, scanTime{&t.CreatedAt})
	if err == sql.ErrNoRows {
		return t, tandem.Errorf(tandem.EUNAUTHORIZED, "unknown or revoked API token")
	}
	return t, err
}
