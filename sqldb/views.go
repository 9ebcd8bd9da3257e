package sqldb

import (
	"context"
	"database/sql"
	"strings"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/access"
)

// Saved views of the leads list (table lead_views): per user, and shared
// ones listed for everyone. The query a view keeps is checked by the page
// that saves it (the same parser as GET /api/v1/leads); the store keeps it
// as text.

// SaveLeadView saves a view of the caller's, by its name: a view of the
// same name is replaced. EINVALID for a bad name or query.
func (db *DB) SaveLeadView(ctx context.Context, v tandem.LeadView, tok tandem.Token) (out tandem.LeadView, err error) {
	defer wrap(&err, "save view %q", v.Name)
	v.Name = strings.TrimSpace(v.Name)
	if err := v.Validate(); err != nil {
		return out, err
	}
	if tok.UserID == 0 {
		return out, tandem.Errorf(tandem.EFORBIDDEN, "views are saved by users: the token %s acts for none", tok.Name)
	}
	err = db.transact(ctx, func(tx *Tx) error {
		v.UserID, v.UserEmail, v.UpdatedAt = tok.UserID, tok.UserEmail, tx.Now
		err := tx.QueryRowContext(ctx, `SELECT id FROM lead_views WHERE user_id = $1 AND name = $2`, v.UserID, v.Name).Scan(&v.ID)
		switch {
		case err == sql.ErrNoRows:
			v.CreatedAt = tx.Now
			return tx.QueryRowContext(ctx, `INSERT INTO lead_views (user_id, name, query, shared, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $5) RETURNING id`, v.UserID, v.Name, v.Query, v.Shared, tx.t(tx.Now)).Scan(&v.ID)
		case err != nil:
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE lead_views SET query = $1, shared = $2, updated_at = $3 WHERE id = $4`,
			v.Query, v.Shared, tx.t(tx.Now), v.ID); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT created_at FROM lead_views WHERE id = $1`, v.ID).Scan(scanTime{&v.CreatedAt})
	})
	return v, err
}

// LeadViews returns the views the caller sees: their own, then the ones
// others shared, each by name.
func (db *DB) LeadViews(ctx context.Context, tok tandem.Token) (vs []tandem.LeadView, err error) {
	defer wrap(&err, "list views")
	err = db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT v.id, v.user_id, coalesce(u.email, ''), v.name, v.query, v.shared, v.created_at, v.updated_at
			FROM lead_views v LEFT JOIN users u ON u.id = v.user_id
			WHERE v.user_id = $1 OR v.shared
			ORDER BY CASE WHEN v.user_id = $1 THEN 0 ELSE 1 END, v.name, v.id`, tok.UserID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var v tandem.LeadView
			if err := rows.Scan(&v.ID, &v.UserID, &v.UserEmail, &v.Name, &v.Query, &v.Shared, scanTime{&v.CreatedAt}, scanTime{&v.UpdatedAt}); err != nil {
				return err
			}
			vs = append(vs, v)
		}
		return rows.Err()
	})
	return vs, err
}

// DeleteLeadView deletes a view: its user's, or any for an admin.
// ENOTFOUND for no such view, EFORBIDDEN for another's.
func (db *DB) DeleteLeadView(ctx context.Context, id int64, tok tandem.Token) (err error) {
	defer wrap(&err, "delete view %d", id)
	return db.transact(ctx, func(tx *Tx) error {
		var owner int64
		var name string
		err := tx.QueryRowContext(ctx, `SELECT user_id, name FROM lead_views WHERE id = $1`, id).Scan(&owner, &name)
		if err == sql.ErrNoRows {
			return tandem.Errorf(tandem.ENOTFOUND, "view %d not found", id)
		} else if err != nil {
			return err
		}
		if owner != tok.UserID && !access.May(tok.Role, access.Administer) {
			return tandem.Errorf(tandem.EFORBIDDEN, "the view %q is another user's: only they or an admin may delete it", name)
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM lead_views WHERE id = $1`, id)
		return err
	})
}
