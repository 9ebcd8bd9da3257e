package sqldb

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/access"
)

// The facts package access needs to apply the lead rule: who the caller
// is and who is below them, and whose a lead is and was. The rule itself
// is access's; this file only reads.

// caller returns the token's caller for the lead rule, with the users
// below them (cached for the transaction).
func (tx *Tx) caller(ctx context.Context, tok tandem.Token) (access.Caller, error) {
	c := access.Caller{UserID: tok.UserID, Role: tok.Role, Name: tok.Name}
	if tok.UserEmail != "" {
		c.Name = tok.UserEmail
	}
	// Only sales managers and heads have reports who own leads.
	if tok.UserID == 0 || tok.Role != tandem.RoleSalesManager && tok.Role != tandem.RoleSalesHead {
		return c, nil
	}
	below, err := tx.below(ctx, tok.UserID)
	c.Below = below
	return c, err
}

// below returns the users below userID in the manager chain, at any
// distance. The chain has no loops (UpdateUser refuses them).
func (tx *Tx) below(ctx context.Context, userID int64) (map[int64]bool, error) {
	if tx.belowCache == nil {
		rows, err := tx.QueryContext(ctx, `SELECT id, manager_id FROM users WHERE manager_id IS NOT NULL AND manager_id <> 0`)
		if err != nil {
			return nil, fmt.Errorf("read the manager chain: %w", err)
		}
		reports := map[int64][]int64{}
		for rows.Next() {
			var id, m int64
			if err := rows.Scan(&id, &m); err != nil {
				rows.Close()
				return nil, err
			}
			reports[m] = append(reports[m], id)
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
		tx.belowCache = reports
	}
	return access.Below(tx.belowCache, userID), nil
}

// leadFacts returns what the lead rule needs of the lead: its owner, by
// id and email, and the users who held its hand-offs.
func (tx *Tx) leadFacts(ctx context.Context, l tandem.Lead) (access.Lead, error) {
	f := access.Lead{ID: l.ID, OwnerID: l.OwnerID}
	if l.OwnerID != 0 {
		if u, err := tx.cachedUser(ctx, l.OwnerID); err == nil {
			f.Owner = u.Email
		}
	}
	if l.ID == 0 {
		return f, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT owner_id FROM handoffs WHERE lead_id = $1 AND owner_id IS NOT NULL`, l.ID)
	if err != nil {
		return f, fmt.Errorf("owners of lead %d: %w", l.ID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return f, err
		}
		f.PastOwners = append(f.PastOwners, id)
	}
	return f, rows.Err()
}

// mayWork applies [access.CanWork] to a lead the user ownerID owns (its
// open hand-off's owner, where it has one).
func (tx *Tx) mayWork(ctx context.Context, tok tandem.Token, leadID, ownerID int64) error {
	c, err := tx.caller(ctx, tok)
	if err != nil {
		return err
	}
	f, err := tx.leadFacts(ctx, tandem.Lead{OwnerID: ownerID})
	if err != nil {
		return err
	}
	f.ID = leadID
	return access.CanWork(c, f)
}

// mayRead applies [access.CanRead] to the lead.
func (tx *Tx) mayRead(ctx context.Context, tok tandem.Token, l tandem.Lead) error {
	c, err := tx.caller(ctx, tok)
	if err != nil {
		return err
	}
	if c.ReadScope().All {
		return nil
	}
	f, err := tx.leadFacts(ctx, l)
	if err != nil {
		return err
	}
	return access.CanRead(c, f)
}

// checkOwner refuses, as EINVALID naming owner_id, an owner that is no
// user or not in sales: leads go to people who sell. It returns the
// owner's email.
func (tx *Tx) checkOwner(ctx context.Context, id int64) (string, error) {
	if id == 0 {
		return "", nil
	}
	u, err := tx.cachedUser(ctx, id)
	if tandem.ErrorCode(err) == tandem.ENOTFOUND {
		return "", tandem.Invalid(tandem.FieldError{Field: "owner_id", Message: fmt.Sprintf("%d is no user's id", id)})
	} else if err != nil {
		return "", err
	}
	if access.CanOwn(u.Role) {
		return u.Email, nil
	}
	return "", tandem.Invalid(tandem.FieldError{Field: "owner_id", Message: fmt.Sprintf("%d is %s, who is %s: leads go to people in sales", id, u.Email, u.Role)})
}

// wonStage is the stage a won deal moves a lead to (customer), for
// [access.CanChange]; "" for an admin, whom the rule does not limit.
func (tx *Tx) wonStage(ctx context.Context, c access.Caller) (string, error) {
	if c.Role == tandem.RoleAdmin {
		return "", nil
	}
	st, err := tx.dealStages(ctx)
	return st.Won, err
}

// mayChange applies [access.CanChange] to an edit of cur (nil for a new
// lead), and checks that a new owner is a user in sales. won is
// [Tx.wonStage].
func (tx *Tx) mayChange(ctx context.Context, c access.Caller, cur *tandem.Lead, e access.Edit, won string) error {
	if e.IsZero() {
		return nil
	}
	if e.Owner {
		var err error
		if e.OwnerToName, err = tx.checkOwner(ctx, e.OwnerTo); err != nil {
			return err
		}
	}
	if c.Role == tandem.RoleAdmin { // the operator's imports come here, row by row: be quick
		return nil
	}
	var l tandem.Lead
	if cur != nil {
		l = *cur
	}
	f, err := tx.leadFacts(ctx, l)
	if err != nil {
		return err
	}
	return access.CanChange(c, f, e, won)
}

// Caller returns the token's caller as the lead rule sees them, with the
// users below them.
func (db *DB) Caller(ctx context.Context, tok tandem.Token) (c access.Caller, err error) {
	defer wrap(&err, "caller %s", tok.Actor())
	err = db.view(ctx, func(tx *Tx) error {
		c, err = tx.caller(ctx, tok)
		return err
	})
	return c, err
}

// LeadFor is [DB.Lead] for a caller: EFORBIDDEN, naming the lead and its
// owner, when [access.CanRead] refuses them the lead.
func (db *DB) LeadFor(ctx context.Context, id int64, tok tandem.Token) (l tandem.Lead, err error) {
	defer wrap(&err, "lead %d", id)
	err = db.view(ctx, func(tx *Tx) error {
		if l, err = tx.lead(ctx, id, false); err != nil {
			return err
		}
		return tx.mayRead(ctx, tok, l)
	})
	return l, err
}

// MayWork returns nil if the caller may work lead leadID, which the user
// ownerID owns ([access.CanWork]), or EFORBIDDEN naming the lead and its
// owner.
func (db *DB) MayWork(ctx context.Context, tok tandem.Token, leadID, ownerID int64) error {
	return db.view(ctx, func(tx *Tx) error { return tx.mayWork(ctx, tok, leadID, ownerID) })
}

// scopeCond turns a read scope into a condition on the leads table, with
// its arguments numbered from $n.
func scopeCond(sc access.Scope, n int) (string, []any) {
	if sc.All {
		return "TRUE", nil
	}
	var parts []string
	if sc.Unassigned {
		parts = append(parts, "owner_id = 0")
	}
	if len(sc.Users) > 0 {
		ph := make([]string, len(sc.Users))
		args := make([]any, len(sc.Users))
		for i, id := range sc.Users {
			ph[i] = "$" + strconv.Itoa(n+i)
			args[i] = id
		}
		in := strings.Join(ph, ", ")
		// The users appear twice in the text, once as placeholders.
		parts = append(parts, "owner_id IN ("+in+")",
			"id IN (SELECT lead_id FROM handoffs WHERE owner_id IN ("+in+"))")
		return "(" + strings.Join(parts, " OR ") + ")", args
	}
	if len(parts) == 0 {
		return "FALSE", nil
	}
	return "(" + strings.Join(parts, " OR ") + ")", nil
}
