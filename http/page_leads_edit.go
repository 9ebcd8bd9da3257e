package http

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/access"
	"github.com/tandemhq/tandem/sqldb"
)

// The lead forms: add a lead and edit its fields (through intake, as POST
// /api/v1/leads does), write a note, hand a hot lead to sales with its
// context (as POST /api/v1/handoffs), reassign it (as POST
// /api/v1/leads/{id}/assign), and the list's bulk actions, each lead
// through the same store call as the single action.

// leadFormFields are the fields the add and edit forms offer, in order.
var leadFormFields = []string{"first_name", "last_name", "email", "company", "title", "phone", "country", "segment",
	"territory", "origin", "campaign", "landing_page", "score", "source", "external_id"}

// formField is one input of the lead form.
type formField struct {
	Name, Value string
	Number      bool
	Fixed       bool // shown, not changed (an existing lead's key)
}

// leadFormView is the add and edit forms' data.
type leadFormView struct {
	ID     int64 // 0 to add a lead
	Name   string
	Fields []formField
	Reason string
}

func leadForm(l *tandem.Lead, values url.Values) leadFormView {
	v := leadFormView{}
	if l != nil {
		v.ID, v.Name = l.ID, leadName(l.FirstName, l.LastName, l.Email, l.ID)
	}
	for _, name := range leadFormFields {
		f := formField{Name: name, Number: name == "score"}
		if lf, ok := tandem.LookupLeadField(name); ok && l != nil {
			f.Value = lf.Get(l)
			f.Fixed = name == "source" || name == "external_id"
		}
		if values != nil && !f.Fixed {
			f.Value = values.Get(name)
		}
		if l == nil && name == "source" && f.Value == "" {
			f.Value = "web"
		}
		v.Fields = append(v.Fields, f)
	}
	if values != nil {
		v.Reason = values.Get("reason")
	}
	return v
}

// getLeadNew answers GET /leads/new, the form to add a lead.
func (s *Server) getLeadNew(w http.ResponseWriter, r *http.Request) error {
	p := newPage(r, "Add a lead")
	p.Data = leadForm(nil, nil)
	return s.render(w, http.StatusOK, "leads_form", p)
}

// formInput turns the posted form into an intake input: the form's
// fields, blank ones left out (intake leaves them as they are).
func formInput(form url.Values) tandem.LeadInput {
	in := tandem.LeadInput{Fields: map[string]string{}, Reason: strings.TrimSpace(form.Get("reason"))}
	for _, name := range leadFormFields {
		if v := strings.TrimSpace(form.Get(name)); v != "" {
			in.Fields[name] = v
		}
	}
	return in
}

// postLeadNew adds a lead through intake, as the caller: the stage rules
// run and a lead that reaches the hand-off stage is routed at once.
func (s *Server) postLeadNew(w http.ResponseWriter, r *http.Request) error {
	in := formInput(r.PostForm)
	if len(in.Fields) == 0 || in.Fields["email"] == "" && in.Fields["last_name"] == "" && in.Fields["company"] == "" {
		return s.leadFormError(w, r, nil, tandem.Invalid(tandem.FieldError{Field: "email", Message: "give at least an email, a last name or a company"}))
	}
	rs, err := s.DB.IntakeLeads(r.Context(), []tandem.LeadInput{in}, sqldb.IntakeOptions{DefaultSource: "web", Actor: actor(r), As: ptr(caller(r))})
	if err != nil {
		return err
	}
	s.countLeads("web", rs)
	if rs[0].Err != nil {
		return s.leadFormError(w, r, nil, rs[0].Err)
	}
	done := "created"
	if rs[0].Status != tandem.StatusCreated {
		done = "exists" // its source and external id name a lead already there
	}
	http.Redirect(w, r, fmt.Sprintf("/leads/%d?done=%s", rs[0].ID, done), http.StatusSeeOther)
	return nil
}

