package http

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/access"
	"github.com/tandemhq/tandem/csvout"
	"github.com/tandemhq/tandem/web"
)

// The leads list (/leads): search, filters, sort, pages, saved views, the
// CSV of the view and bulk actions. It reads its query with the API's
// parser (parseLeadFilter) and lists through the same store call as GET
// /api/v1/leads (LeadsFor, under the read rule), so the page and the API
// cannot disagree on what a filter means.

// leadsPageSize is the page's default number of leads.
const leadsPageSize = 50

// leadsCountUpTo is where the page stops counting: "more than 10,000
// leads" is as useful as the exact number, and a million matches would
// take longer to count than to list.
const leadsCountUpTo = 10000

// maxExportLeads bounds the CSV of a view: pages are answered from memory.
const maxExportLeads = 50000

// leadsColumn is a column of the list, sortable by its field.
type leadsColumn struct {
	Field, Label string
	URL          string // the list sorted by this column (the other way if it is already)
	Dir          string // "ascending" or "descending" when the list is sorted by it
}

// leadsRow is one lead of the list.
type leadsRow struct {
	ID                         int64
	Name, Company, Email       string
	Stage, Owner, Score        string
	Created, StageChanged, ISO string
}

// leadsChip is an active filter, with the list without it.
type leadsChip struct{ Label, Value, Remove string }

// leadsViewRow is a saved view on the page.
type leadsViewRow struct {
	ID                int64
	Name, URL, Owner  string
	Shared, Mine, Now bool
}

// userOption is a user in a select.
type userOption struct {
	ID    int64
	Email string
}

// leadsView is the /leads page's data.
type leadsView struct {
	Query  string            // the list's query string without its cursor
	Values map[string]string // the filter form's values (a field's first, when it has several)
	// Selected holds "name=value" for each value of the form's fields,
	// which may have several (stage, owner_id), for its multiple selects.
	Selected map[string]bool
	Chips    []leadsChip
	Columns  []leadsColumn
	Rows     []leadsRow
	Total    int
	More     bool // more than Total match
	From, To int  // the rows shown, counted from 1
	Next     string
	First    string // the first page, when this is not it
	Stages   []string
	Owners   []userOption
	Teams    []string
	Fields   []string // the lead fields "more filters" offers
	Views    []leadsViewRow
	Export   string
	Zone     string
	// What the viewer may do from the page.
	MayCreate, MayBulk, MayAssign, MaySend bool
	Campaigns                              []string
}

// leadsQuery returns the list's parameters from the page's query: the
// filter form sends every field, so empty ones are dropped; page is what
// only the page reads.
func leadsQuery(q url.Values) (list url.Values) {
	list = url.Values{}
	for name, vs := range q {
		if name == "cursor" && len(vs) > 0 && vs[len(vs)-1] != "" {
			list.Set(name, vs[len(vs)-1])
			continue
		}
		for _, v := range vs {
			if strings.TrimSpace(v) != "" {
				list.Add(name, v)
			}
		}
	}
	// "More filters": a field chosen from a list, and its value.
	if f, v := list.Get("field"), list.Get("value"); f != "" {
		list.Del("field")
		list.Del("value")
		if v != "" && list.Get(f) == "" {
			list.Set(f, v)
		}
	} else {
		list.Del("value")
	}
	return list
}

