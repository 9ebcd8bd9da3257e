package sqldb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
)

// CalendarFeed is a person's secret calendar feed (docs/integrations.md,
// "Calendar feeds"): a URL holding a token whose SHA-256 alone is stored.
type CalendarFeed struct {
	ID         int64
	UserID     int64
	CreatedAt  time.Time
	LastUsedAt time.Time // zero until a calendar reads it
}

// feedTokenPrefix marks calendar feed tokens, as tokenPrefix API tokens.
const feedTokenPrefix = "tdmcal_"

// CreateCalendarFeed makes the user a new calendar feed and returns it
// with its token, which is shown this once. The user's earlier feed, if
// any, is revoked: a person has one feed, and making a new one is how a
// leaked URL is replaced. ENOTFOUND for an unknown user.
func (db *DB) CreateCalendarFeed(ctx context.Context, userID int64) (f CalendarFeed, token string, err error) {
	defer wrap(&err, "create calendar feed of user %d", userID)
	b := make([]byte, 20)
	rand.Read(b)
	token = feedTokenPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
	err = db.transact(ctx, func(tx *Tx) error {
		u, err := tx.userByID(ctx, userID, false)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE calendar_feeds SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL`,
			tx.t(tx.Now), userID); err != nil {
			return err
		}
		f = CalendarFeed{UserID: userID, CreatedAt: tx.Now}
		if err := tx.QueryRowContext(ctx, `INSERT INTO calendar_feeds (user_id, hash, created_at) VALUES ($1, $2, $3) RETURNING id`,
			userID, hashToken(token), tx.t(tx.Now)).Scan(&f.ID); err != nil {
			return err
		}
		return tx.recordAudit(ctx, AuditFeedCreate, "user:"+u.Email, nil)
	})
	return f, token, err
}

// CalendarFeedOf returns the user's calendar feed in force; ok is false
// when the user has none.
func (db *DB) CalendarFeedOf(ctx context.Context, userID int64) (f CalendarFeed, ok bool, err error) {
	defer wrap(&err, "calendar feed of user %d", userID)
	err = db.view(ctx, func(tx *Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT id, user_id, created_at, last_used_at FROM calendar_feeds
			WHERE user_id = $1 AND revoked_at IS NULL ORDER BY id DESC LIMIT 1`, userID).
			Scan(&f.ID, &f.UserID, scanTime{&f.CreatedAt}, scanTime{&f.LastUsedAt})
		if err == sql.ErrNoRows {
			return nil
		}
		ok = err == nil
		return err
	})
	return f, ok, err
}

// RevokeCalendarFeed turns off the user's calendar feed: its URL answers
// 404 from now on. It returns ENOTFOUND when the user has none.
func (db *DB) RevokeCalendarFeed(ctx context.Context, userID int64) (err error) {
	defer wrap(&err, "revoke calendar feed of user %d", userID)
	return db.transact(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE calendar_feeds SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL`,
			tx.t(tx.Now), userID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return tandem.Errorf(tandem.ENOTFOUND, "you have no calendar feed to turn off")
		}
		u, err := tx.userByID(ctx, userID, false)
		if err != nil {
			return err
		}
		return tx.recordAudit(ctx, AuditFeedRevoke, "user:"+u.Email, nil)
	})
}

// CalendarFeedUser returns the user whose feed the token opens, or
// ENOTFOUND for a token that opens none (unknown or revoked). It records
// the read in LastUsedAt when the stored time is touchEvery old or more:
// a calendar polls every few minutes, and a write each time is not worth
// it.
func (db *DB) CalendarFeedUser(ctx context.Context, token string) (u tandem.User, err error) {
	defer wrap(&err, "calendar feed")
	notFound := tandem.Errorf(tandem.ENOTFOUND, "no calendar feed at this address (turned off, or replaced by a new one)")
	if !strings.HasPrefix(token, feedTokenPrefix) || len(token) > 100 {
		return u, notFound
	}
	var id int64
	var last time.Time
	err = db.view(ctx, func(tx *Tx) error {
		var userID int64
		err := tx.QueryRowContext(ctx, `SELECT id, user_id, last_used_at FROM calendar_feeds WHERE hash = $1 AND revoked_at IS NULL`,
			hashToken(token)).Scan(&id, &userID, scanTime{&last})
		if err == sql.ErrNoRows {
			return notFound
		} else if err != nil {
			return err
		}
		u, err = tx.userByID(ctx, userID, false)
		return err
	})
	if err != nil {
		return u, err
	}
	if now := db.Now(); now.Sub(last) >= touchEvery {
		err = db.transact(ctx, func(tx *Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE calendar_feeds SET last_used_at = $1 WHERE id = $2`, tx.t(tx.Now), id)
			return err
		})
	}
	return u, err
}
