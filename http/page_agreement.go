package http

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/access"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/sqldb"
)

// maxDiffed bounds the versions whose differences the page works out:
// each needs its file read and parsed.
const maxDiffed = 20

// versionView is one agreement version in the history.
type versionView struct {
	tandem.AgreementVersion
	InForce bool // the version in force now
	Pending bool // awaiting a signature, newer than the one in force
	Changes []string
	// Signed says, for each signer role, who signed (nil: not yet).
	Signed map[tandem.Role]*tandem.Signature
	// CanSign: the viewer is a head whose role has not signed it yet.
	CanSign bool
	// Answers is the older proposal this version answers (0: none);
	// AnsweredBy the newer ones that answer it.
	Answers    int
	AnsweredBy []int
	// Threads are the comments on the version, a thread per clause;
	// CanComment says the viewer may add one (a head or an admin, on a
	// version not in force yet), on one of Clauses.
	Threads    []clauseThread
	CanComment bool
	Clauses    []string
}

// clauseThread is the comments on one clause of a version, oldest first.
type clauseThread struct {
	Clause   string
	Comments []sqldb.AgreementComment
}

// problemLine is a line of a proposed file with the problems found on it.
type problemLine struct {
	N        int
	Text     string
	Problems []problem
}

type problem struct {
	Col     int
	Field   string // the field path, when the problem names one
	Message string
}

// agreementView is what the agreement page shows.
type agreementView struct {
	InForce    *tandem.AgreementVersion
	Agreement  *agreement.Agreement // the one in force (the default when none is)
	Default    bool
	Handoff    string
	Versions   []versionView
	SignerRole []tandem.Role
	CanEdit    bool
	Draft      string // the editor's text
	Lines      []problemLine
	Problems   int
	Other      []string // errors that name no line
	// Form is the draft as a form, a field per value (agreement.FormFields),
	// each with the problems found on it; Base is the version whose file
	// the form edits (0: the default agreement).
	Form []formSection
	Base int
}

// formSection is one top-level key of the agreement as the form shows it.
type formSection struct {
	Name   string
	Fields []formFieldView
}

type formFieldView struct {
	agreement.FormField
	ID       string   // the input's id
	Problems []string // what is wrong with the value, in words
	// ItemStart is set on the first value of a list's item, where the
	// form offers to remove the item; AddAfter on the last value of a list
	// of items, where it offers to add one (a Noun: "step").
	ItemStart bool
	AddAfter  string
	Noun      string
}

// agreementForm lays the draft out as a form, putting each problem beside
// the field whose path it names; the problems that name no field of the
// form are returned.
func agreementForm(draft string, problems []agreement.Problem) ([]formSection, []agreement.Problem) {
	fields, err := agreement.FormFields([]byte(draft))
	if err != nil {
		return nil, problems
	}
	byPath := map[string]*formFieldView{}
	var out []formSection
	for i, f := range fields {
		if len(out) == 0 || out[len(out)-1].Name != f.Section {
			out = append(out, formSection{Name: f.Section})
		}
		sec := &out[len(out)-1]
		sec.Fields = append(sec.Fields, formFieldView{FormField: f, ID: "f" + strconv.Itoa(i)})
	}
	for i := range out {
		fs := out[i].Fields
		for j := range fs {
			byPath[fs[j].Path] = &fs[j]
			f := &fs[j]
			if f.ItemPath == "" {
				continue
			}
			f.ItemStart = j == 0 || fs[j-1].ItemPath != f.ItemPath
			if j == len(fs)-1 || fs[j+1].ListPath != f.ListPath {
				f.AddAfter, f.Noun = f.ListPath, agreement.ListNoun(f.ListPath)
			}
		}
	}
	var rest []agreement.Problem
	for _, p := range problems {
		field, msg, _ := strings.Cut(p.Message, ": ")
		if f := byPath[field]; f != nil {
			f.Problems = append(f.Problems, msg)
			continue
		}
		rest = append(rest, p)
	}
	return out, rest
}

