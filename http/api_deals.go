package http

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/calendar"
)

// dealJSON is a deal as the API answers it: with whether it closed before
// its first contact, which imported data can say (docs/deals.md).
type dealJSON struct {
	tandem.Deal
	ClosedBeforeEngaged bool `json:"closed_before_engaged,omitempty"`
	// StageEntries says when the deal entered each stage, for its time in
	// stage; only GET /api/v1/deals/{id} gives them.
	StageEntries []tandem.DealStageEntry `json:"stage_entries,omitempty"`
}

func toDealJSON(d tandem.Deal) dealJSON {
	return dealJSON{Deal: d, ClosedBeforeEngaged: d.ClosedBeforeEngaged()}
}

type dealList struct {
	Items      []dealJSON `json:"items"`
	Total      int        `json:"total"`
	NextCursor string     `json:"next_cursor,omitempty"`
}

// listDeals answers GET /api/v1/deals?stage=&lead_id=&closed_from=&closed_to=&limit=&cursor=.
func (s *Server) listDeals(w http.ResponseWriter, r *http.Request) error {
	loc, err := s.DB.Zone(r.Context())
	if err != nil {
		return err
	}
	f, err := dealFilter(r, loc)
	if err != nil {
		return err
	}
	page, err := s.DB.DealsFor(r.Context(), f, caller(r))
	if err != nil {
		return err
	}
	out := dealList{Items: make([]dealJSON, len(page.Deals)), Total: page.Total}
	for i, d := range page.Deals {
		out.Items[i] = toDealJSON(d)
	}
	if page.Next != 0 {
		out.NextCursor = encodeCursor("deal", page.Next)
	}
	return writeJSON(w, http.StatusOK, out)
}

// dealFilter reads the filters of a list of deals; a date or a time
// without an offset is read in loc, the agreement's zone.
func dealFilter(r *http.Request, loc *time.Location) (tandem.DealFilter, error) {
	var f tandem.DealFilter
	err := eachParam(r, func(name, v string, bad func(string)) {
		switch name {
		case "stage":
			f.Stage = v
		case "lead_id":
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil || id < 1 {
				bad(fmt.Sprintf("%q is not a lead id", v))
			}
			f.LeadID = id
		case "closed_from", "closed_to":
			t, err := calendar.ParseTime(v, loc)
			if err != nil {
				bad(err.Error())
			} else if name == "closed_from" {
				f.ClosedFrom = t
			} else {
				f.ClosedTo = t
			}
		case "limit":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 1000 {
				bad("must be a whole number between 1 and 1000")
			}
			f.Limit = n
		case "cursor":
			id, ok := decodeCursor("deal", v)
			if !ok {
				bad("not a cursor this API gave out")
			}
			f.After = id
		default:
			bad("not a parameter of the deal list (stage, lead_id, closed_from, closed_to, limit, cursor)")
		}
	})
	if err != nil {
		return f, err
	}
	return f, f.Validate()
}

func (s *Server) getDeal(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	d, err := s.DB.DealFor(r.Context(), id, caller(r))
	if err != nil {
		return err
	}
	out := toDealJSON(d.Deal)
	if out.StageEntries, err = s.DB.DealStageEntries(r.Context(), id); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// moveDealStage answers POST /api/v1/deals/{id}/stage {"stage": NAME}: the
// open deal moves to another open stage of the agreement's pipeline.
func (s *Server) moveDealStage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req struct {
		Stage string `json:"stage"`
	}
	if err := decodeStrict(r.Body, &req); err != nil {
		return err
	}
	if req.Stage == "" {
		return tandem.Invalid(tandem.FieldError{Field: "stage", Message: "is required: an open stage of the agreement's pipeline, like proposal"})
	}
	d, err := s.DB.MoveDealStageAs(r.Context(), id, req.Stage, caller(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toDealJSON(d))
}

// winDeal answers POST /api/v1/deals/{id}/won {"amount_cents": N, "closed_at": T}.
func (s *Server) winDeal(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req struct {
		AmountCents *int64 `json:"amount_cents"`
		ClosedAt    string `json:"closed_at"`
	}
	if err := decodeStrict(r.Body, &req); err != nil {
		return err
	}
	var errs []tandem.FieldError
	if req.AmountCents == nil {
		errs = append(errs, tandem.FieldError{Field: "amount_cents", Message: "is required: the deal's value in minor units (cents), 0 or more"})
	}
	var closedAt time.Time
	if req.ClosedAt != "" {
		loc, err := s.DB.Zone(r.Context())
		if err != nil {
			return err
		}
		if closedAt, err = calendar.ParseTime(req.ClosedAt, loc); err != nil {
			errs = append(errs, tandem.FieldError{Field: "closed_at", Message: err.Error()})
		}
	}
	if len(errs) > 0 {
		return tandem.Invalid(errs...)
	}
	d, err := s.DB.WinDealAs(r.Context(), id, *req.AmountCents, closedAt, caller(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toDealJSON(d))
}

// loseDeal answers POST /api/v1/deals/{id}/lost {"reason": CODE}.
func (s *Server) loseDeal(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req struct {
		Reason string `json:"reason"`
	}
	if err := decodeStrict(r.Body, &req); err != nil {
		return err
	}
	d, err := s.DB.LoseDealAs(r.Context(), id, req.Reason, caller(r))
	if fields := tandem.ErrorFields(err); len(fields) > 0 {
		// The body calls the deal's lost_reason "reason".
		out := slices.Clone(fields)
		for i := range out {
			if out[i].Field == "lost_reason" {
				out[i].Field = "reason"
			}
		}
		return tandem.Invalid(out...)
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toDealJSON(d))
}