// getLeadsPage answers GET /leads.
func (s *Server) getLeadsPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	a, err := s.DB.AgreementNow(ctx)
	if err != nil {
		return err
	}
	loc := a.BusinessHours.Location
	if loc == nil {
		loc = time.UTC
	}
	tok := caller(r)
	q := leadsQuery(r.URL.Query())
	v := leadsView{Values: map[string]string{}, Selected: map[string]bool{}, Zone: loc.String(),
		MayCreate: access.May(tok.Role, access.WriteLeads), MayBulk: access.May(tok.Role, access.WriteLeads),
		MayAssign: access.May(tok.Role, access.AssignLeads), MaySend: access.May(tok.Role, access.SendLeads)}
	for _, st := range a.Stages {
		v.Stages = append(v.Stages, st.Name)
	}
	for _, f := range tandem.LeadFields {
		v.Fields = append(v.Fields, f.Name)
	}
	users, err := s.DB.Users(ctx)
	if err != nil {
		return err
	}
	emails := map[int64]string{}
	teams := map[string]bool{}
	for _, u := range users {
		emails[u.ID] = u.Email
		if access.CanOwn(u.Role) {
			v.Owners = append(v.Owners, userOption{u.ID, u.Email})
		}
		if u.Team != "" && !teams[u.Team] {
			teams[u.Team] = true
			v.Teams = append(v.Teams, u.Team)
		}
	}
	slices.Sort(v.Teams)
	if v.MaySend {
		cs, err := s.DB.Campaigns(ctx)
		if err != nil {
			return err
		}
		for _, c := range cs {
			v.Campaigns = append(v.Campaigns, c.Code)
		}
	}
	if v.Views, err = s.leadsViews(r, q); err != nil {
		return err
	}
	base := url.Values{}
	for name, vs := range q {
		if name != "cursor" {
			base[name] = vs
			v.Values[name] = vs[0]
			for _, x := range vs {
				v.Selected[name+"="+x] = true
			}
		}
	}
	v.Query = base.Encode()
	v.Export = "/leads/export"
	if v.Query != "" {
		v.Export += "?" + v.Query
	}
	p := newPage(r, "Leads")
	f, err := parseLeadFilter(q, loc)
	if err == nil && f.Limit == 0 {
		f.Limit = leadsPageSize
	}
	f.CountUpTo = leadsCountUpTo
	var page tandem.LeadPage
	if err == nil {
		page, err = s.DB.LeadsFor(ctx, f, tok)
	}
	if err != nil {
		if tandem.ErrorCode(err) != tandem.EINVALID {
			return err
		}
		// A bad filter shows the form, with what is wrong, and no list.
		p.Error = errorText(err)
		v.Columns = leadsColumns(base, "")
		p.Data = v
		return s.render(w, http.StatusUnprocessableEntity, "leads", p)
	}
	v.Columns = leadsColumns(base, f.Sort)
	v.Chips = leadsChips(base, emails)
	v.Total, v.More = page.Total, page.More
	if len(page.Leads) > 0 {
		v.From = 1
		if f.After != 0 {
			v.From = 0 // not known after a cursor: the page says "more"
			v.First = "/leads"
			if v.Query != "" {
				v.First += "?" + v.Query
			}
		}
		v.To = len(page.Leads)
	}
	if page.Next != 0 {
		next := cloneValues(base)
		next.Set("cursor", encodeLeadCursor(page.Next, page.NextValue))
		v.Next = "/leads?" + next.Encode()
	}
	for _, l := range page.Leads {
		row := leadsRow{ID: l.ID, Name: leadName(l.FirstName, l.LastName, l.Email, l.ID), Company: l.Company, Email: l.Email,
			Stage: l.Stage, Score: strconv.Itoa(l.Score), Owner: emails[l.OwnerID],
			Created: l.CreatedAt.In(loc).Format("2 Jan 2006"), StageChanged: l.StageChangedAt.In(loc).Format("2 Jan 2006 15:04"),
			ISO: l.StageChangedAt.UTC().Format(time.RFC3339)}
		if l.OwnerID != 0 && row.Owner == "" {
			row.Owner = fmt.Sprintf("user %d", l.OwnerID)
		}
		v.Rows = append(v.Rows, row)
	}
	switch r.URL.Query().Get("done") {
	case "view":
		p.Notice = "the view is saved."
	case "view-deleted":
		p.Notice = "the view is deleted."
	}
	p.Data = v
	return s.render(w, http.StatusOK, "leads", p)
}

func cloneValues(q url.Values) url.Values {
	out := url.Values{}
	for k, vs := range q {
		out[k] = slices.Clone(vs)
	}
	return out
}

// leadsColumns are the list's columns, each a link that sorts by it.
func leadsColumns(base url.Values, sort string) []leadsColumn {
	field, desc, _ := tandem.SortField(sort)
	cols := []leadsColumn{{Field: "last_name", Label: "Name"}, {Field: "company"}, {Field: "email"}, {Field: "stage"},
		{Field: "owner_id", Label: "Owner"}, {Field: "score"}, {Field: "created_at"}, {Field: "stage_changed_at", Label: "Stage changed"}}
	for i := range cols {
		c := &cols[i]
		if c.Label == "" {
			c.Label = web.FieldLabel(c.Field)
		}
		q := cloneValues(base)
		q.Del("cursor")
		next := c.Field
		if c.Field == field {
			c.Dir = "ascending"
			if desc {
				c.Dir = "descending"
			} else {
				next = "-" + c.Field
			}
		}
		q.Set("sort", next)
		c.URL = "/leads?" + q.Encode()
	}
	return cols
}

// leadsChips lists the active filters, each with the list without it.
func leadsChips(base url.Values, emails map[int64]string) []leadsChip {
	var chips []leadsChip
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range base {
			if !yield(k) {
				return
			}
		}
	}) {
		if name == "sort" || name == "limit" {
			continue
		}
		// A field given several times is one chip: "stage: mql or sal".
		shown := slices.Clone(base[name])
		for i, value := range shown {
			if name == "owner_id" {
				if n, err := strconv.ParseInt(value, 10, 64); err == nil && emails[n] != "" {
					shown[i] = emails[n]
				}
			}
		}
		value := strings.Join(shown, " or ")
		q := cloneValues(base)
		q.Del(name)
		remove := "/leads"
		if e := q.Encode(); e != "" {
			remove += "?" + e
		}
		label := web.FieldLabel(name)
		if name == "q" {
			label = "Search"
		}
		chips = append(chips, leadsChip{Label: label, Value: value, Remove: remove})
	}
	return chips
}

