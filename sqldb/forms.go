package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/inbound"
)

// Website forms (docs/integrations.md, "Website forms"): their settings,
// and every post, taken or refused, with why.

// FormRole is the role a form and an inbound source act with: marketing,
// which creates leads unassigned and changes their plain fields, as the
// lead rule ([access.CanChange]) says.
const FormRole = tandem.RoleMarketing

// FormToken is the caller a form's posts are made as, for the lead rule;
// the ledger names it "token:form:NAME".
func FormToken(name string) tandem.Token { return tandem.Token{Name: "form:" + name, Role: FormRole} }

const formColumns = `id, name, mapping, origins, redirect, thanks, campaign, utm, honeypot, per_minute, created_at`

func scanForm(row interface{ Scan(...any) error }) (inbound.Form, error) {
	var f inbound.Form
	var origins, utm string
	err := row.Scan(&f.ID, &f.Name, &f.Mapping, &origins, &f.Redirect, &f.Thanks, &f.Campaign, &utm, &f.Honeypot, &f.PerMinute, scanTime{&f.CreatedAt})
	if err != nil {
		return f, err
	}
	f.Origins = strings.Fields(origins)
	if utm != "" && utm != "{}" {
		if err := json.Unmarshal([]byte(utm), &f.UTM); err != nil {
			return f, err
		}
	}
	return f, nil
}