// leadFormError shows the form again with what was sent and what is wrong.
func (s *Server) leadFormError(w http.ResponseWriter, r *http.Request, l *tandem.Lead, err error) error {
	code := tandem.ErrorCode(err)
	if code != tandem.EINVALID && code != tandem.ECONFLICT {
		return err
	}
	title := "Add a lead"
	if l != nil {
		title = "Edit " + leadName(l.FirstName, l.LastName, l.Email, l.ID)
	}
	p := newPage(r, title)
	p.Error = errorText(err)
	p.Data = leadForm(l, r.PostForm)
	return s.render(w, statusOf[code], "leads_form", p)
}

// getLeadEdit answers GET /leads/{id}/edit, for a viewer who may read it
// (the store checks the change on saving).
func (s *Server) getLeadEdit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	l, err := s.DB.LeadFor(r.Context(), id, caller(r))
	if err != nil {
		return err
	}
	p := newPage(r, "Edit "+leadName(l.FirstName, l.LastName, l.Email, l.ID))
	p.Data = leadForm(&l, nil)
	return s.render(w, http.StatusOK, "leads_form", p)
}

// postLeadEdit changes the lead's fields through intake (the ledger
// records an updated event), under the lead rule.
func (s *Server) postLeadEdit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	l, err := s.DB.LeadFor(r.Context(), id, caller(r))
	if err != nil {
		return err
	}
	in := formInput(r.PostForm)
	delete(in.Fields, "source")
	delete(in.Fields, "external_id")
	in.ID = id
	rs, err := s.DB.IntakeLeads(r.Context(), []tandem.LeadInput{in}, sqldb.IntakeOptions{DefaultSource: l.Source, Actor: actor(r), As: ptr(caller(r))})
	if err != nil {
		return err
	}
	if e := rs[0].Err; e != nil {
		if c := tandem.ErrorCode(e); c == tandem.EFORBIDDEN || c == tandem.ENOTFOUND {
			return e
		}
		return s.leadFormError(w, r, &l, e)
	}
	http.Redirect(w, r, fmt.Sprintf("/leads/%d?done=%s", id, rs[0].Status), http.StatusSeeOther)
	return nil
}

// postLeadNote writes a note on the lead.
func (s *Server) postLeadNote(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := s.DB.AddNote(r.Context(), id, r.PostForm.Get("note"), caller(r)); err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/leads/%d?done=noted", id), http.StatusSeeOther)
	return nil
}

// postLeadHandoff hands the lead to sales as a hot lead with marketing's
// context, through the store call of POST /api/v1/handoffs.
func (s *Server) postLeadHandoff(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := s.DB.LeadFor(r.Context(), id, caller(r)); err != nil {
		return err
	}
	hot := sqldb.HotLead{Note: strings.TrimSpace(r.PostForm.Get("note")), Link: strings.TrimSpace(r.PostForm.Get("link")),
		Snapshot: strings.TrimSpace(r.PostForm.Get("snapshot"))}
	if _, err := s.DB.HandOff(r.Context(), id, hot, caller(r)); err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/leads/%d?done=handed-off", id), http.StatusSeeOther)
	return nil
}

// postLeadAssign gives the lead to another owner, with a reason.
func (s *Server) postLeadAssign(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := s.DB.Assign(r.Context(), id, r.PostForm.Get("owner"), r.PostForm.Get("reason"), caller(r)); err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/leads/%d?done=assigned", id), http.StatusSeeOther)
	return nil
}

// leadDone says what a lead form just did, for the lead page's notice.
func leadDone(done string) string {
	return map[string]string{
		"created":    "the lead is added.",
		"exists":     "a lead with this source and external id was there already: it is shown, with what the form changed.",
		"updated":    "the lead is changed; the timeline records it.",
		"unchanged":  "nothing changed.",
		"noted":      "the note is on the timeline.",
		"handed-off": "the lead is handed to sales as a hot lead.",
		"assigned":   "the lead has its new owner.",
	}[done]
}

// bulkResult is what a bulk action did to one lead.
type bulkResult struct {
	ID    int64
	Name  string
	Error string // why it was refused; "" when done
}