// agreementPage answers /agreement: the version in force in plain words,
// its history with the differences, sign-off for the heads and, for
// admins, the editor.
func (s *Server) agreementPage(w http.ResponseWriter, r *http.Request) error {
	p, err := s.agreementData(r, "")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	if n := q.Get("proposed"); n != "" {
		p.Notice = "version " + n + " is proposed; it comes into force once the marketing head and the sales head have signed it."
	}
	if n := q.Get("commented"); n != "" {
		p.Notice = "your comment on version " + n + " is recorded."
	}
	if n := q.Get("signed"); n != "" {
		p.Notice = "you signed version " + n + "."
		if v, err := s.DB.AgreementVersion(r.Context(), atoi(n)); err == nil && !v.InForceFrom.IsZero() {
			p.Notice += " Both heads have signed: it is in force."
		}
	}
	return s.render(w, http.StatusOK, "agreement", p)
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

// agreementData gathers the page; draft is the editor's text ("" for the
// latest version's file).
func (s *Server) agreementData(r *http.Request, draft string) (page, error) {
	ctx := r.Context()
	u := viewer(r)
	v := agreementView{SignerRole: tandem.SignerRoles, CanEdit: access.May(u.Role, access.Propose), Draft: draft}
	var err error
	if v.Agreement, v.InForce, err = s.DB.AgreementAt(ctx, s.DB.Now()); err != nil {
		return page{}, err
	}
	v.Default = v.InForce == nil
	v.Handoff = handoffStage(v.Agreement)
	list, err := s.DB.AgreementVersions(ctx)
	if err != nil {
		return page{}, err
	}
	slices.SortFunc(list, func(a, b tandem.AgreementVersion) int { return b.Version - a.Version }) // newest first
	var parsed []*agreement.Agreement
	for i, lv := range list {
		vv := versionView{AgreementVersion: lv, Signed: map[tandem.Role]*tandem.Signature{}}
		if i < maxDiffed+1 {
			full, err := s.DB.AgreementVersion(ctx, lv.Version)
			if err != nil {
				return page{}, err
			}
			vv.AgreementVersion = full
			a, _ := agreement.Parse(fmt.Sprintf("agreement version %d", lv.Version), []byte(full.Body))
			parsed = append(parsed, a)
		}
		for j := range vv.Signatures {
			sig := vv.Signatures[j]
			vv.Signed[sig.Role] = &sig
		}
		vv.InForce = v.InForce != nil && lv.Version == v.InForce.Version
		vv.Pending = lv.InForceFrom.IsZero() && (v.InForce == nil || lv.Version > v.InForce.Version)
		vv.CanSign = vv.Pending && slices.Contains(tandem.SignerRoles, u.Role) && vv.Signed[u.Role] == nil
		v.Versions = append(v.Versions, vv)
	}
	// The proposals' links and comments.
	links, err := s.DB.ProposalLinks(ctx)
	if err != nil {
		return page{}, err
	}
	for i := range v.Versions {
		vv := &v.Versions[i]
		vv.Answers = links[vv.Version]
		for n, a := range links {
			if a == vv.Version {
				vv.AnsweredBy = append(vv.AnsweredBy, n)
			}
		}
		slices.Sort(vv.AnsweredBy)
		if i > maxDiffed {
			continue
		}
		cs, err := s.DB.AgreementComments(ctx, vv.Version)
		if err != nil {
			return page{}, err
		}
		for _, c := range cs {
			if n := len(vv.Threads); n == 0 || vv.Threads[n-1].Clause != c.Clause {
				vv.Threads = append(vv.Threads, clauseThread{Clause: c.Clause})
			}
			vv.Threads[len(vv.Threads)-1].Comments = append(vv.Threads[len(vv.Threads)-1].Comments, c)
		}
		if vv.InForceFrom.IsZero() && access.May(u.Role, access.Comment) {
			if vv.Clauses, err = s.DB.CommentClauses(ctx, vv.Version); err != nil {
				return page{}, err
			}
			vv.CanComment = true
		}
	}
	// Each version's changes from the one before it.
	for i := 0; i < len(parsed) && i < maxDiffed; i++ {
		var older *agreement.Agreement
		if i+1 >= len(parsed) {
			continue // the first version (nothing before it), or the one before was not read
		}
		older = parsed[i+1]
		if parsed[i] != nil {
			v.Versions[i].Changes = agreement.Diff(older, parsed[i])
		}
	}
	if v.CanEdit {
		if len(v.Versions) > 0 {
			v.Base = v.Versions[0].Version
		}
		if v.Draft == "" {
			v.Draft = string(agreement.Default())
			if len(v.Versions) > 0 {
				v.Draft = v.Versions[0].Body
			}
		}
		v.Form, _ = agreementForm(v.Draft, nil)
	}
	p := newPage(r, "Agreement")
	p.Data = &v
	return p, nil
}

// agreementSign signs a version as the viewer (a head signs only for
// their own role: SignAgreement takes the viewer's email).
func (s *Server) agreementSign(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return err
	}
	n, err := strconv.Atoi(r.PostForm.Get("version"))
	if err != nil || n <= 0 {
		return s.agreementFailed(w, r, tandem.Errorf(tandem.EINVALID, "choose a version to sign"), "")
	}
	if _, err := s.DB.SignAgreement(r.Context(), n, viewer(r).Email); err != nil {
		return s.agreementFailed(w, r, err, "")
	}
	http.Redirect(w, r, "/agreement?signed="+strconv.Itoa(n), http.StatusSeeOther)
	return nil
}

