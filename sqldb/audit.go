package sqldb

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
)

// The audit log records every change to users, API tokens and the settings
// that let data in or out (website forms, inbound sources, webhook
// subscriptions, scheduled sends, calendar feeds): who made it
// (the actor), what it did (the action), to whom or what (the subject) and
// the fields it changed, in the transaction of the change, whichever way it
// came (the API, the settings page, the command line, the users import).
// Password hashes, token secrets and signing secrets are never recorded: a
// password change is an action without values, and a source's secrets are
// shown by count and fingerprint.

// Audit actions (docs/operations.md).
const (
	AuditUserCreate      = "user.create"
	AuditUserUpdate      = "user.update"
	AuditUserPassword    = "user.password"     // set or reset; never the hash
	AuditUserSignOut     = "user.sign_out_all" // every session ended
	AuditTokenCreate     = "token.create"
	AuditTokenRevoke     = "token.revoke"
	AuditFormSave        = "form.save" // made or changed
	AuditFormDelete      = "form.delete"
	AuditSourceSave      = "source.save" // made or changed, secrets rotated
	AuditSourceDelete    = "source.delete"
	AuditWebhookCreate   = "webhook.create"
	AuditWebhookUpdate   = "webhook.update"
	AuditWebhookDelete   = "webhook.delete"
	AuditScheduleAdd     = "schedule.add"
	AuditScheduleRemove  = "schedule.remove"
	AuditFeedCreate      = "calendar_feed.create" // a new feed URL (an earlier one is revoked)
	AuditFeedRevoke      = "calendar_feed.revoke"
	auditActorUnnamed    = "system"
	auditActorFirstAdmin = "setup"
)

// AuditEntry is one row of the audit log.
type AuditEntry struct {
	ID     int64     `json:"id"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`  // "user:EMAIL", "token:NAME", "cli:NAME", "setup" or "system"
	Action string    `json:"action"` // one of the Audit* actions
	// Subject is what changed: "user:EMAIL", "token:NAME", "form:NAME",
	// "source:NAME", "webhook:ID", "schedule:ID" or, for a calendar feed,
	// its user's "user:EMAIL".
	Subject string               `json:"subject"`
	Changes []tandem.FieldChange `json:"changes"`
}

type actorKey struct{}

// WithActor returns ctx naming who acts, for the audit log: "user:EMAIL"
// or "token:NAME" as [tandem.Token.Actor] gives, or "cli:NAME" for the
// command line. The HTTP server and the command line set it once per
// request or run; a change made without one is recorded as "system"'s.
func WithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// actorOf returns who acts in ctx, "system" when nobody is named.
func actorOf(ctx context.Context) string {
	if a, ok := ctx.Value(actorKey{}).(string); ok && a != "" {
		return a
	}
	return auditActorUnnamed
}

