package sqldb

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/access"
)

// userColumns are the columns [scanUser] reads, in its order.
const userColumns = `id, email, name, role, team, manager_id, absent, weight, created_at`

// scanUser reads one row of userColumns.
func scanUser(row interface{ Scan(...any) error }) (tandem.User, error) {
	var u tandem.User
	var manager sql.NullInt64
	var email sql.NullString // NULL for a user known by name only
	err := row.Scan(&u.ID, &email, &u.Name, &u.Role, &u.Team, &manager, &u.Absent, &u.Weight, scanTime{&u.CreatedAt})
	u.ManagerID, u.Email = manager.Int64, email.String
	return u, err
}

// emailArg is an email as a query argument: NULL for none, so that many
// users may have none.
func emailArg(email string) any {
	if email == "" {
		return nil
	}
	return email
}

// managerArg is a manager id as a query argument: NULL for none.
func managerArg(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// CreateUser adds a user: EINVALID for a bad email, role or team, or a
// manager whose role may not manage the user's (see [tandem.Role.ManagerRoles]);
// ENOTFOUND when u.ManagerID names no user; ECONFLICT when the email is taken.
func (db *DB) CreateUser(ctx context.Context, u *tandem.User) (err error) {
	defer wrap(&err, "create user %q", u.Email)
	return db.transact(ctx, func(tx *Tx) error { return tx.createUser(ctx, u) })
}

// createUser is [DB.CreateUser] in tx. A user without an email is known by
// name (see [tandem.User.Validate]).
func (tx *Tx) createUser(ctx context.Context, u *tandem.User) error {
	u.Email = strings.ToLower(strings.TrimSpace(u.Email))
	u.Team = strings.TrimSpace(u.Team)
	if u.Weight == 0 {
		u.Weight = 1
	}
	if err := u.Validate(); err != nil {
		return err
	}
	if _, err := tx.userByEmail(ctx, u.Email); err == nil && u.Email != "" {
		return tandem.Errorf(tandem.ECONFLICT, "a user with email %s already exists", u.Email)
	}
	if u.ManagerID != 0 {
		// Locked, so that the manager's role cannot change under us.
		m, err := tx.userByID(ctx, u.ManagerID, true)
		if tandem.ErrorCode(err) == tandem.ENOTFOUND {
			return tandem.Errorf(tandem.ENOTFOUND, "manager: no user with id %d", u.ManagerID)
		} else if err != nil {
			return err
		}
		if err := u.Role.CheckManager(m); err != nil {
			return tandem.Invalid(tandem.FieldError{Field: "manager", Message: err.Error()})
		}
	}
	u.CreatedAt = tx.Now
	if err := tx.QueryRowContext(ctx, `INSERT INTO users (email, name, role, team, manager_id, absent, weight, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		emailArg(u.Email), u.Name, string(u.Role), u.Team, managerArg(u.ManagerID), u.Absent, u.Weight, tx.t(u.CreatedAt)).Scan(&u.ID); err != nil {
		return err
	}
	return tx.auditUser(ctx, AuditUserCreate, tandem.User{}, *u)
}

// UpdateUser changes the fields of up that are not nil on the user with the
// email, and returns the user as it now is. It refuses, changing nothing:
//   - ENOTFOUND: no user has the email, or no user has up.Manager's email;
//   - EINVALID: a bad team or role; a manager whose role may not manage the
//     user's (also when only the role changes and the manager stays); a
//     manager who reports to the user, directly or through others (a loop);
//   - ECONFLICT: a role change after which the user could no longer manage
//     their reports; the message names them, to be given another manager
//     first.
func (db *DB) UpdateUser(ctx context.Context, email string, up tandem.UserUpdate) (u tandem.User, err error) {
	defer wrap(&err, "update user %q", email)
	err = db.transact(ctx, func(tx *Tx) error {
		before, err := tx.userWhere(ctx, "email = $1", normalEmail(email), true)
		if err != nil {
			return err
		}
		var m *tandem.User
		if up.Manager != nil && *up.Manager != "" {
			mu, err := tx.userWhere(ctx, "email = $1", normalEmail(*up.Manager), true)
			if tandem.ErrorCode(err) == tandem.ENOTFOUND {
				return tandem.Errorf(tandem.ENOTFOUND, "manager: no user with email %s", *up.Manager)
			} else if err != nil {
				return err
			}
			m = &mu
		}
		u, err = tx.updateUser(ctx, before, up, m)
		return err
	})
	return u, err
}

// updateUser is [DB.UpdateUser] in tx, on the user before (locked), with
// the manager that up.Manager names already found: m, or nil for none.
func (tx *Tx) updateUser(ctx context.Context, before tandem.User, up tandem.UserUpdate, m *tandem.User) (u tandem.User, err error) {
	if up.Team != nil {
		t := strings.TrimSpace(*up.Team)
		up.Team = &t
	}
	if up.Role != nil {
		if _, err := tandem.ParseRole(string(*up.Role)); err != nil {
			return u, err
		}
	}
	u = before
	if up.Email != nil && normalEmail(*up.Email) != u.Email {
		e := normalEmail(*up.Email)
		if e == "" {
			return u, tandem.Invalid(tandem.FieldError{Field: "email", Message: "cannot be taken away: give another email instead"})
		}
		if _, err := tx.userByEmail(ctx, e); err == nil {
			return u, tandem.Errorf(tandem.ECONFLICT, "a user with email %s already exists", e)
		} else if tandem.ErrorCode(err) != tandem.ENOTFOUND {
			return u, err
		}
		u.Email = e
	}
	if up.Team != nil {
		u.Team = *up.Team
	}
	if up.Role != nil {
		u.Role = *up.Role
		if err := tx.checkAdminKept(ctx, before, u.Role, up.By); err != nil {
			return u, err
		}
	}
	if up.Weight != nil {
		if *up.Weight < 1 || *up.Weight > tandem.MaxWeight {
			return u, tandem.Invalid(tandem.FieldError{Field: "weight", Message: fmt.Sprintf("%d is not a weight: give a whole number from 1 to %d", *up.Weight, tandem.MaxWeight)})
		}
		u.Weight = *up.Weight
	}
	if up.Absent != nil {
		u.Absent = *up.Absent
	}
	if err := u.Validate(); err != nil {
		return u, err
	}
	if up.Manager != nil {
		u.ManagerID = 0
		if m != nil {
			m := *m
			if err := tx.checkNoLoop(ctx, u, m); err != nil {
				return u, err
			}
			if err := u.Role.CheckManager(m); err != nil {
				return u, tandem.Invalid(tandem.FieldError{Field: "manager", Message: err.Error()})
			}
			u.ManagerID = m.ID
		}
	} else if u.Role != before.Role && u.ManagerID != 0 {
		m, err := tx.userByID(ctx, u.ManagerID, true)
		if err != nil {
			return u, err
		}
		if err := u.Role.CheckManager(m); err != nil {
			return u, tandem.Invalid(tandem.FieldError{Field: "manager",
				Message: fmt.Sprintf("%v (%s reports to %s: change the manager with the role)", err, u.Email, m.Email)})
		}
	}
	if u.Role != before.Role {
		if err := tx.checkReports(ctx, u); err != nil {
			return u, err
		}
	}
	if _, err = tx.ExecContext(ctx, `UPDATE users SET team = $1, manager_id = $2, role = $3, absent = $4, weight = $5, email = $6 WHERE id = $7`,
		u.Team, managerArg(u.ManagerID), string(u.Role), u.Absent, u.Weight, emailArg(u.Email), u.ID); err != nil {
		return u, err
	}
	return u, tx.auditUser(ctx, AuditUserUpdate, before, u)
}

// maxChain bounds the walk up a chain of managers. The role rules keep
// chains to three people; the bound only stops a walk over damaged data.
const maxChain = 100

// checkNoLoop refuses m as u's manager when m reports to u, directly or
// through others, or is u. The role rules already make such a loop
// impossible (a manager always ranks above the report); this check keeps
// the hierarchy a tree even if those rules change.
func (tx *Tx) checkNoLoop(ctx context.Context, u, m tandem.User) error {
	if m.ID == u.ID {
		return tandem.Invalid(tandem.FieldError{Field: "manager", Message: fmt.Sprintf("%s cannot be their own manager", u.Email)})
	}
	chain := []string{u.Email, m.Email}
	for cur := m; len(chain) < maxChain; chain = append(chain, cur.Email) {
		if cur.ManagerID == 0 {
			return nil
		}
		if cur.ManagerID == u.ID {
			chain = append(chain, u.Email)
			return tandem.Invalid(tandem.FieldError{Field: "manager",
				Message: "that would make a loop of managers: " + strings.Join(chain, " → ")})
		}
		next, err := tx.userByID(ctx, cur.ManagerID, false)
		if err != nil {
			return err
		}
		cur = next
	}
	return fmt.Errorf("the chain of managers above %s is longer than %d", m.Email, maxChain)
}

// checkReports refuses u's new role when u could no longer manage all of
// their direct reports.
func (tx *Tx) checkReports(ctx context.Context, u tandem.User) error {
	reports, err := tx.users(ctx, "manager_id = $1", u.ID)
	if err != nil {
		return err
	}
	if err := u.Role.CheckReports(reports); err != nil {
		return tandem.Errorf(tandem.ECONFLICT, "%s %v", u.Email, err)
	}
	return nil
}

func normalEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// UserByEmail returns the user with the email, or ENOTFOUND.
func (db *DB) UserByEmail(ctx context.Context, email string) (u tandem.User, err error) {
	defer wrap(&err, "user %q", email)
	err = db.view(ctx, func(tx *Tx) error {
		u, err = tx.userByEmail(ctx, email)
		return err
	})
	return u, err
}

// UserByID returns the user with the id, or ENOTFOUND.
func (db *DB) UserByID(ctx context.Context, id int64) (u tandem.User, err error) {
	defer wrap(&err, "user %d", id)
	err = db.view(ctx, func(tx *Tx) error {
		u, err = tx.userByID(ctx, id, false)
		return err
	})
	return u, err
}

func (tx *Tx) userByEmail(ctx context.Context, email string) (tandem.User, error) {
	return tx.userWhere(ctx, "email = $1", normalEmail(email), false)
}

func (tx *Tx) userByID(ctx context.Context, id int64, lock bool) (tandem.User, error) {
	u, err := tx.userWhere(ctx, "id = $1", id, lock)
	if tandem.ErrorCode(err) == tandem.ENOTFOUND {
		return u, tandem.Errorf(tandem.ENOTFOUND, "no user with id %d", id)
	}
	return u, err
}

// userWhere returns the one user matching cond (on $1 = arg), locked for
// the rest of the transaction if lock is set, or ENOTFOUND.
func (tx *Tx) userWhere(ctx context.Context, cond string, arg any, lock bool) (tandem.User, error) {
	q := `SELECT ` + userColumns + ` FROM users WHERE ` + cond
	if lock {
		q += tx.db.d.forUpdate()
	}
	u, err := scanUser(tx.QueryRowContext(ctx, q, arg))
	if err == sql.ErrNoRows {
		return u, tandem.Errorf(tandem.ENOTFOUND, "no user with email %v", arg)
	}
	return u, err
}

// users returns the users matching cond (on $1, $2... = args), by email.
func (tx *Tx) users(ctx context.Context, cond string, args ...any) ([]tandem.User, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+userColumns+` FROM users WHERE `+cond+` ORDER BY email IS NULL, email, name, id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	us := []tandem.User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		us = append(us, u)
	}
	return us, rows.Err()
}

// Users returns every user, by email.
func (db *DB) Users(ctx context.Context) (us []tandem.User, err error) {
	defer wrap(&err, "list users")
	err = db.view(ctx, func(tx *Tx) error {
		us, err = tx.users(ctx, "1 = 1")
		return err
	})
	return us, err
}

// Reports returns the users whose manager is the user with the email (their
// direct reports), by email: ENOTFOUND when no user has the email.
func (db *DB) Reports(ctx context.Context, managerEmail string) (us []tandem.User, err error) {
	defer wrap(&err, "reports of %q", managerEmail)
	err = db.view(ctx, func(tx *Tx) error {
		m, err := tx.userByEmail(ctx, managerEmail)
		if err != nil {
			return err
		}
		us, err = tx.users(ctx, "manager_id = $1", m.ID)
		return err
	})
	return us, err
}

// Team returns the users in the team, by email. A team exists while someone
// is in it: ENOTFOUND when nobody is, EINVALID for an empty name.
func (db *DB) Team(ctx context.Context, team string) (us []tandem.User, err error) {
	defer wrap(&err, "team %q", team)
	team = strings.TrimSpace(team)
	if team == "" {
		return nil, tandem.Invalid(tandem.FieldError{Field: "team", Message: "name a team"})
	}
	err = db.view(ctx, func(tx *Tx) error {
		us, err = tx.users(ctx, "team = $1", team)
		if err == nil && len(us) == 0 {
			return tandem.Errorf(tandem.ENOTFOUND, "no team %q: nobody is in it", team)
		}
		return err
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
	return db.createToken(ctx, TokenSpec{Name: name, Role: role})
}

// CreateUserToken makes an API token that acts for the user with the email
// (ENOTFOUND if there is none): it has the user's role, as it is whenever
// the token is used, and what it changes is recorded as the user's.
func (db *DB) CreateUserToken(ctx context.Context, name, email string) (t tandem.Token, secret string, err error) {
	defer wrap(&err, "create token %q for %q", name, email)
	return db.createToken(ctx, TokenSpec{Name: name, Email: email})
}

func (db *DB) createToken(ctx context.Context, spec TokenSpec) (t tandem.Token, secret string, err error) {
	name, role, email := strings.TrimSpace(spec.Name), spec.Role, spec.Email
	var errs []tandem.FieldError
	var scopes []string
	for _, sc := range spec.Scopes {
		if !slices.Contains(access.Scopes, sc) {
			errs = append(errs, tandem.FieldError{Field: "scopes", Message: fmt.Sprintf("%q is not a scope", sc)})
		}
		scopes = append(scopes, string(sc))
	}
	var expires any // NULL: never
	if !spec.ExpiresAt.IsZero() {
		if !spec.ExpiresAt.After(db.Now()) {
			errs = append(errs, tandem.FieldError{Field: "expires_at", Message: "must be in the future"})
		}
		expires = db.d.timeArg(spec.ExpiresAt.UTC())
	}
	if name == "" || len(name) > 100 {
		errs = append(errs, tandem.FieldError{Field: "name", Message: "a token needs a name of 1 to 100 characters"})
	}
	if email == "" {
		if _, err := tandem.ParseRole(string(role)); err != nil {
			errs = append(errs, tandem.ErrorFields(err)...)
		}
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
		t = tandem.Token{Name: name, Role: role, CreatedAt: tx.Now, Scopes: scopes}
		if !spec.ExpiresAt.IsZero() {
			t.ExpiresAt = spec.ExpiresAt.UTC()
		}
		var userID any // NULL for an integration's token
		if email != "" {
			u, err := tx.userByEmail(ctx, email)
			if err != nil {
				return err
			}
			t.Role, t.UserID, t.UserEmail, userID = u.Role, u.ID, u.Email, u.ID
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO tokens (name, role, hash, created_at, user_id, scopes, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			name, string(t.Role), hashToken(secret), tx.t(tx.Now), userID, strings.Join(scopes, " "), expires).Scan(&t.ID); err != nil {
			return err
		}
		return tx.auditToken(ctx, AuditTokenCreate, t)
	})
	return t, secret, err
}

// Authenticate returns the token whose secret this is, or EUNAUTHORIZED.
// It records the use in the token's LastUsedAt when the stored time is a
// minute old or more (touchEvery, as a session's last_seen_at): one write
// a minute per token in use, not one a request.
func (db *DB) Authenticate(ctx context.Context, secret string) (t tandem.Token, err error) {
	defer wrap(&err, "authenticate")
	if !strings.HasPrefix(secret, tokenPrefix) {
		return t, tandem.Errorf(tandem.EUNAUTHORIZED, "not a Tandem API token")
	}
	err = scanToken(db.read.QueryRowContext(ctx, tokenSelect+` WHERE t.hash = $1`, hashToken(secret)), &t)
	if err == sql.ErrNoRows {
		return t, tandem.Errorf(tandem.EUNAUTHORIZED, "unknown or revoked API token")
	} else if err != nil {
		return t, err
	}
	if !t.ExpiresAt.IsZero() && !db.Now().Before(t.ExpiresAt) {
		return tandem.Token{}, tandem.Errorf(tandem.EUNAUTHORIZED, "the API token %s expired at %s", t.Name, t.ExpiresAt.Format(time.RFC3339))
	}
	if now := db.Now(); now.Sub(t.LastUsedAt) >= touchEvery {
		err = db.transact(ctx, func(tx *Tx) error {
			// The WHERE clause keeps the once a minute across requests
			// and replicas that read the old time at once: one writes.
			_, err := tx.ExecContext(ctx, `UPDATE tokens SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at <= $3)`,
				tx.t(tx.Now), t.ID, tx.t(tx.Now.Add(-touchEvery)))
			t.LastUsedAt = tx.Now
			return err
		})
	}
	return t, err
}

// checkAdminKept refuses, as EINVALID naming role, to take the admin role
// from an admin who asks it for themselves (by is their email) or who is
// the last admin: either would lock the admins out. The settings page, the
// command line and the users import all update users here, so all obey it.
func (tx *Tx) checkAdminKept(ctx context.Context, before tandem.User, role tandem.Role, by string) error {
	if before.Role != tandem.RoleAdmin || role == tandem.RoleAdmin {
		return nil
	}
	if by != "" && normalEmail(by) == before.Email {
		return tandem.Invalid(tandem.FieldError{Field: "role", Message: "you cannot take away your own admin role: ask another admin"})
	}
	var others int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE role = $1 AND id <> $2`, string(tandem.RoleAdmin), before.ID).Scan(&others); err != nil {
		return fmt.Errorf("count the admins: %w", err)
	}
	if others == 0 {
		return tandem.Invalid(tandem.FieldError{Field: "role", Message: fmt.Sprintf("%s is the last admin: make another admin first", before.Email)})
	}
	return nil
}
