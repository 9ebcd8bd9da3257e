package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/access"
	"github.com/tandemhq/tandem/agreement"
)

// Comments on a proposed agreement version (docs/meeting.md, "Comments on
// a proposal"): the heads and admins discuss a proposal clause by clause,
// a clause being a key of the file (goal, sales.first_touch), and a new
// proposal may name the one it answers.

// MaxComment bounds a comment's text, in characters.
const MaxComment = 4000

// AgreementComment is one comment on a clause of a proposed version.
type AgreementComment struct {
	ID      int64  `json:"id"`
	Version int    `json:"version"`
	Clause  string `json:"clause"`
	Body    string `json:"body"`
	// AuthorID, Author (email) and AuthorName say who wrote it.
	AuthorID   int64     `json:"author_id"`
	Author     string    `json:"author"`
	AuthorName string    `json:"author_name,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}

// CommentClauses lists the clauses of a version one may comment on: the
// keys of its file and of the version before it (a clause the proposal
// removes is in its difference), sorted. ENOTFOUND for no such version.
func (db *DB) CommentClauses(ctx context.Context, version int) (keys []string, err error) {
	defer wrap(&err, "clauses of agreement version %d", version)
	err = db.view(ctx, func(tx *Tx) error {
		keys, err = tx.commentClauses(ctx, version)
		return err
	})
	return keys, err
}

func (tx *Tx) commentClauses(ctx context.Context, version int) ([]string, error) {
	v, err := tx.agreementVersion(ctx, version)
	if err != nil {
		return nil, err
	}
	keys, err := agreement.Keys([]byte(v.Body))
	if err != nil {
		return nil, fmt.Errorf("agreement version %d: %w", version, err)
	}
	if version > 1 {
		if old, err := tx.agreementVersion(ctx, version-1); err == nil {
			if more, err := agreement.Keys([]byte(old.Body)); err == nil {
				keys = append(keys, more...)
				slices.Sort(keys)
				keys = slices.Compact(keys)
			}
		}
	}
	return keys, nil
}

// CommentOnAgreement records u's comment on a clause of a proposed version:
// only a head or an admin comments (EFORBIDDEN), only on a version not in
// force yet (ECONFLICT), on a clause that is a key of the file or of the
// version before it (EINVALID naming clause), with a text of 1 to
// [MaxComment] characters (EINVALID naming body). ENOTFOUND for no such
// version.
func (db *DB) CommentOnAgreement(ctx context.Context, version int, clause, body string, u tandem.User) (c AgreementComment, err error) {
	defer wrap(&err, "comment on agreement version %d", version)
	if !access.May(u.Role, access.Comment) {
		return c, tandem.Errorf(tandem.EFORBIDDEN, "%s is %s: only the heads and admins comment on a proposal", u.Email, u.Role)
	}
	clause, body = strings.TrimSpace(clause), strings.TrimSpace(body)
	var fe []tandem.FieldError
	switch {
	case body == "":
		fe = append(fe, tandem.FieldError{Field: "body", Message: "is required: write the comment"})
	case !utf8.ValidString(body):
		fe = append(fe, tandem.FieldError{Field: "body", Message: "is not valid UTF-8"})
	case utf8.RuneCountInString(body) > MaxComment:
		fe = append(fe, tandem.FieldError{Field: "body", Message: fmt.Sprintf("is longer than %d characters", MaxComment)})
	}
	if clause == "" {
		fe = append(fe, tandem.FieldError{Field: "clause", Message: "is required: name a key of the agreement file, such as sales.first_touch"})
	}
	if fe != nil {
		return c, tandem.Invalid(fe...)
	}
	err = db.transact(ctx, func(tx *Tx) error {
		v, err := tx.agreementVersion(ctx, version)
		if err != nil {
			return err
		}
		if !v.InForceFrom.IsZero() {
			return tandem.Errorf(tandem.ECONFLICT, "version %d is in force since %s: comment on a proposal, or propose a new version", version,
				v.InForceFrom.UTC().Format(time.DateOnly))
		}
		keys, err := tx.commentClauses(ctx, version)
		if err != nil {
			return err
		}
		if !slices.Contains(keys, clause) {
			return tandem.Invalid(tandem.FieldError{Field: "clause", Message: fmt.Sprintf("%q is not a key of version %d's file nor of the version before it (keys: %s)",
				cutText(clause, 100), version, cutText(strings.Join(keys, ", "), 400))})
		}
		c = AgreementComment{Version: version, Clause: clause, Body: body, AuthorID: u.ID, Author: u.Email, AuthorName: u.Name, CreatedAt: tx.Now}
		return tx.QueryRowContext(ctx, `INSERT INTO agreement_comments (version, clause, body, author_id, created_at) VALUES ($1, $2, $3, $4, $5)
			RETURNING id`, version, clause, body, u.ID, tx.t(tx.Now)).Scan(&c.ID)
	})
	return c, err
}

// AgreementComments returns the comments on a version, by clause and then
// in the order written.
func (db *DB) AgreementComments(ctx context.Context, version int) (cs []AgreementComment, err error) {
	defer wrap(&err, "comments on agreement version %d", version)
	cs = []AgreementComment{}
	err = db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT c.id, c.version, c.clause, c.body, c.author_id, coalesce(u.email, ''), u.name, c.created_at
			FROM agreement_comments c JOIN users u ON u.id = c.author_id WHERE c.version = $1 ORDER BY c.clause, c.id`, version)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c AgreementComment
			if err := rows.Scan(&c.ID, &c.Version, &c.Clause, &c.Body, &c.AuthorID, &c.Author, &c.AuthorName, scanTime{&c.CreatedAt}); err != nil {
				return err
			}
			cs = append(cs, c)
		}
		return rows.Err()
	})
	return cs, err
}

