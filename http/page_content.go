package http

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/access"
	"github.com/tandemhq/tandem/attribution"
	"github.com/tandemhq/tandem/content"
	"github.com/tandemhq/tandem/report"
)

// The content pages (/content and /content/{code}), their forms, and the
// tracked link (/c/{code}/{token}).

// contentView is the /content page's data.
type contentView struct {
	Picker   picker
	Model    attribution.Model
	Models   []attribution.Model
	Effect   content.Effect
	Items    []content.Item
	Ratings  []content.Rating // the latest, of every item
	CanEdit  bool
	Form     contentForm
	Kinds    []string
	Statuses []string
	Fields   []string
}

// contentForm refills the item form after a mistake.
type contentForm struct {
	content.Item
	New    bool
	Errors map[string]string
}

// contentItemView is the /content/{code} page's data.
type contentItemView struct {
	Item     content.Item
	Versions []content.Version
	Ratings  []content.Rating
	Line     content.Line // the item's figures in the picked period
	Picker   picker
	Model    attribution.Model
	CanEdit  bool
	CanRate  bool
	Form     contentForm
	Kinds    []string
	Statuses []string
	Fields   []string
}

var contentFields = []string{"code", "kind", "title", "subject", "body", "url", "owner", "campaign", "segment", "status"}

// contentPage answers GET /content?period=&model=.
func (s *Server) contentPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderContent(w, r, http.StatusOK, contentForm{New: true, Item: content.Item{Kind: content.KindEmail, Status: content.StatusDraft}}, "", "")
}

func (s *Server) renderContent(w http.ResponseWriter, r *http.Request, status int, f contentForm, notice, errMsg string) error {
	ctx := r.Context()
	per, pk, _, err := s.pickPeriod(ctx, r, thisMonth)
	if err != nil {
		return err
	}
	pk.Action = "/content"
	v := contentView{Picker: pk, Models: attribution.Models, Form: f, Kinds: content.Kinds, Statuses: content.Statuses, Fields: content.Fields,
		CanEdit: access.May(viewer(r).Role, access.WriteContent)}
	if v.Model, err = attribution.ParseModel(r.URL.Query().Get("model")); err != nil {
		return err
	}
	if v.Effect, err = report.ContentEffectBetween(ctx, s.DB, per.From, per.To, v.Model); err != nil {
		return err
	}
	if v.Items, err = s.DB.ContentItems(ctx); err != nil {
		return err
	}
	if v.Ratings, err = s.DB.ContentRatings(ctx, "", 20); err != nil {
		return err
	}
	p := newPage(r, "Content")
	p.Data, p.Notice, p.Error = v, notice, errMsg
	return s.render(w, status, "content", p)
}

// formItem reads the item form.
func formItem(r *http.Request) content.Item {
	g := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	return content.Item{Code: g("code"), Kind: g("kind"), Title: g("title"), Subject: g("subject"),
		Body: strings.ReplaceAll(r.PostFormValue("body"), "\r\n", "\n"), URL: g("url"), Owner: g("owner"),
		Campaign: g("campaign"), Segment: g("segment"), Status: g("status")}
}

// postContentForm answers POST /content: adds or changes an item, as
// POST /api/v1/content does, and shows the item's page.
func (s *Server) postContentForm(w http.ResponseWriter, r *http.Request) error {
	it := formItem(r)
	isNew := r.PostFormValue("new") == "1"
	if it.Owner == "" && isNew {
		it.Owner = viewer(r).Email
	}
	if isNew {
		// A new item's code must not be taken: the form would otherwise
		// change another item silently.
		if _, err := s.DB.ContentItem(r.Context(), it.Code); err == nil {
			f := contentForm{Item: it, New: true, Errors: map[string]string{"code": "is taken by another item: pick another code, or open that item to change it"}}
			return s.renderContent(w, r, http.StatusUnprocessableEntity, f, "", "Nothing was changed: see the fields marked below.")
		}
	}
	out, created, err := s.DB.SaveContent(r.Context(), it, actor(r))
	if err != nil {
		if !isFormError(err) {
			return err
		}
		f := contentForm{Item: it, New: isNew}
		var top string
		f.Errors, top = formErrors(err, contentFields...)
		if isNew {
			return s.renderContent(w, r, http.StatusUnprocessableEntity, f, "", top)
		}
		return s.renderContentItem(w, r, it.Code, http.StatusUnprocessableEntity, &f, "", top)
	}
	notice := "Saved " + out.Code + ": version " + strconv.Itoa(out.Version) + "."
	if created {
		notice = "Added " + out.Code + " as a " + out.Status + " " + strings.ReplaceAll(out.Kind, "_", " ") + "."
	}
	return s.renderContentItem(w, r, out.Code, http.StatusOK, nil, notice, "")
}