// leadsViews lists the viewer's saved views and those shared with them.
func (s *Server) leadsViews(r *http.Request, q url.Values) ([]leadsViewRow, error) {
	tok := caller(r)
	vs, err := s.DB.LeadViews(r.Context(), tok)
	if err != nil {
		return nil, err
	}
	cur := cloneValues(q)
	cur.Del("cursor")
	var rows []leadsViewRow
	for _, v := range vs {
		u := "/leads"
		if v.Query != "" {
			u += "?" + v.Query
		}
		rows = append(rows, leadsViewRow{ID: v.ID, Name: v.Name, URL: u, Owner: v.UserEmail, Shared: v.Shared,
			Mine: v.UserID == tok.UserID, Now: v.Query == cur.Encode()})
	}
	return rows, nil
}

// postLeadsView saves the list's query as a view of the viewer's.
func (s *Server) postLeadsView(w http.ResponseWriter, r *http.Request) error {
	loc, err := s.DB.Zone(r.Context())
	if err != nil {
		return err
	}
	raw, err := url.ParseQuery(r.PostForm.Get("query"))
	if err != nil {
		return tandem.Invalid(tandem.FieldError{Field: "query", Message: "is not a query string"})
	}
	q := leadsQuery(raw)
	q.Del("cursor")
	// A view is checked by the list's own parser before it is kept.
	if _, err := parseLeadFilter(q, loc); err != nil {
		return err
	}
	_, err = s.DB.SaveLeadView(r.Context(), tandem.LeadView{Name: r.PostForm.Get("name"), Query: q.Encode(),
		Shared: r.PostForm.Get("shared") == "on"}, caller(r))
	if err != nil {
		return err
	}
	target := "/leads?done=view"
	if e := q.Encode(); e != "" {
		target += "&" + e
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

// postLeadsViewDelete deletes a view.
func (s *Server) postLeadsViewDelete(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.DB.DeleteLeadView(r.Context(), id, caller(r)); err != nil {
		return err
	}
	http.Redirect(w, r, "/leads?done=view-deleted", http.StatusSeeOther)
	return nil
}

// leadsExportColumns are the CSV's columns: the lead's id and fields, and
// its owner's email.
func leadsExportColumns() []string {
	cols := []string{"id"}
	for _, f := range tandem.LeadFields {
		cols = append(cols, f.Name)
	}
	return append(cols, "owner_email", "updated_at", "stage_changed_at")
}

// getLeadsExport answers GET /leads/export: the view's leads (every page
// of it, in its order) as CSV through csvout, up to maxExportLeads.
func (s *Server) getLeadsExport(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	loc, err := s.DB.Zone(ctx)
	if err != nil {
		return err
	}
	q := leadsQuery(r.URL.Query())
	q.Del("cursor")
	q.Del("limit")
	f, err := parseLeadFilter(q, loc)
	if err != nil {
		return err
	}
	f.Limit, f.CountUpTo = 1000, maxExportLeads
	users, err := s.DB.Users(ctx)
	if err != nil {
		return err
	}
	emails := map[int64]string{}
	for _, u := range users {
		emails[u.ID] = u.Email
	}
	var leads []tandem.Lead
	for {
		page, err := s.DB.LeadsFor(ctx, f, caller(r))
		if err != nil {
			return err
		}
		if page.More {
			return tandem.Errorf(tandem.ETOOLARGE, "this view holds more than %d leads, the most an export holds: narrow the filters", maxExportLeads)
		}
		leads = append(leads, page.Leads...)
		if page.Next == 0 {
			break
		}
		f.After, f.AfterValue = page.Next, page.NextValue
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=\"leads-%s.csv\"", s.DB.Now().In(loc).Format("2006-01-02")))
	cw := csvout.NewWriter(w)
	if err := cw.WriteText(leadsExportColumns()...); err != nil {
		return err
	}
	for i := range leads {
		l := &leads[i]
		cells := []csvout.Cell{csvout.Number(strconv.FormatInt(l.ID, 10))}
		for _, f := range tandem.LeadFields {
			if f.Kind == tandem.KindInt {
				cells = append(cells, csvout.Number(f.Get(l)))
			} else {
				cells = append(cells, csvout.Text(f.Get(l)))
			}
		}
		cells = append(cells, csvout.Text(emails[l.OwnerID]), csvout.Text(tandem.FormatTime(l.UpdatedAt)), csvout.Text(tandem.FormatTime(l.StageChangedAt)))
		if err := cw.Write(cells...); err != nil {
			return err
		}
	}
	return cw.Flush()
}
