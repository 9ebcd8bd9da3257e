package sqldb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"time"

	"github.com/tandemhq/tandem"
)

// SetPassword stores hash (an encoded argon2id hash from package password)
// as the password of the user with the email, and ends all of the user's
// sessions: a reset by an admin or a change by the user signs out every
// browser that knew the old one. ENOTFOUND when no user has the email.
func (db *DB) SetPassword(ctx context.Context, email, hash string) (u tandem.User, err error) {
	defer wrap(&err, "set password of %q", email)
	err = db.transact(ctx, func(tx *Tx) error {
		if u, err = tx.userWhere(ctx, "email = $1", normalEmail(email), true); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1 WHERE id = $2`, hash, u.ID); err != nil {
			return err
		}
		if err := tx.recordAudit(ctx, AuditUserPassword, "user:"+u.Email, nil); err != nil {
			return err
		}
		return tx.revokeSessions(ctx, u.ID)
	})
	return u, err
}

// UserPassword returns the user with the email and their password hash ("" when
// they have none), for signing in: ENOTFOUND when no user has the email.
func (db *DB) UserPassword(ctx context.Context, email string) (u tandem.User, hash string, err error) {
	defer wrap(&err, "password of %q", email)
	err = db.view(ctx, func(tx *Tx) error {
		if u, err = tx.userByEmail(ctx, email); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT password_hash FROM users WHERE id = $1`, u.ID).Scan(&hash)
	})
	return u, hash, err
}

// SetupOpen reports whether Tandem awaits its first admin: no user has a
// password yet, so nobody can sign in.
func (db *DB) SetupOpen(ctx context.Context) (open bool, err error) {
	defer wrap(&err, "setup open")
	err = db.view(ctx, func(tx *Tx) error {
		open, err = tx.setupOpen(ctx)
		return err
	})
	return open, err
}

func (tx *Tx) setupOpen(ctx context.Context) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE password_hash <> ''`).Scan(&n)
	return n == 0, err
}

// CreateFirstAdmin makes u an admin with the password hash, on a fresh
// install: while [DB.SetupOpen] holds. It adds the user, or gives the
// password to an existing admin who has none (one added by `tandem user
// add` before passwords existed). ECONFLICT once setup is closed, or when
// the email belongs to a user who is not an admin; EINVALID for a bad email
// or name.
func (db *DB) CreateFirstAdmin(ctx context.Context, u *tandem.User, hash string) (err error) {
	defer wrap(&err, "create first admin %q", u.Email)
	u.Email = normalEmail(u.Email)
	u.Role = tandem.RoleAdmin
	u.Weight = 1
	if err := u.Validate(); err != nil {
		return err
	}
	return db.transact(ctx, func(tx *Tx) error {
		if db.d.name() == "postgres" {
			// Two browsers setting up at once must not make two admins:
			// the second waits here, then finds setup closed.
			if _, err := tx.ExecContext(ctx, `LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE`); err != nil {
				return err
			}
		}
		open, err := tx.setupOpen(ctx)
		if err != nil {
			return err
		}
		if !open {
			return tandem.Errorf(tandem.ECONFLICT, "Tandem is already set up: sign in, or ask an admin for an account")
		}
		existing, err := tx.userByEmail(ctx, u.Email)
		switch {
		case err == nil && existing.Role != tandem.RoleAdmin:
			return tandem.Errorf(tandem.ECONFLICT, "%s is a %s, not an admin: choose another email", u.Email, existing.Role)
		case err == nil:
			*u = existing
			if _, err = tx.ExecContext(ctx, `UPDATE users SET password_hash = $1 WHERE id = $2`, hash, u.ID); err != nil {
				return err
			}
			return tx.recordAudit(setupActor(ctx), AuditUserPassword, "user:"+u.Email, nil)
		case tandem.ErrorCode(err) != tandem.ENOTFOUND:
			return err
		}
		u.CreatedAt = tx.Now
		if err := tx.QueryRowContext(ctx, `INSERT INTO users (email, name, role, team, absent, weight, created_at, password_hash)
			VALUES ($1, $2, $3, '', $4, 1, $5, $6) RETURNING id`,
			u.Email, u.Name, string(u.Role), false, tx.t(u.CreatedAt), hash).Scan(&u.ID); err != nil {
			return err
		}
		return tx.auditUser(setupActor(ctx), AuditUserCreate, tandem.User{}, *u)
	})
}

// sessionBytes is the entropy of a session secret.
const sessionBytes = 32

// touchEvery is how stale a session's last_seen_at may get before a request
// writes it again: one write a minute per active browser, not one a page.
const touchEvery = time.Minute

