package http

import (
	"net/http"
	"strconv"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/access"
	"github.com/tandemhq/tandem/report"
	"github.com/tandemhq/tandem/sqldb"
)

// getTasks answers the caller's queue, or a rep's or a team's for a
// manager above them (any of them, for an admin).
func (s *Server) getTasks(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	tok := caller(r)
	q := r.URL.Query()
	limit := 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 5000 {
			return tandem.Invalid(tandem.FieldError{Field: "limit", Message: "must be a whole number from 1 to 5000"})
		}
		limit = n
	}
	rep, team := q.Get("rep"), q.Get("team")
	var owners []int64
	switch {
	case rep != "" && team != "":
		return tandem.Invalid(tandem.FieldError{Field: "team", Message: "ask for a rep or a team, not both"})
	case rep != "":
		u, err := s.repAsked(r, rep)
		if err != nil {
			return err
		}
		owners = []int64{u.ID}
	case team != "":
		us, err := s.teamAsked(r, team)
		if err != nil {
			return err
		}
		for _, u := range us {
			owners = append(owners, u.ID)
		}
	case tok.UserID == 0:
		return tandem.Invalid(tandem.FieldError{Field: "rep", Message: "token " + tok.Name + " acts for no user: ask for ?rep=EMAIL or ?team=TEAM"})
	default:
		owners = []int64{tok.UserID}
	}
	items, err := s.DB.Queue(ctx, owners, limit)
	if err != nil {
		return err
	}
	if items == nil {
		items = []sqldb.QueueItem{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"tasks": items})
}

// mayManage returns nil if the caller is u, a manager above u, or an admin.
func (s *Server) mayManage(r *http.Request, u tandem.User) error {
	c, err := s.DB.Caller(r.Context(), caller(r))
	if err != nil {
		return err
	}
	if access.CanSeeWorkOf(c, u.ID) {
		return nil
	}
	return tandem.Errorf(tandem.EFORBIDDEN, "only %s, a manager above them, or an admin may see their tasks", u.Email)
}

func (s *Server) postTouch(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var t tandem.Touch
	if err := decodeStrict(r.Body, &t); err != nil {
		return err
	}
	res, err := s.DB.LogTouch(r.Context(), id, t, caller(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, res)
}

// decide answers POST .../accept, .../reject and .../disqualify.
func (s *Server) decide(decision string) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var req struct {
			Reason string `json:"reason"`
			Note   string `json:"note"`
		}
		if r.ContentLength != 0 || decision != tandem.DecisionAccepted {
			if err := decodeStrict(r.Body, &req); err != nil {
				return err
			}
		}
		if decision == tandem.DecisionAccepted && req.Reason != "" {
			return tandem.Invalid(tandem.FieldError{Field: "reason", Message: "accepting takes no reason; add a note if you like"})
		}
		l, err := s.DB.Decide(r.Context(), id, sqldb.Decision{Decision: decision, Reason: req.Reason, Note: req.Note}, caller(r))
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, l)
	}
}

func (s *Server) postReview(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var rv tandem.Review
	var req struct {
		Rating int      `json:"rating"`
		Tags   []string `json:"tags"`
		Text   string   `json:"text"`
	}
	if err := decodeStrict(r.Body, &req); err != nil {
		return err
	}
	rv.Rating, rv.Tags, rv.Text = req.Rating, req.Tags, req.Text
	out, err := s.DB.Review(r.Context(), id, rv, caller(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, out)
}

func (s *Server) postAssign(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req struct {
		Owner  string `json:"owner"`
		Reason string `json:"reason"`
	}
	if err := decodeStrict(r.Body, &req); err != nil {
		return err
	}
	if req.Owner == "" {
		return tandem.Invalid(tandem.FieldError{Field: "owner", Message: "give the new owner's email"})
	}
	l, err := s.DB.Assign(r.Context(), id, req.Owner, req.Reason, caller(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, l)
}

func (s *Server) postHandoff(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		LeadID int64 `json:"lead_id"`
		sqldb.HotLead
	}
	if err := decodeStrict(r.Body, &req); err != nil {
		return err
	}
	if req.LeadID <= 0 {
		return tandem.Invalid(tandem.FieldError{Field: "lead_id", Message: "give the id of the lead to hand over"})
	}
	h, err := s.DB.HandOff(r.Context(), req.LeadID, req.HotLead, caller(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, h)
}

func (s *Server) getLeadHandoffs(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := s.DB.LeadFor(r.Context(), id, caller(r)); err != nil {
		return err
	}
	hs, err := s.DB.Handoffs(r.Context(), id)
	if err != nil {
		return err
	}
	ts, err := s.DB.LeadTasks(r.Context(), id)
	if err != nil {
		return err
	}
	if hs == nil {
		hs = []tandem.Handoff{}
	}
	if ts == nil {
		ts = []tandem.Task{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"handoffs": hs, "tasks": ts})
}

func (s *Server) getInbox(w http.ResponseWriter, r *http.Request) error {
	tok := caller(r)
	var ns []sqldb.Notification
	if tok.UserID != 0 { // an integration's token has an empty inbox
		var err error
		ns, err = s.DB.Notifications(r.Context(), sqldb.NotificationFilter{UserID: tok.UserID, Channel: "inbox"})
		if err != nil {
			return err
		}
	}
	if ns == nil {
		ns = []sqldb.Notification{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"notifications": ns})
}

// getSLA answers the SLA report: both sides against the agreement for a
// period (?period=2026-11 or 2026-Q4, the current month when left out),
// sales grouped ?by=rep, team or source.
func (s *Server) getSLA(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	rep, err := report.SLA(r.Context(), s.DB, sqldb.SLAQuery{Period: q.Get("period"), By: q.Get("by")})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}

func (s *Server) getLeadCadence(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := s.DB.LeadFor(r.Context(), id, caller(r)); err != nil {
		return err
	}
	lines, err := s.DB.LeadCadence(r.Context(), id)
	if tandem.ErrorCode(err) == tandem.ENOTFOUND {
		lines = []string{} // never handed off: no cadence yet
	} else if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"lead_id": id, "steps": lines})
}
