package http

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/access"
)

// fieldView is one field's value on the lead page: Name is the stored
// name, which the page shows by its label (web.FieldLabel).
type fieldView struct{ Name, Value string }

// eventView is one ledger event on the lead page.
type eventView struct {
	ISO, Text string // when, in UTC for the script and in the agreement's zone
	Type      string // stored, as tandem.EventTouched; the page shows its label
	// Actor is who made the change, in words ("Rita Rep", "the integration
	// crm-sync", "Tandem"); ActorTitle the actor as the ledger stores it.
	Actor, ActorTitle string
	Changes           []tandem.FieldChange
	Detail            []fieldView
	Reason            string
}

// dealView is one of the lead's deals.
type dealView struct {
	ID     int64
	Stage  string
	Amount string
	Closed string
}

// leadView is the lead page's data.
type leadView struct {
	Lead     tandem.Lead
	Name     string
	Owner    string
	Fields   []fieldView
	Clocks   []clockView
	Handoff  *tandem.Handoff
	Cadence  []string
	Events   []eventView
	Deals    []dealView
	Zone     string
	MayWork  bool // the page loads the queue's row of forms
	Decision string
	// The lead forms (page_leads_edit.go) the viewer's role may use; the
	// store checks each lead again.
	MayEdit, MaySend, MayAssign bool
	Owners                      []userOption
}

func (s *Server) getLeadPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	// Who may open the page is the lead rule's (package access), as for
	// GET /api/v1/leads/{id}.
	l, err := s.DB.LeadFor(ctx, id, caller(r))
	if err != nil {
		return err
	}
	_, loc, err := s.queueForms(r, "")
	if err != nil {
		return err
	}
	v := leadView{Lead: l, Name: leadName(l.FirstName, l.LastName, l.Email, l.ID), Zone: loc.String(), Owner: "nobody"}
	if l.OwnerID != 0 {
		if u, err := s.DB.UserByID(ctx, l.OwnerID); err == nil {
			v.Owner = u.Label()
		}
	}
	add := func(name, value string) {
		if value != "" {
			v.Fields = append(v.Fields, fieldView{name, value})
		}
	}
	add("email", l.Email)
	add("company", l.Company)
	add("title", l.Title)
	add("phone", l.Phone)
	add("country", l.Country)
	add("source", l.Source)
	add("origin", l.Origin)
	add("campaign", l.Campaign)
	add("utm_source", l.UTMSource)
	add("utm_medium", l.UTMMedium)
	add("utm_campaign", l.UTMCampaign)
	add("utm_term", l.UTMTerm)
	add("utm_content", l.UTMContent)
	add("segment", l.Segment)
	add("territory", l.Territory)
	add("owner_id", v.Owner)
	add("score", fmt.Sprint(l.Score))
	add("stage", l.Stage)

	now := s.DB.Now()
	hs, err := s.DB.Handoffs(ctx, id)
	if err != nil {
		return err
	}
	if len(hs) > 0 {
		h := hs[len(hs)-1]
		v.Handoff = &h
		v.Clocks = []clockView{newClock("First touch", h.FirstTouchDue, h.FirstTouchAt, h.EndedAt, now, loc),
			newClock("Accept", h.AcceptDue, h.DecidedAt, h.EndedAt, now, loc)}
		if h.Decision != "" {
			v.Decision = h.Decision
			if h.RejectReason != "" {
				v.Decision += " (" + h.RejectReason + ")"
			}
		}
		lines, err := s.DB.LeadCadence(ctx, id)
		if err != nil && tandem.ErrorCode(err) != tandem.ENOTFOUND {
			return err
		}
		v.Cadence = lines
		if h.EndedAt.IsZero() && s.mayWorkLead(r, id, h.OwnerID) == nil {
			v.MayWork = true
		}
	}
	events, err := s.DB.LeadEvents(ctx, id)
	if err != nil {
		return err
	}
	// People are named by name (their email in a title), never by id.
	users, err := s.DB.Users(ctx)
	if err != nil {
		return err
	}
	byID, byEmail := map[string]tandem.User{}, map[string]tandem.User{}
	for _, u := range users {
		byID[strconv.FormatInt(u.ID, 10)] = u
		if u.Email != "" {
			byEmail[u.Email] = u
		}
	}
	for i := len(events) - 1; i >= 0; i-- { // newest first
		e := events[i]
		for j, c := range e.Changes {
			if c.Field == "owner_id" {
				e.Changes[j].From, e.Changes[j].To = personOf(c.From, byID), personOf(c.To, byID)
			}
		}
		ev := eventView{ISO: e.OccurredAt.UTC().Format(time.RFC3339), Text: timeText(e.OccurredAt, loc),
			Type: e.Type, Changes: e.Changes, Reason: e.Reason}
		ev.Actor, ev.ActorTitle = actorWords(e.Actor, byEmail)
		if e.Rule != "" {
			ev.Detail = append(ev.Detail, fieldView{"rule", e.Rule})
		}
		for k, val := range e.Detail {
			ev.Detail = append(ev.Detail, fieldView{k, val})
		}
		slices.SortFunc(ev.Detail, func(a, b fieldView) int { return strings.Compare(a.Name, b.Name) })
		v.Events = append(v.Events, ev)
	}
	deals, err := s.DB.Deals(ctx, tandem.DealFilter{LeadID: id, Limit: 100})
	if err != nil {
		return err
	}
	for _, d := range deals.Deals {
		dv := dealView{ID: d.ID, Stage: d.Stage, Amount: fmt.Sprintf("%d.%02d", d.AmountCents/100, d.AmountCents%100)}
		if !d.ClosedAt.IsZero() {
			dv.Closed = timeText(d.ClosedAt, loc)
		}
		v.Deals = append(v.Deals, dv)
	}
	tok := caller(r)
	v.MayEdit, v.MaySend, v.MayAssign = access.May(tok.Role, access.WriteLeads), access.May(tok.Role, access.SendLeads), access.May(tok.Role, access.AssignLeads)
	if v.MayAssign {
		us, err := s.DB.Users(ctx)
		if err != nil {
			return err
		}
		for _, u := range us {
			if access.CanOwn(u.Role) && u.ID != l.OwnerID {
				v.Owners = append(v.Owners, userOption{u.ID, personLabel(u)})
			}
		}
	}
	p := newPage(r, v.Name)
	p.Notice = leadDone(r.URL.Query().Get("done"))
	p.Data = v
	return s.render(w, http.StatusOK, "lead", p)
}