// bulkView is the bulk action's answer page.
type bulkView struct {
	Action  string
	Done    []bulkResult
	Refused []bulkResult
	Back    string
}

// maxBulk bounds the leads of one bulk action.
const maxBulk = 1000

// postLeadsBulk applies one action to the picked leads, each through the
// store call of the single action and its checks (the lead rule); the
// leads refused are listed with why, never skipped in silence.
func (s *Server) postLeadsBulk(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	tok := caller(r)
	form := r.PostForm
	back := localPath(form.Get("back"))
	if !strings.HasPrefix(back, "/leads") {
		back = "/leads"
	}
	var ids []int64
	for _, v := range form["id"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return tandem.Invalid(tandem.FieldError{Field: "id", Message: fmt.Sprintf("%q is not a lead id", v)})
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return tandem.Invalid(tandem.FieldError{Field: "id", Message: "pick at least one lead"})
	}
	if len(ids) > maxBulk {
		return tandem.Invalid(tandem.FieldError{Field: "id", Message: fmt.Sprintf("%d leads picked; a bulk action takes at most %d", len(ids), maxBulk)})
	}
	reason := strings.TrimSpace(form.Get("reason"))
	var act func(id int64) error
	var what string
	switch a := form.Get("action"); a {
	case "stage":
		stage := form.Get("stage")
		if stage == "" {
			return tandem.Invalid(tandem.FieldError{Field: "stage", Message: "choose the stage to move the leads to"})
		}
		what = "Moved to " + stage
		act = func(id int64) error { _, err := s.DB.MoveLeadAs(ctx, id, stage, reason, tok); return err }
	case "assign":
		if !access.May(tok.Role, access.AssignLeads) {
			return tandem.Errorf(tandem.EFORBIDDEN, "the %s role assigns no leads", tok.Role)
		}
		owner := form.Get("owner")
		if owner == "" {
			return tandem.Invalid(tandem.FieldError{Field: "owner", Message: "choose the new owner"})
		}
		what = "Assigned to " + owner
		act = func(id int64) error { _, err := s.DB.Assign(ctx, id, owner, reason, tok); return err }
	case "campaign":
		if !access.May(tok.Role, access.SendLeads) {
			return tandem.Errorf(tandem.EFORBIDDEN, "the %s role adds no leads to campaigns", tok.Role)
		}
		campaign := strings.TrimSpace(form.Get("campaign"))
		if campaign == "" {
			return tandem.Invalid(tandem.FieldError{Field: "campaign", Message: "name the campaign"})
		}
		what = "Added to the campaign " + campaign
		act = func(id int64) error {
			in := tandem.LeadInput{ID: id, Fields: map[string]string{"campaign": campaign}}
			rs, err := s.DB.IntakeLeads(ctx, []tandem.LeadInput{in}, sqldb.IntakeOptions{Actor: tok.Actor(), As: &tok})
			if err != nil {
				return err
			}
			return rs[0].Err
		}
	default:
		return tandem.Invalid(tandem.FieldError{Field: "action", Message: fmt.Sprintf("%q is not an action (stage, assign, campaign)", a)})
	}
	v := bulkView{Action: what, Back: back}
	for _, id := range ids {
		res := bulkResult{ID: id, Name: fmt.Sprintf("Lead %d", id)}
		l, err := s.DB.LeadFor(ctx, id, tok)
		if err == nil {
			res.Name = leadName(l.FirstName, l.LastName, l.Email, l.ID)
			err = act(id)
		}
		if err != nil {
			if tandem.ErrorCode(err) == tandem.EINTERNAL {
				return err
			}
			res.Error = errorText(err)
			v.Refused = append(v.Refused, res)
			continue
		}
		v.Done = append(v.Done, res)
	}
	p := newPage(r, "Bulk action")
	p.Data = v
	status := http.StatusOK
	if len(v.Done) == 0 {
		status = http.StatusUnprocessableEntity
	}
	return s.render(w, status, "leads_bulk", p)
}