// CreateSession signs the user with the id in: it returns a new session and
// its secret, for the cookie. Only the secret's hash is stored. ENOTFOUND
// when there is no such user.
func (db *DB) CreateSession(ctx context.Context, userID int64) (s tandem.Session, secret string, err error) {
	defer wrap(&err, "create session for user %d", userID)
	b := make([]byte, sessionBytes)
	rand.Read(b)
	secret = base64.RawURLEncoding.EncodeToString(b)
	err = db.transact(ctx, func(tx *Tx) error {
		if _, err := tx.userByID(ctx, userID, false); err != nil {
			return err
		}
		s = tandem.Session{UserID: userID, CreatedAt: tx.Now, LastSeenAt: tx.Now, ExpiresAt: tx.Now.Add(tandem.MaxSessionAge)}
		return tx.QueryRowContext(ctx, `INSERT INTO sessions (hash, user_id, created_at, last_seen_at, expires_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			hashToken(secret), userID, tx.t(s.CreatedAt), tx.t(s.LastSeenAt), tx.t(s.ExpiresAt)).Scan(&s.ID)
	})
	return s, secret, err
}

// Session returns the live session whose secret this is, and its user as
// the user is now (a changed role applies at once). It marks the session
// used. EUNAUTHORIZED, with a message for the person, when the secret is
// unknown, or the session has expired or was ended.
func (db *DB) Session(ctx context.Context, secret string) (s tandem.Session, u tandem.User, err error) {
	defer wrap(&err, "session")
	var revoked time.Time
	err = db.read.QueryRowContext(ctx, `SELECT s.id, s.user_id, s.created_at, s.last_seen_at, s.expires_at, s.revoked_at
		FROM sessions s WHERE s.hash = $1`, hashToken(secret)).
		Scan(&s.ID, &s.UserID, scanTime{&s.CreatedAt}, scanTime{&s.LastSeenAt}, scanTime{&s.ExpiresAt}, scanTime{&revoked})
	if err == sql.ErrNoRows {
		return s, u, tandem.Errorf(tandem.EUNAUTHORIZED, "you are not signed in")
	} else if err != nil {
		return s, u, err
	}
	now := db.Now()
	switch {
	case !revoked.IsZero():
		return s, u, tandem.Errorf(tandem.EUNAUTHORIZED, "you were signed out: sign in again")
	case !now.Before(s.EndsAt()):
		return s, u, tandem.Errorf(tandem.EUNAUTHORIZED, "your session has expired: sign in again")
	}
	if u, err = db.UserByID(ctx, s.UserID); err != nil {
		return s, u, err
	}
	if now.Sub(s.LastSeenAt) >= touchEvery {
		err = db.transact(ctx, func(tx *Tx) error {
			// Only a live session moves: a sign-out racing this request wins.
			_, err := tx.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $1 WHERE id = $2 AND revoked_at IS NULL`, tx.t(tx.Now), s.ID)
			s.LastSeenAt = tx.Now
			return err
		})
	}
	return s, u, err
}

// RevokeSession ends the session whose secret this is (signing out). An
// unknown or already ended session is not an error.
func (db *DB) RevokeSession(ctx context.Context, secret string) (err error) {
	defer wrap(&err, "revoke session")
	return db.transact(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = $1 WHERE hash = $2 AND revoked_at IS NULL`, tx.t(tx.Now), hashToken(secret))
		return err
	})
}

// RevokeSessions ends every session of the user with the email and returns
// how many were live: ENOTFOUND when no user has the email.
func (db *DB) RevokeSessions(ctx context.Context, email string) (n int, err error) {
	defer wrap(&err, "revoke sessions of %q", email)
	err = db.transact(ctx, func(tx *Tx) error {
		u, err := tx.userByEmail(ctx, email)
		if err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2`,
			u.ID, tx.t(tx.Now)).Scan(&n); err != nil {
			return err
		}
		if err := tx.recordAudit(ctx, AuditUserSignOut, "user:"+u.Email, nil); err != nil {
			return err
		}
		return tx.revokeSessions(ctx, u.ID)
	})
	return n, err
}

func (tx *Tx) revokeSessions(ctx context.Context, userID int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL`, tx.t(tx.Now), userID)
	return err
}

// DeleteExpiredSessions removes the sessions past their maximum age and
// returns how many it removed. Every session has ended by then, whether it
// went idle, was signed out or ended with a new password; and the cookie,
// which lives as long, is gone from the browser. Rows that ended earlier
// stay until then, so that the sign-in page can still say why a cookie no
// longer works (expired, or signed out).
func (db *DB) DeleteExpiredSessions(ctx context.Context) (n int, err error) {
	defer wrap(&err, "delete expired sessions")
	err = db.transact(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= $1`, tx.t(tx.Now))
		if err != nil {
			return err
		}
		m, err := res.RowsAffected()
		n = int(m)
		return err
	})
	return n, err
}