// recordAudit writes one audit entry in tx, made by ctx's actor. Changes
// that change nothing are dropped; an update that is left with none is not
// recorded.
func (tx *Tx) recordAudit(ctx context.Context, action, subject string, changes []tandem.FieldChange) error {
	kept := []tandem.FieldChange{}
	for _, c := range changes {
		if c.From != c.To {
			kept = append(kept, c)
		}
	}
	if len(kept) == 0 && (action == AuditUserUpdate || action == AuditWebhookUpdate || action == AuditFormSave || action == AuditSourceSave) {
		return nil
	}
	b, err := json.Marshal(kept)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit (at, actor, action, subject, changes) VALUES ($1, $2, $3, $4, $5)`,
		tx.t(tx.Now), actorOf(ctx), action, subject, string(b)); err != nil {
		return fmt.Errorf("record audit %s of %s: %w", action, subject, err)
	}
	return nil
}

// userChanges lists the fields of a user that differ between before and
// after (before is zero for a new user), managers by email.
func (tx *Tx) userChanges(ctx context.Context, before, after tandem.User) ([]tandem.FieldChange, error) {
	manager := func(id int64) (string, error) {
		if id == 0 {
			return "", nil
		}
		m, err := tx.cachedUser(ctx, id)
		return m.Email, err
	}
	bm, err := manager(before.ManagerID)
	if err != nil {
		return nil, err
	}
	am, err := manager(after.ManagerID)
	if err != nil {
		return nil, err
	}
	weight := func(w int) string {
		if w == 0 {
			return ""
		}
		return strconv.Itoa(w)
	}
	return []tandem.FieldChange{
		{Field: "email", From: before.Email, To: after.Email},
		{Field: "name", From: before.Name, To: after.Name},
		{Field: "role", From: string(before.Role), To: string(after.Role)},
		{Field: "team", From: before.Team, To: after.Team},
		{Field: "manager", From: bm, To: am},
		{Field: "absent", From: strconv.FormatBool(before.Absent), To: strconv.FormatBool(after.Absent)}, // a new user is present
		{Field: "weight", From: weight(before.Weight), To: weight(after.Weight)},
	}, nil
}

// auditUser records a user's creation (before is zero) or update.
func (tx *Tx) auditUser(ctx context.Context, action string, before, after tandem.User) error {
	cs, err := tx.userChanges(ctx, before, after)
	if err != nil {
		return err
	}
	return tx.recordAudit(ctx, action, "user:"+after.Email, cs)
}

// auditToken records a token's creation or revocation.
func (tx *Tx) auditToken(ctx context.Context, action string, t tandem.Token) error {
	var cs []tandem.FieldChange
	if action == AuditTokenCreate {
		cs = []tandem.FieldChange{{Field: "role", To: string(t.Role)}, {Field: "user", To: t.UserEmail}}
		if t.UserEmail != "" {
			cs[0].To = "" // a user's token has the user's role, whatever it becomes
		}
		if len(t.Scopes) > 0 {
			cs = append(cs, tandem.FieldChange{Field: "scopes", To: strings.Join(t.Scopes, " ")})
		}
		if !t.ExpiresAt.IsZero() {
			cs = append(cs, tandem.FieldChange{Field: "expires_at", To: t.ExpiresAt.Format(time.RFC3339)})
		}
	}
	return tx.recordAudit(ctx, action, "token:"+t.Name, cs)
}

// settingChanges lists the fields of a setting that differ between before
// and after (before is nil for a new one), by field name.
func settingChanges(before, after map[string]string) []tandem.FieldChange {
	names := make([]string, 0, len(after))
	for k := range after {
		names = append(names, k)
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	cs := make([]tandem.FieldChange, 0, len(names))
	for _, k := range names {
		cs = append(cs, tandem.FieldChange{Field: k, From: before[k], To: after[k]})
	}
	return cs
}

// fingerprint names a secret in the audit log without showing it: the first
// 8 hex digits of its SHA-256, enough to tell a rotation from a repeat.
func fingerprint(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:4])
}

// auditURL shows a URL in the audit log without its path and query, which
// may be a receiver's secret (chat and many webhook URLs are): scheme and
// host, then a fingerprint of the whole URL when there is more.
func auditURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "#" + fingerprint(raw)
	}
	shown := u.Scheme + "://" + u.Host
	if strings.TrimPrefix(raw, shown) != "" && strings.TrimPrefix(raw, shown) != "/" {
		shown += "/… #" + fingerprint(raw)
	}
	return shown
}

// AuditFilter selects audit entries; the zero filter selects the latest 100.
type AuditFilter struct {
	Subject  string // "user:EMAIL", "token:NAME", "form:NAME"... ; "" for all
	BeforeID int64  // only entries with a smaller id, to page back; 0 for the latest
	Limit    int    // 0: 100; at most 1000
}

// Audit returns audit entries, newest first.
func (db *DB) Audit(ctx context.Context, f AuditFilter) (es []AuditEntry, err error) {
	defer wrap(&err, "audit log")
	if f.Limit <= 0 {
		f.Limit = 100
	}
	if f.Limit > 1000 {
		return nil, tandem.Invalid(tandem.FieldError{Field: "limit", Message: fmt.Sprintf("%d is more than 1000", f.Limit)})
	}
	q, args := `SELECT id, at, actor, action, subject, changes FROM audit WHERE 1 = 1`, []any{}
	if f.Subject != "" {
		args = append(args, f.Subject)
		q += fmt.Sprintf(" AND subject = $%d", len(args))
	}
	if f.BeforeID > 0 {
		args = append(args, f.BeforeID)
		q += fmt.Sprintf(" AND id < $%d", len(args))
	}
	args = append(args, f.Limit)
	q += fmt.Sprintf(" ORDER BY id DESC LIMIT $%d", len(args))
	es = []AuditEntry{}
	err = db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e AuditEntry
			var changes string
			if err := rows.Scan(&e.ID, scanTime{&e.At}, &e.Actor, &e.Action, &e.Subject, &changes); err != nil {
				return err
			}
			if err := json.Unmarshal([]byte(changes), &e.Changes); err != nil {
				return fmt.Errorf("audit entry %d changes: %w", e.ID, err)
			}
			es = append(es, e)
		}
		return rows.Err()
	})
	return es, err
}

// setupActor names the first admin's setup as the actor when ctx names
// nobody: nobody is signed in yet.
func setupActor(ctx context.Context) context.Context {
	if _, ok := ctx.Value(actorKey{}).(string); ok {
		return ctx
	}
	return WithActor(ctx, auditActorFirstAdmin)
}