// mayWorkLead returns nil if the viewer may work lead id, which owner owns
// (the store checks again on every change): [access.CanWork], behind the
// route's roles.
func (s *Server) mayWorkLead(r *http.Request, id, owner int64) error {
	tok := caller(r)
	if !access.May(tok.Role, access.WorkLeads) {
		return tandem.Errorf(tandem.EFORBIDDEN, "the %s role works no leads", tok.Role)
	}
	return s.DB.MayWork(r.Context(), tok, id, owner)
}

// workableLead returns the request's lead, which the viewer may work:
// ENOTFOUND for no such lead, EFORBIDDEN for another's.
func (s *Server) workableLead(r *http.Request) (tandem.Lead, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return tandem.Lead{}, err
	}
	l, err := s.DB.Lead(r.Context(), id)
	if err != nil {
		return l, err
	}
	return l, s.mayWorkLead(r, id, l.OwnerID)
}

// getLeadRow answers the lead's row of forms, for the lead page (htmx).
func (s *Server) getLeadRow(w http.ResponseWriter, r *http.Request) error {
	l, err := s.workableLead(r)
	if err != nil {
		return err
	}
	id := l.ID
	f, loc, err := s.queueForms(r, fmt.Sprintf("/leads/%d", id))
	if err != nil {
		return err
	}
	row, err := s.leadRow(r, id, f, loc)
	if err != nil {
		return err
	}
	return s.templates.RenderFragment(w, http.StatusOK, "queue", "row", row)
}

// getLeadForms answers the less used forms of a lead's row (another touch,
// accept or reject, a review): the part htmx loads when a row's "other"
// section is opened, or, for a browser without script, a page of them. The
// queue leaves them out of its rows, which keeps a long queue fast.
func (s *Server) getLeadForms(w http.ResponseWriter, r *http.Request) error {
	l, err := s.workableLead(r)
	if err != nil {
		return err
	}
	id := l.ID
	f, _, err := s.queueForms(r, "/queue")
	if err != nil {
		return err
	}
	row := rowView{LeadID: id, Name: leadName(l.FirstName, l.LastName, l.Email, id), Forms: f}
	if r.Header.Get("HX-Request") == "true" {
		return s.templates.RenderFragment(w, http.StatusOK, "leadforms", "forms", row)
	}
	p := newPage(r, "Work on "+row.Name)
	p.Data = row
	return s.render(w, http.StatusOK, "leadforms", p)
}

// personOf names the user whose id is given as text, for a change of owner:
// by name, or the text itself when it is no user ("" stays "").
func personOf(id string, byID map[string]tandem.User) string {
	if u, ok := byID[id]; ok {
		return u.Label()
	}
	return id
}

// personLabel is a person in a list to pick from: their name, and their
// email when they have both, so that two people of one name differ.
func personLabel(u tandem.User) string {
	if u.Name != "" && u.Email != "" {
		return u.Name + " (" + u.Email + ")"
	}
	return u.Label()
}

// actorWords says who made a change, as the ledger records it ("user:EMAIL",
// "token:NAME", "cli:NAME", "system", "setup"), in words, and returns the
// stored form for a title.
func actorWords(actor string, byEmail map[string]tandem.User) (words, stored string) {
	kind, name, _ := strings.Cut(actor, ":")
	switch {
	case actor == "":
		return "an unnamed source", ""
	case actor == "system":
		return "Tandem", actor
	case actor == "setup":
		return "the first run's setup", actor
	case kind == "user":
		if u, ok := byEmail[name]; ok {
			return u.Label(), name
		}
		return name, name
	case kind == "token" && (strings.HasPrefix(name, "form:") || strings.HasPrefix(name, "hook:")):
		words, _ := actorWords(name, byEmail)
		return words, actor
	case kind == "token":
		return "the integration " + name, actor
	case kind == "cli":
		return "the command line (" + name + ")", actor
	case kind == "form":
		return "the website form " + name, actor
	case kind == "hook":
		return "the webhook source " + name, actor
	}
	return actor, actor
}