// agreementPropose stores the editor's file as a new version, or shows
// every problem next to its line and stores nothing.
func (s *Server) agreementPropose(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return err
	}
	body := strings.ReplaceAll(r.PostForm.Get("body"), "\r\n", "\n")
	if r.PostForm.Get("via") == "form" {
		var err error
		if body, err = s.formBody(r); err != nil {
			return s.agreementFailed(w, r, err, "")
		}
		if list := r.PostForm.Get("add"); list != "" {
			// Adding an item proposes nothing: the form comes back with
			// the new item to fill in.
			p, err := s.agreementData(r, body)
			if err != nil {
				return err
			}
			p.Notice = fmt.Sprintf("a new %s is at the end of %s: fill it in, then propose the version.", agreement.ListNoun(list), strings.NewReplacer(".", " ", "_", " ").Replace(list))
			return s.render(w, http.StatusOK, "agreement", p)
		}
	}
	if strings.TrimSpace(body) == "" {
		return s.agreementFailed(w, r, tandem.Errorf(tandem.EINVALID, "the agreement file is empty"), body)
	}
	// The proposal it answers is checked first, so that a bad one
	// records nothing.
	answers := 0
	if a := strings.TrimSpace(r.PostForm.Get("answers")); a != "" {
		n, err := strconv.Atoi(a)
		if err == nil && n > 0 {
			_, err = s.DB.AgreementVersion(r.Context(), n)
		}
		if err != nil || n <= 0 {
			return s.agreementFailed(w, r, tandem.Invalid(tandem.FieldError{Field: "answers", Message: fmt.Sprintf("%q is not a version this one may answer", a)}), body)
		}
		answers = n
	}
	v, created, err := s.DB.ProposeAgreement(r.Context(), "agreement.yaml", body, viewer(r).Email)
	if err != nil {
		return s.agreementFailed(w, r, err, body)
	}
	if created && answers > 0 {
		if err := s.DB.AnswerProposal(r.Context(), v.Version, answers); err != nil {
			return err
		}
	}
	if !created {
		p, err := s.agreementData(r, body)
		if err != nil {
			return err
		}
		p.Notice = fmt.Sprintf("nothing changed: the file is the same as version %d.", v.Version)
		return s.render(w, http.StatusOK, "agreement", p)
	}
	http.Redirect(w, r, "/agreement?proposed="+strconv.Itoa(v.Version)+"#v"+strconv.Itoa(v.Version), http.StatusSeeOther)
	return nil
}