// AnswerProposal records that version answers the proposal answers (an
// older version): each is then shown with the other. A version answers at
// most one proposal and only an older one (EINVALID naming answers);
// ENOTFOUND for a version that does not exist. Recording the same link
// again changes nothing; another is ECONFLICT.
func (db *DB) AnswerProposal(ctx context.Context, version, answers int) (err error) {
	defer wrap(&err, "version %d answers version %d", version, answers)
	if answers <= 0 || answers >= version {
		return tandem.Invalid(tandem.FieldError{Field: "answers", Message: fmt.Sprintf("version %d may answer only an older version (1 to %d)", version, version-1)})
	}
	return db.transact(ctx, func(tx *Tx) error {
		if _, err := tx.agreementVersion(ctx, version); err != nil {
			return err
		}
		if _, err := tx.agreementVersion(ctx, answers); err != nil {
			return tandem.Invalid(tandem.FieldError{Field: "answers", Message: fmt.Sprintf("there is no version %d to answer", answers)})
		}
		var cur int
		err := tx.QueryRowContext(ctx, `SELECT answers FROM agreement_answers WHERE version = $1`, version).Scan(&cur)
		switch {
		case err != nil && err != sql.ErrNoRows:
			return err
		case err == nil && cur == answers:
			return nil
		case err == nil:
			return tandem.Errorf(tandem.ECONFLICT, "version %d answers version %d already", version, cur)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO agreement_answers (version, answers) VALUES ($1, $2)`, version, answers)
		return err
	})
}

// ProposalLinks returns, for every version that answers another, the
// version it answers.
func (db *DB) ProposalLinks(ctx context.Context) (links map[int]int, err error) {
	defer wrap(&err, "proposal links")
	links = map[int]int{}
	err = db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT version, answers FROM agreement_answers`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var v, a int
			if err := rows.Scan(&v, &a); err != nil {
				return err
			}
			links[v] = a
		}
		return rows.Err()
	})
	return links, err
}
