package http

import (
	"net/http"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/content"
	"github.com/tandemhq/tandem/report"
)

// The content library's API (docs/content.md, docs/api.md): marketing and
// admins write, everyone reads, sales rates.

// contentInput is the body of POST /api/v1/content.
type contentInput struct {
	Code     string `json:"code"`
	Kind     string `json:"kind"`
	Title    string `json:"title"`
	Subject  string `json:"subject"`
	Body     string `json:"body"`
	URL      string `json:"url"`
	Owner    string `json:"owner"`
	Campaign string `json:"campaign"`
	Segment  string `json:"segment"`
	Status   string `json:"status"`
}

func (in contentInput) item() content.Item {
	return content.Item{Code: in.Code, Kind: in.Kind, Title: in.Title, Subject: in.Subject, Body: in.Body, URL: in.URL,
		Owner: in.Owner, Campaign: in.Campaign, Segment: in.Segment, Status: in.Status}
}

// listContent answers GET /api/v1/content: every item, by code.
func (s *Server) listContent(w http.ResponseWriter, r *http.Request) error {
	items, err := s.DB.ContentItems(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

// saveContent answers POST /api/v1/content: adds an item (201) or changes
// the one of its code (200); a changed subject, body or URL is a new
// version. The owner defaults to the caller's email for a new item.
func (s *Server) saveContent(w http.ResponseWriter, r *http.Request) error {
	var in contentInput
	if err := decodeStrict(r.Body, &in); err != nil {
		return err
	}
	it := in.item()
	if it.Owner == "" {
		it.Owner = caller(r).UserEmail
	}
	out, created, err := s.DB.SaveContent(r.Context(), it, actor(r))
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return writeJSON(w, status, out)
}

// getContent answers GET /api/v1/content/{code}: the item, its versions
// and its latest ratings.
func (s *Server) getContent(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	code := r.PathValue("code")
	it, err := s.DB.ContentItem(ctx, code)
	if err != nil {
		return err
	}
	vs, err := s.DB.ContentVersions(ctx, code)
	if err != nil {
		return err
	}
	rs, err := s.DB.ContentRatings(ctx, code, 100)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"item": it, "versions": vs, "ratings": rs})
}

// postContentStatus answers POST /api/v1/content/{code}/status {"status"}.
func (s *Server) postContentStatus(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Status string `json:"status"`
	}
	if err := decodeStrict(r.Body, &in); err != nil {
		return err
	}
	it, err := s.DB.SetContentStatus(r.Context(), r.PathValue("code"), in.Status, actor(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, it)
}

// postContentRating answers POST /api/v1/content/{code}/ratings
// {"useful", "note"}: the caller's rating of the item.
func (s *Server) postContentRating(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Useful *bool  `json:"useful"`
		Note   string `json:"note"`
	}
	if err := decodeStrict(r.Body, &in); err != nil {
		return err
	}
	if in.Useful == nil {
		return tandem.Invalid(tandem.FieldError{Field: "useful", Message: "is required: true if the item helped, false if not"})
	}
	tok := caller(r)
	if tok.UserID == 0 {
		return tandem.Errorf(tandem.EFORBIDDEN, "a rating is a person's: use a token that acts for a user")
	}
	out, err := s.DB.RateContent(r.Context(), content.Rating{Code: r.PathValue("code"), UserID: tok.UserID, Useful: *in.Useful, Note: in.Note})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, out)
}

// getContentEffect answers GET /api/v1/content/effect?period=&model=: each
// item's figures over the period, and each version's.
func (s *Server) getContentEffect(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	e, period, err := report.ContentEffect(r.Context(), s.DB, s.DB.Now(), q.Get("period"), q.Get("model"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"period": period, "effect": e})
}
