package sqldb

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/sla"
)

// ProposeAgreement stores a new version of the agreement file, awaiting
// signatures, and reports created. A file with problems, or with a rule too
// costly to run at intake ([agreement.Agreement.CheckRules]), is refused with
// EINVALID listing every problem as FILE:LINE:COL; a body identical to the
// latest version returns that version, with created false.
func (db *DB) ProposeAgreement(ctx context.Context, file, body, by string) (v tandem.AgreementVersion, created bool, err error) {
	defer wrap(&err, "propose agreement")
	a, err := agreement.Parse(file, []byte(body))
	if err != nil {
		return v, false, err // *agreement.Problems: EINVALID, a field per LINE:COL
	}
	if err := a.CheckRules(file); err != nil {
		return v, false, err // a rule too costly for intake
	}
	sum := sha256.Sum256([]byte(body))
	hash := hex.EncodeToString(sum[:])
	err = db.transact(ctx, func(tx *Tx) error {
		var latest int
		var latestHash string
		err := tx.QueryRowContext(ctx, `SELECT version, sha256 FROM agreement_versions ORDER BY version DESC LIMIT 1`).Scan(&latest, &latestHash)
		if err != nil && err != sql.ErrNoRows {
			return err
		}
		if latestHash == hash {
			v, err = tx.agreementVersion(ctx, latest)
			return err
		}
		created = true
		v = tandem.AgreementVersion{Version: latest + 1, Body: body, SHA256: hash, CreatedAt: tx.Now, CreatedBy: by, Signatures: []tandem.Signature{}}
		_, err = tx.ExecContext(ctx, `INSERT INTO agreement_versions (version, body, sha256, created_at, created_by) VALUES ($1, $2, $3, $4, $5)`,
			v.Version, v.Body, v.SHA256, tx.t(v.CreatedAt), v.CreatedBy)
		return err
	})
	return v, created, err
}