// formBody writes the agreement form's answers (fields named "f:" and the
// value's path) into the file the form was made from (draft, which the form
// carries; without it the version it edited, base, 0 for the default
// agreement), removes the items checked "remove" and adds one to the list
// named by "add": the same file the YAML editor would send.
func (s *Server) formBody(r *http.Request) (string, error) {
	base := strings.ReplaceAll(r.PostForm.Get("draft"), "\r\n", "\n")
	if base == "" {
		base = string(agreement.Default())
		if n, _ := strconv.Atoi(r.PostForm.Get("base")); n > 0 {
			v, err := s.DB.AgreementVersion(r.Context(), n)
			if err != nil {
				return "", err
			}
			base = v.Body
		}
	}
	values := map[string]string{}
	for k, vs := range r.PostForm {
		if path, ok := strings.CutPrefix(k, "f:"); ok && len(vs) > 0 {
			values[path] = vs[0]
		}
	}
	out, err := agreement.ApplyForm([]byte(base), values)
	if err == nil {
		out, err = agreement.EditItems(out, r.PostForm["remove"], r.PostForm.Get("add"))
	}
	if err != nil {
		return "", tandem.Errorf(tandem.EINVALID, "%v", err)
	}
	return string(out), nil
}

// agreementFailed shows the page again with what went wrong: a file's
// problems next to their lines, anything else above.
func (s *Server) agreementFailed(w http.ResponseWriter, r *http.Request, cause error, draft string) error {
	code := tandem.ErrorCode(cause)
	if code == tandem.EINTERNAL || code == tandem.EUNAUTHORIZED {
		return cause
	}
	p, err := s.agreementData(r, draft)
	if err != nil {
		return err
	}
	v := p.Data.(*agreementView)
	var ps *agreement.Problems
	if errors.As(cause, &ps) && draft != "" {
		v.Form, _ = agreementForm(draft, ps.List)
		v.Lines = problemLines(draft, ps.List)
		v.Problems = len(ps.List)
		p.Error = fmt.Sprintf("the file has %d problem%s, shown next to %s below; nothing was stored.", len(ps.List), plural(len(ps.List)), pickWord(len(ps.List) == 1, "its line", "their lines"))
	} else {
		p.Error = tandem.ErrorMessage(cause)
		for _, f := range tandem.ErrorFields(cause) {
			v.Other = append(v.Other, f.Field+": "+f.Message)
		}
		if draft != "" {
			p.Error += " Nothing was stored."
		}
	}
	return s.render(w, statusOf[code], "agreement", p)
}

// problemLines numbers the file's lines and puts each problem under its
// line, with the field path it names split out.
func problemLines(body string, list []agreement.Problem) []problemLine {
	texts := strings.Split(body, "\n")
	lines := make([]problemLine, len(texts))
	for i, t := range texts {
		lines[i] = problemLine{N: i + 1, Text: t}
	}
	for _, pr := range list {
		i := pr.Line - 1
		if i < 0 {
			i = 0
		}
		if i >= len(lines) {
			i = len(lines) - 1
		}
		pp := problem{Col: pr.Col, Message: pr.Message}
		if field, msg, ok := strings.Cut(pr.Message, ": "); ok && !strings.ContainsAny(field, " \t") {
			pp.Field, pp.Message = field, msg
		}
		lines[i].Problems = append(lines[i].Problems, pp)
	}
	return lines
}

func plural(n int) string { return pickWord(n == 1, "", "s") }

func pickWord(one bool, a, b string) string {
	if one {
		return a
	}
	return b
}

// agreementComment answers POST /agreement/{version}/comments: a head's or
// an admin's comment on a clause of a proposed version.
func (s *Server) agreementComment(w http.ResponseWriter, r *http.Request) error {
	n, err := versionParam(r)
	if err != nil {
		return err
	}
	c, err := s.DB.CommentOnAgreement(r.Context(), n, r.PostFormValue("clause"), r.PostFormValue("body"), viewer(r))
	if err != nil {
		if !isFormError(err) || tandem.ErrorCode(err) == tandem.ENOTFOUND {
			return err
		}
		p, perr := s.agreementData(r, "")
		if perr != nil {
			return perr
		}
		p.Error = fmt.Sprintf("your comment on version %d was not recorded: %s", n, errorText(err))
		return s.render(w, http.StatusUnprocessableEntity, "agreement", p)
	}
	http.Redirect(w, r, fmt.Sprintf("/agreement?commented=%d#v%d", c.Version, c.Version), http.StatusSeeOther)
	return nil
}