// SaveForm creates the form, or changes the one of the same name; its
// settings are checked first ([inbound.Form.Check]: EINVALID naming each
// bad setting).
func (db *DB) SaveForm(ctx context.Context, f inbound.Form) (saved inbound.Form, err error) {
	defer wrap(&err, "save form %q", f.Name)
	if _, err := f.Check(); err != nil {
		return f, err
	}
	utm := "{}"
	if len(f.UTM) > 0 {
		b, _ := json.Marshal(f.UTM)
		utm = string(b)
	}
	err = db.transact(ctx, func(tx *Tx) error {
		var before map[string]string
		if old, err := scanForm(tx.QueryRowContext(ctx, `SELECT `+formColumns+` FROM forms WHERE name = $1`, f.Name)); err == nil {
			before = formAudit(old)
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO forms (name, mapping, origins, redirect, thanks, campaign, utm, honeypot, per_minute, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
			ON CONFLICT (name) DO UPDATE SET mapping = $2, origins = $3, redirect = $4, thanks = $5, campaign = $6, utm = $7,
				honeypot = $8, per_minute = $9, updated_at = $10`,
			f.Name, f.Mapping, strings.Join(f.Origins, " "), f.Redirect, f.Thanks, f.Campaign, utm, f.Honeypot, f.PerMinute, tx.t(tx.Now))
		if err != nil {
			return err
		}
		saved, err = scanForm(tx.QueryRowContext(ctx, `SELECT `+formColumns+` FROM forms WHERE name = $1`, f.Name))
		if err != nil {
			return err
		}
		return tx.recordAudit(ctx, AuditFormSave, "form:"+f.Name, settingChanges(before, formAudit(saved)))
	})
	return saved, err
}

// formAudit is what the audit log shows of a form's settings.
func formAudit(f inbound.Form) map[string]string {
	utm := ""
	if len(f.UTM) > 0 {
		b, _ := json.Marshal(f.UTM)
		utm = string(b)
	}
	return map[string]string{"mapping": f.Mapping, "origins": strings.Join(f.Origins, " "), "redirect": f.Redirect, "thanks": f.Thanks,
		"campaign": f.Campaign, "utm": utm, "honeypot": f.Honeypot, "per_minute": strconv.Itoa(f.PerMinute)}
}

// Form returns the form with the name, or ENOTFOUND.
func (db *DB) Form(ctx context.Context, name string) (f inbound.Form, err error) {
	defer wrap(&err, "form %q", name)
	f, err = scanForm(db.read.QueryRowContext(ctx, `SELECT `+formColumns+` FROM forms WHERE name = $1`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return f, tandem.Errorf(tandem.ENOTFOUND, "no form %q", name)
	}
	return f, err
}

// Forms returns every form, by name.
func (db *DB) Forms(ctx context.Context) (fs []inbound.Form, err error) {
	defer wrap(&err, "list forms")
	rows, err := db.read.QueryContext(ctx, `SELECT `+formColumns+` FROM forms ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	fs = []inbound.Form{}
	for rows.Next() {
		f, err := scanForm(rows)
		if err != nil {
			return nil, err
		}
		fs = append(fs, f)
	}
	return fs, rows.Err()
}

// DeleteForm deletes the form with the name and its submissions, or
// answers ENOTFOUND.
func (db *DB) DeleteForm(ctx context.Context, name string) (err error) {
	defer wrap(&err, "delete form %q", name)
	return db.transact(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM form_submissions WHERE form_id IN (SELECT id FROM forms WHERE name = $1)`, name); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM forms WHERE name = $1`, name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return tandem.Errorf(tandem.ENOTFOUND, "no form %q", name)
		}
		return tx.recordAudit(ctx, AuditFormDelete, "form:"+name, nil)
	})
}

// Submission statuses.
const (
	SubmissionAccepted = "accepted"
	SubmissionRefused  = "refused"
)

// Submission is one post of a form.
type Submission struct {
	ID           int64     `json:"id"`
	SubmissionID string    `json:"submission_id,omitempty"`
	At           time.Time `json:"at"`
	Status       string    `json:"status"` // SubmissionAccepted or SubmissionRefused
	Reason       string    `json:"reason,omitempty"`
	LeadID       int64     `json:"lead_id,omitempty"`
	// LeadStatus is what the post did to its lead (tandem.StatusCreated,
	// ...), on the answer to the post only.
	LeadStatus string `json:"lead_status,omitempty"`
	Addr       string `json:"addr,omitempty"`
	Origin     string `json:"origin,omitempty"`
	// Repeated is set on the answer to a post whose submission id was
	// posted before: the first post's outcome, unchanged.
	Repeated bool `json:"repeated,omitempty"`
}

// Post is what the HTTP layer knows of a form's post.
type Post struct {
	SubmissionID, Addr, Origin string
}

// maxSubmissionID bounds a submission id.
const maxSubmissionID = 100

// FormPost is one post of a form for [DB.SubmitForms]: the lead input
// its mapping gave, or the reason it could not (MapErr).
type FormPost struct {
	Form   inbound.Form
	Post   Post
	In     tandem.LeadInput
	MapErr error
}

// SubmitForm takes one post of the form: [DB.SubmitForms] of one.
func (db *DB) SubmitForm(ctx context.Context, f inbound.Form, p Post, in tandem.LeadInput, mapErr error) (Submission, error) {
	ss, err := db.SubmitForms(ctx, []FormPost{{Form: f, Post: p, In: in, MapErr: mapErr}})
	if err != nil {
		return Submission{}, err
	}
	return ss[0], nil
}

// SubmitForms takes posts of forms in one transaction (the HTTP layer
// gathers the posts that arrive together, so that a busy form costs one
// commit per batch, not per post). For each post: a submission id posted
// before (or earlier in the batch) answers the first post's outcome and
// changes nothing; otherwise the lead input, or the reason it could not be
// read, goes through intake as the form's caller ([FormToken]) and the
// submission is recorded, accepted with its lead or refused with why. A
// refusal is an outcome, not an error: err is for what failed, and then
// nothing is taken.
func (db *DB) SubmitForms(ctx context.Context, posts []FormPost) (ss []Submission, err error) {
	defer wrap(&err, "submit %d form posts", len(posts))
	for i := range posts {
		if len(posts[i].Post.SubmissionID) > maxSubmissionID {
			posts[i].Post.SubmissionID = ""
			posts[i].MapErr = tandem.Invalid(tandem.FieldError{Field: inbound.SubmissionField, Message: "at most 100 characters"})
		}
	}
	err = db.transact(ctx, func(tx *Tx) error {
		ss = make([]Submission, len(posts))
		type key struct {
			form int64
			id   string
		}
		first := map[key]int{}
		repeats := map[int]int{}    // a post's index to the earlier post of the batch it repeats
		byForm := map[int64][]int{} // the posts that go to intake, by form
		var forms []int64
		for i, fp := range posts {
			ss[i] = Submission{SubmissionID: fp.Post.SubmissionID, At: tx.Now, Addr: fp.Post.Addr, Origin: fp.Post.Origin}
			if id := fp.Post.SubmissionID; id != "" {
				k := key{fp.Form.ID, id}
				if j, ok := first[k]; ok {
					repeats[i] = j
					continue
				}
				first[k] = i
				// The last term lets SQLite use the partial index form_submissions_once.
				prev, err := scanSubmission(tx.QueryRowContext(ctx, `SELECT `+submissionColumns+` FROM form_submissions WHERE form_id = $1 AND submission_id = $2 AND submission_id <> ''`,
					fp.Form.ID, id))
				if err == nil {
					prev.Repeated = true
					ss[i] = prev
					repeats[i] = -1
					continue
				} else if !errors.Is(err, sql.ErrNoRows) {
					return err
				}
			}
			if fp.MapErr != nil {
				ss[i].Status, ss[i].Reason = SubmissionRefused, reason(fp.MapErr)
				continue
			}
			if _, ok := byForm[fp.Form.ID]; !ok {
				forms = append(forms, fp.Form.ID)
			}
			byForm[fp.Form.ID] = append(byForm[fp.Form.ID], i)
		}
		for _, id := range forms {
			idx := byForm[id]
			f := posts[idx[0]].Form
			ins := make([]tandem.LeadInput, len(idx))
			for k, i := range idx {
				ins[k] = posts[i].In
			}
			tok := FormToken(f.Name)
			results := make([]IntakeResult, len(ins))
			if err := tx.intakeLeads(ctx, ins, IntakeOptions{DefaultSource: f.Source(), Actor: tok.Actor(), As: &tok}, results); err != nil {
				return err
			}
			for k, i := range idx {
				r := results[k]
				ss[i].LeadID, ss[i].LeadStatus = r.ID, r.Status
				if r.Err != nil {
					ss[i].Status, ss[i].Reason = SubmissionRefused, reason(r.Err)
				} else {
					ss[i].Status = SubmissionAccepted
				}
			}
		}
		for i := range posts {
			if _, ok := repeats[i]; ok {
				continue
			}
			if err := tx.insertSubmission(ctx, posts[i].Form.ID, &ss[i]); err != nil {
				return err
			}
		}
		for i, j := range repeats {
			if j >= 0 {
				ss[i] = ss[j]
				ss[i].Repeated, ss[i].LeadStatus = true, ""
			}
		}
		return nil
	})
	return ss, err
}

// RefuseForm records a post refused before intake (a filled honeypot, an
// origin not allowed, too many posts from the address) with why.
func (db *DB) RefuseForm(ctx context.Context, f inbound.Form, p Post, why string) (err error) {
	defer wrap(&err, "refuse a post of form %q", f.Name)
	return db.transact(ctx, func(tx *Tx) error {
		// A refused post keeps no submission id: the same id posted
		// again, rightly, must be taken.
		s := Submission{At: tx.Now, Status: SubmissionRefused, Reason: why, Addr: p.Addr, Origin: p.Origin}
		return tx.insertSubmission(ctx, f.ID, &s)
	})
}

// reason is the text an error gives a refused submission.
func reason(err error) string {
	msg := tandem.ErrorMessage(err) // which names the fields too
	if len(msg) > 1000 {
		msg = msg[:1000]
	}
	return msg
}

const submissionColumns = `id, submission_id, at, status, reason, coalesce(lead_id, 0), addr, origin`

func scanSubmission(row interface{ Scan(...any) error }) (Submission, error) {
	var s Submission
	err := row.Scan(&s.ID, &s.SubmissionID, scanTime{&s.At}, &s.Status, &s.Reason, &s.LeadID, &s.Addr, &s.Origin)
	return s, err
}

func (tx *Tx) insertSubmission(ctx context.Context, formID int64, s *Submission) error {
	var lead any
	if s.LeadID != 0 {
		lead = s.LeadID
	}
	return tx.QueryRowContext(ctx, `INSERT INTO form_submissions (form_id, submission_id, at, status, reason, lead_id, addr, origin)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		formID, s.SubmissionID, tx.t(s.At), s.Status, s.Reason, lead, s.Addr, s.Origin).Scan(&s.ID)
}

// Submissions returns the form's latest posts, the newest first, at most
// limit of them.
func (db *DB) Submissions(ctx context.Context, formID int64, limit int) (ss []Submission, err error) {
	defer wrap(&err, "submissions of form %d", formID)
	rows, err := db.read.QueryContext(ctx, `SELECT `+submissionColumns+` FROM form_submissions WHERE form_id = $1 ORDER BY id DESC LIMIT $2`, formID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ss = []Submission{}
	for rows.Next() {
		s, err := scanSubmission(rows)
		if err != nil {
			return nil, err
		}
		ss = append(ss, s)
	}
	return ss, rows.Err()
}