// contentItemPage answers GET /content/{code}?period=&model=.
func (s *Server) contentItemPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderContentItem(w, r, r.PathValue("code"), http.StatusOK, nil, "", "")
}

func (s *Server) renderContentItem(w http.ResponseWriter, r *http.Request, code string, status int, f *contentForm, notice, errMsg string) error {
	ctx := r.Context()
	it, err := s.DB.ContentItem(ctx, code)
	if err != nil {
		return err
	}
	per, pk, _, err := s.pickPeriod(ctx, r, thisMonth)
	if err != nil {
		return err
	}
	pk.Action = "/content/" + url.PathEscape(code)
	role := viewer(r).Role
	v := contentItemView{Item: it, Picker: pk, Kinds: content.Kinds, Statuses: content.Statuses, Fields: content.Fields,
		CanEdit: access.May(role, access.WriteContent), CanRate: access.May(role, access.RateContent)}
	if f != nil {
		v.Form = *f
	} else {
		v.Form = contentForm{Item: it}
	}
	if v.Model, err = attribution.ParseModel(r.URL.Query().Get("model")); err != nil {
		return err
	}
	e, err := report.ContentEffectBetween(ctx, s.DB, per.From, per.To, v.Model)
	if err != nil {
		return err
	}
	for _, l := range e.Lines {
		if l.Code == code {
			v.Line = l
		}
	}
	if v.Versions, err = s.DB.ContentVersions(ctx, code); err != nil {
		return err
	}
	if v.Ratings, err = s.DB.ContentRatings(ctx, code, 100); err != nil {
		return err
	}
	p := newPage(r, it.Title)
	p.Data, p.Notice, p.Error = v, notice, errMsg
	return s.render(w, status, "content_item", p)
}

// postContentStatusForm answers POST /content/{code}/status (status).
func (s *Server) postContentStatusForm(w http.ResponseWriter, r *http.Request) error {
	code := r.PathValue("code")
	it, err := s.DB.SetContentStatus(r.Context(), code, r.PostFormValue("status"), actor(r))
	if err != nil {
		if !isFormError(err) || tandem.ErrorCode(err) == tandem.ENOTFOUND {
			return err
		}
		return s.renderContentItem(w, r, code, http.StatusUnprocessableEntity, nil, "", "Nothing was changed: "+errorText(err))
	}
	return s.renderContentItem(w, r, code, http.StatusOK, nil, it.Code+" is now "+it.Status+".", "")
}

// postContentRateForm answers POST /content/{code}/rate (useful: yes or
// no, note).
func (s *Server) postContentRateForm(w http.ResponseWriter, r *http.Request) error {
	code := r.PathValue("code")
	var useful bool
	switch r.PostFormValue("useful") {
	case "yes":
		useful = true
	case "no":
	default:
		return s.renderContentItem(w, r, code, http.StatusUnprocessableEntity, nil, "", "Nothing was changed: say whether the item was useful (yes or no).")
	}
	_, err := s.DB.RateContent(r.Context(), content.Rating{Code: code, UserID: viewer(r).ID, Useful: useful, Note: strings.TrimSpace(r.PostFormValue("note"))})
	if err != nil {
		if !isFormError(err) || tandem.ErrorCode(err) == tandem.ENOTFOUND {
			return err
		}
		return s.renderContentItem(w, r, code, http.StatusUnprocessableEntity, nil, "", "Nothing was changed: "+errorText(err))
	}
	return s.renderContentItem(w, r, code, http.StatusOK, nil, "Thank you: your rating is saved, and marketing sees it.", "")
}

// getTrackedLink answers GET /c/{code}/{token}: a lead's tracked link. A
// token that names a lead's link records a click (a marketing touch in the
// lead's ledger); any other token records nothing. Either way the browser
// goes to the item's own URL, and nowhere else: the address comes from the
// library, never from the request. An unknown item is 404.
func (s *Server) getTrackedLink(w http.ResponseWriter, r *http.Request) error {
	c, err := s.DB.ContentClick(r.Context(), r.PathValue("code"), r.PathValue("token"))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, c.URL, http.StatusFound)
	return nil
}
