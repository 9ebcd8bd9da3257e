package http

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/meeting"
	"github.com/tandemhq/tandem/report"
	"github.com/tandemhq/tandem/scorecard"
	"github.com/tandemhq/tandem/sqldb"
)

// The meeting's API (docs/meeting.md, docs/api.md): GET
// /api/v1/meetings/{period}, POST /api/v1/meetings/{period}/items, POST
// /api/v1/meetings/items/{id}/done, POST /api/v1/meetings/{period}/responses,
// and a proposal's comments under /api/v1/agreements/{version}/comments.

// meetingJSON is a meeting as the API gives it.
type meetingJSON struct {
	Period string `json:"period"`
	// Agenda is the period's scorecard agenda, largest shortfall first.
	Agenda []scorecard.Item `json:"agenda"`
	// Items are the meeting's action items; Carried the previous
	// meeting's, as the period's scorecard opens with them.
	Items     []meeting.Item           `json:"items"`
	Carried   *meeting.Carried         `json:"carried"`
	Review    []report.ReviewGroup     `json:"review"`
	More      bool                     `json:"more"`
	Responses []sqldb.CampaignResponse `json:"responses"`
}

func (s *Server) getMeetingAPI(w http.ResponseWriter, r *http.Request) error {
	if err := checkParams(r.URL.Query(), "a meeting"); err != nil {
		return err
	}
	m, err := report.ReadMeeting(r.Context(), s.DB, s.DB.Now(), r.PathValue("period"))
	if err != nil {
		return err
	}
	out := meetingJSON{Period: m.Period, Agenda: m.Scorecard.Agenda, Items: m.Items, Carried: m.Scorecard.ActionItems,
		Review: m.Review, More: m.More, Responses: []sqldb.CampaignResponse{}}
	if out.Review == nil {
		out.Review = []report.ReviewGroup{}
	}
	for _, c := range m.Campaigns {
		if res, ok := m.Responses[c]; ok {
			out.Responses = append(out.Responses, res)
		}
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) postMeetingItemAPI(w http.ResponseWriter, r *http.Request) error {
	var n meeting.New
	if err := decodeStrict(r.Body, &n); err != nil {
		return err
	}
	it, err := report.RecordActionItem(r.Context(), s.DB, s.DB.Now(), r.PathValue("period"), n)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/meetings/"+it.Period)
	return writeJSON(w, http.StatusCreated, it)
}

// tokenUser is the user a token acts for, with the token's role; ID 0 for
// a token of no user.
func tokenUser(r *http.Request) tandem.User {
	t := caller(r)
	return tandem.User{ID: t.UserID, Email: t.UserEmail, Role: t.Role}
}

func (s *Server) postMeetingItemDoneAPI(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if r.ContentLength != 0 {
		var none struct{}
		if err := decodeStrict(r.Body, &none); err != nil {
			return err
		}
	}
	it, err := s.DB.CloseActionItem(r.Context(), id, tokenUser(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, it)
}

func (s *Server) postMeetingResponseAPI(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Campaign string `json:"campaign"`
		Response string `json:"response"`
	}
	if err := decodeStrict(r.Body, &in); err != nil {
		return err
	}
	res, err := report.RespondToReview(r.Context(), s.DB, s.DB.Now(), r.PathValue("period"), in.Campaign, in.Response)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

// versionParam reads the {version} of a path, ENOTFOUND when it is not a
// version number.
func versionParam(r *http.Request) (int, error) {
	v := r.PathValue("version")
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, tandem.Errorf(tandem.ENOTFOUND, "%q is not an agreement version", v)
	}
	return n, nil
}

// commentsJSON is a version's comments, the clauses they may name, and the
// proposals it answers and that answer it.
type commentsJSON struct {
	Version    int                      `json:"version"`
	Answers    int                      `json:"answers,omitempty"`
	AnsweredBy []int                    `json:"answered_by"`
	Clauses    []string                 `json:"clauses"`
	Comments   []sqldb.AgreementComment `json:"comments"`
}

func (s *Server) getAgreementComments(w http.ResponseWriter, r *http.Request) error {
	n, err := versionParam(r)
	if err != nil {
		return err
	}
	out := commentsJSON{Version: n, AnsweredBy: []int{}}
	if out.Clauses, err = s.DB.CommentClauses(r.Context(), n); err != nil {
		return err
	}
	if out.Comments, err = s.DB.AgreementComments(r.Context(), n); err != nil {
		return err
	}
	links, err := s.DB.ProposalLinks(r.Context())
	if err != nil {
		return err
	}
	out.Answers = links[n]
	for v, a := range links {
		if a == n {
			out.AnsweredBy = append(out.AnsweredBy, v)
		}
	}
	slices.Sort(out.AnsweredBy)
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) postAgreementComment(w http.ResponseWriter, r *http.Request) error {
	n, err := versionParam(r)
	if err != nil {
		return err
	}
	var in struct {
		Clause string `json:"clause"`
		Body   string `json:"body"`
	}
	if err := decodeStrict(r.Body, &in); err != nil {
		return err
	}
	u := tokenUser(r)
	if u.ID == 0 {
		return tandem.Errorf(tandem.EFORBIDDEN, "a comment is a person's: use a token of a user")
	}
	c, err := s.DB.CommentOnAgreement(r.Context(), n, in.Clause, in.Body, u)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, c)
}

func (s *Server) postAgreementAnswers(w http.ResponseWriter, r *http.Request) error {
	n, err := versionParam(r)
	if err != nil {
		return err
	}
	var in struct {
		Answers int `json:"answers"`
	}
	if err := decodeStrict(r.Body, &in); err != nil {
		return err
	}
	if err := s.DB.AnswerProposal(r.Context(), n, in.Answers); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]int{"version": n, "answers": in.Answers})
}