// SignAgreement records the user's signature on a version. Only a
// marketing head or a sales head signs (EFORBIDDEN otherwise); a version
// older than the one in force cannot be signed (ECONFLICT). The version
// comes into force when both heads have signed, and only if the users can
// work it: the signature that would put in force a version whose cadence or
// escalation needs a role no user holds is refused with EINVALID, listing
// each such role at its FILE:LINE:COL (see [agreement.Agreement.CheckStaff]),
// and nothing is recorded. A version may be proposed, and signed once,
// before its users are added.
func (db *DB) SignAgreement(ctx context.Context, version int, email string) (v tandem.AgreementVersion, err error) {
	defer wrap(&err, "sign agreement version %d", version)
	err = db.transact(ctx, func(tx *Tx) error {
		u, err := tx.userByEmail(ctx, email)
		if err != nil {
			return err
		}
		if !slices.Contains(tandem.SignerRoles, u.Role) {
			return tandem.Errorf(tandem.EFORBIDDEN, "%s is %s: only a marketing head and a sales head sign the agreement", u.Email, u.Role)
		}
		if v, err = tx.agreementVersion(ctx, version); err != nil {
			return err
		}
		if cur, err := tx.agreementInForce(ctx, tx.Now); err == nil && cur.Version > version {
			return tandem.Errorf(tandem.ECONFLICT, "version %d is older than version %d, which is in force", version, cur.Version)
		}
		for _, s := range v.Signatures {
			if s.Role == u.Role {
				if s.UserID == u.ID {
					return nil // signing twice changes nothing
				}
				return tandem.Errorf(tandem.ECONFLICT, "version %d is already signed for %s by %s", version, u.Role, s.Email)
			}
		}
		if len(v.Signatures)+1 == len(tandem.SignerRoles) {
			if err := tx.checkStaff(ctx, v); err != nil {
				return err
			}
		}
		// The signature records the backtest its head last saw of this version.
		sig := tandem.Signature{UserID: u.ID, Email: u.Email, Role: u.Role, SignedAt: tx.Now}
		err = tx.QueryRowContext(ctx, `SELECT period, seen_at FROM backtest_views WHERE version = $1 AND user_id = $2`, version, u.ID).
			Scan(&sig.BacktestPeriod, scanTime{&sig.BacktestSeenAt})
		if err != nil && err != sql.ErrNoRows {
			return fmt.Errorf("backtest seen: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO agreement_signatures (version, role, user_id, signed_at, backtest_period, backtest_seen_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, version, string(u.Role), u.ID, tx.t(tx.Now), sig.BacktestPeriod, tx.t(sig.BacktestSeenAt)); err != nil {
			return err
		}
		v.Signatures = append(v.Signatures, sig)
		if len(v.Signatures) == len(tandem.SignerRoles) {
			v.InForceFrom = tx.Now
			if _, err := tx.ExecContext(ctx, `UPDATE agreement_versions SET in_force_from = $1 WHERE version = $2`, tx.t(tx.Now), version); err != nil {
				return err
			}
			return tx.publishInForce(ctx, v)
		}
		return nil
	})
	return v, err
}

// checkStaff refuses, with the problems, a version that names a role no
// user holds. Absent users count: they hold their role while away.
func (tx *Tx) checkStaff(ctx context.Context, v tandem.AgreementVersion) error {
	a, err := agreement.Parse(fmt.Sprintf("agreement version %d", v.Version), []byte(v.Body))
	if err != nil {
		return fmt.Errorf("agreement version %d no longer parses: %w", v.Version, err)
	}
	held := map[tandem.Role]int{}
	rows, err := tx.QueryContext(ctx, `SELECT role, count(*) FROM users GROUP BY role`)
	if err != nil {
		return fmt.Errorf("users by role: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var role tandem.Role
		var n int
		if err := rows.Scan(&role, &n); err != nil {
			return fmt.Errorf("users by role: %w", err)
		}
		held[role] = n
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("users by role: %w", err)
	}
	return a.CheckStaff(fmt.Sprintf("agreement version %d", v.Version), held)
}

// AgreementVersion returns one stored version with its signatures, or
// ENOTFOUND.
func (db *DB) AgreementVersion(ctx context.Context, version int) (v tandem.AgreementVersion, err error) {
	defer wrap(&err, "agreement version %d", version)
	err = db.view(ctx, func(tx *Tx) error {
		v, err = tx.agreementVersion(ctx, version)
		return err
	})
	return v, err
}

// AgreementVersions returns every stored version, oldest first, without
// their bodies.
func (db *DB) AgreementVersions(ctx context.Context) (vs []tandem.AgreementVersion, err error) {
	defer wrap(&err, "agreement versions")
	err = db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT version FROM agreement_versions ORDER BY version`)
		if err != nil {
			return err
		}
		var nums []int
		for rows.Next() {
			var n int
			if err := rows.Scan(&n); err != nil {
				rows.Close()
				return err
			}
			nums = append(nums, n)
		}
		rows.Close()
		for _, n := range nums {
			v, err := tx.agreementVersion(ctx, n)
			if err != nil {
				return err
			}
			v.Body = ""
			vs = append(vs, v)
		}
		return rows.Err()
	})
	return vs, err
}

// AgreementInForce returns the version in force at instant t, or ENOTFOUND
// when no version had both signatures by then.
func (db *DB) AgreementInForce(ctx context.Context, t time.Time) (v tandem.AgreementVersion, err error) {
	defer wrap(&err, "agreement in force")
	err = db.view(ctx, func(tx *Tx) error {
		v, err = tx.agreementInForce(ctx, t)
		return err
	})
	return v, err
}

func (tx *Tx) agreementInForce(ctx context.Context, t time.Time) (tandem.AgreementVersion, error) {
	n, err := tx.versionInForce(ctx, t)
	if err != nil {
		return tandem.AgreementVersion{}, err
	}
	return tx.agreementVersion(ctx, n)
}

// versionInForce returns the number of the version in force at t: the one
// whose second signature came last by then. ENOTFOUND when none had both.
//
// The answer for the transaction's own time is kept for the rest of the
// transaction: intake asks for it once for the stage rules and once for
// the hand-offs. (Signing, which changes it, asks nothing after.)
func (tx *Tx) versionInForce(ctx context.Context, t time.Time) (int, error) {
	now := t.Equal(tx.Now)
	if now && tx.inForceNow != nil {
		return tx.inForceNow.n, tx.inForceNow.err
	}
	var n int
	err := tx.QueryRowContext(ctx, `SELECT version FROM agreement_versions
		WHERE in_force_from IS NOT NULL AND in_force_from <= $1 ORDER BY in_force_from DESC, version DESC LIMIT 1`, tx.t(t)).Scan(&n)
	if err == sql.ErrNoRows {
		err = tandem.Errorf(tandem.ENOTFOUND, "no signed agreement was in force at %s", tandem.FormatTime(t))
	}
	if now && (err == nil || tandem.ErrorCode(err) == tandem.ENOTFOUND) {
		tx.inForceNow = &versionAnswer{n, err}
	}
	return n, err
}

func (tx *Tx) agreementVersion(ctx context.Context, version int) (tandem.AgreementVersion, error) {
	v := tandem.AgreementVersion{Signatures: []tandem.Signature{}}
	err := tx.QueryRowContext(ctx, `SELECT version, body, sha256, created_at, created_by, in_force_from
		FROM agreement_versions WHERE version = $1`, version).
		Scan(&v.Version, &v.Body, &v.SHA256, scanTime{&v.CreatedAt}, &v.CreatedBy, scanTime{&v.InForceFrom})
	if err == sql.ErrNoRows {
		return v, tandem.Errorf(tandem.ENOTFOUND, "agreement version %d not found", version)
	} else if err != nil {
		return v, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT s.user_id, u.email, s.role, s.signed_at, s.backtest_period, s.backtest_seen_at
		FROM agreement_signatures s JOIN users u ON u.id = s.user_id WHERE s.version = $1 ORDER BY s.signed_at, s.role`, version)
	if err != nil {
		return v, err
	}
	defer rows.Close()
	for rows.Next() {
		var s tandem.Signature
		if err := rows.Scan(&s.UserID, &s.Email, &s.Role, scanTime{&s.SignedAt}, &s.BacktestPeriod, scanTime{&s.BacktestSeenAt}); err != nil {
			return v, err
		}
		v.Signatures = append(v.Signatures, s)
	}
	return v, rows.Err()
}

// lifecycle returns the compiled lifecycle of the agreement in force now,
// or the built-in default while none is.
func (tx *Tx) lifecycle(ctx context.Context) (tandem.Lifecycle, error) {
	n, err := tx.versionInForce(ctx, tx.Now)
	if tandem.ErrorCode(err) == tandem.ENOTFOUND {
		return agreement.DefaultLifecycle(), nil
	} else if err != nil {
		return nil, fmt.Errorf("agreement in force: %w", err)
	}
	v, err := tx.version(ctx, n)
	if err != nil {
		return nil, err
	}
	// The rules of one transaction share one time budget: no rule holds
	// the write lock for long.
	return agreement.Batch(v.lc), nil
}

// compiled is a signed agreement version, parsed and compiled once per
// process: its lifecycle, its SLA policy (nil when it starts no
// hand-offs) and when it came into force.
type compiled struct {
	a    *agreement.Agreement
	lc   tandem.Lifecycle
	p    *sla.Policy
	from time.Time
}

// version returns agreement version n compiled. A version that is in force
// is kept for the life of the process: neither its file nor its time in
// force ever changes.
func (tx *Tx) version(ctx context.Context, n int) (*compiled, error) {
	db := tx.db
	db.mu.Lock()
	v, ok := db.versions[n]
	db.mu.Unlock()
	if ok {
		return v, nil
	}
	v = &compiled{}
	var body string
	if err := tx.QueryRowContext(ctx, `SELECT body, in_force_from FROM agreement_versions WHERE version = $1`, n).
		Scan(&body, scanTime{&v.from}); err != nil {
		return nil, fmt.Errorf("agreement version %d: %w", n, err)
	}
	a, err := agreement.Parse(fmt.Sprintf("agreement version %d", n), []byte(body))
	if err != nil {
		return nil, fmt.Errorf("agreement version %d no longer parses: %w", n, err)
	}
	v.a, v.lc = a, a.Lifecycle(n)
	if v.p, err = sla.New(a, n); err != nil {
		return nil, err
	}
	if !v.from.IsZero() {
		db.mu.Lock()
		db.versions[n] = v
		db.mu.Unlock()
	}
	return v, nil
}

// AgreementAt returns the agreement in force at t, with its version, or the
// default agreement and a nil version while none is: the one answer to
// "which agreement rules", for the store, the reports and the pages.
func (db *DB) AgreementAt(ctx context.Context, t time.Time) (a *agreement.Agreement, v *tandem.AgreementVersion, err error) {
	defer wrap(&err, "agreement in force")
	err = db.view(ctx, func(tx *Tx) error {
		var n int
		if a, n, err = tx.agreementAt(ctx, t); err != nil || n == 0 {
			return err
		}
		full, err := tx.agreementVersion(ctx, n)
		v = &full
		return err
	})
	return a, v, err
}

// agreementAt returns the agreement in force at t and its version, or the
// default agreement and 0 while none is.
func (tx *Tx) agreementAt(ctx context.Context, t time.Time) (*agreement.Agreement, int, error) {
	n, err := tx.versionInForce(ctx, t)
	if tandem.ErrorCode(err) == tandem.ENOTFOUND {
		a, err := DefaultAgreement()
		return a, 0, err
	} else if err != nil {
		return nil, 0, fmt.Errorf("agreement in force: %w", err)
	}
	v, err := tx.version(ctx, n)
	if err != nil {
		return nil, 0, err
	}
	return v.a, n, nil
}

// agreementNow returns the agreement in force, or the default agreement
// while none is.
func (tx *Tx) agreementNow(ctx context.Context) (*agreement.Agreement, error) {
	a, _, err := tx.agreementAt(ctx, tx.Now)
	return a, err
}

// DefaultAgreement returns the default agreement file, parsed once: the
// rules while no signed agreement is in force, and those of a command that
// has no database. It is shared: callers must not change it.
func DefaultAgreement() (*agreement.Agreement, error) { return defaultAgreement() }

var defaultAgreement = sync.OnceValues(func() (*agreement.Agreement, error) {
	return agreement.Parse("default.yaml", agreement.Default())
})

// BacktestSeen records that the person with the email opened the backtest
// of agreement version over period (its latest such view counts): a head
// who then signs the version signs having seen it ([DB.SignAgreement]
// copies it into the signature). ENOTFOUND for an unknown version or user.
func (db *DB) BacktestSeen(ctx context.Context, version int, email, period string) (err error) {
	defer wrap(&err, "backtest of agreement version %d seen by %s", version, email)
	return db.transact(ctx, func(tx *Tx) error {
		u, err := tx.userByEmail(ctx, email)
		if err != nil {
			return err
		}
		if _, err := tx.agreementVersion(ctx, version); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO backtest_views (version, user_id, period, seen_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (version, user_id) DO UPDATE SET period = excluded.period, seen_at = excluded.seen_at`,
			version, u.ID, period, tx.t(tx.Now))
		return err
	})
}
