package http

import (
	"net/http"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/calendar"
	"github.com/tandemhq/tandem/report"
)

// listCampaigns answers GET /api/v1/campaigns: the registered campaigns
// with their spend by month.
func (s *Server) listCampaigns(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.DB.Campaigns(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": cs})
}

// saveCampaign answers POST /api/v1/campaigns {"code", "name", "channel"}:
// 201 for a new campaign, 200 for one renamed.
func (s *Server) saveCampaign(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Code    string `json:"code"`
		Name    string `json:"name"`
		Channel string `json:"channel"`
	}
	if err := decodeStrict(r.Body, &req); err != nil {
		return err
	}
	c, created, err := s.DB.SaveCampaign(r.Context(), tandem.Campaign{Code: req.Code, Name: req.Name, Channel: req.Channel})
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return writeJSON(w, status, c)
}

// putSpend answers PUT /api/v1/campaigns/{code}/spend/{month}
// {"amount_cents": N}, replacing the month's spend.
func (s *Server) putSpend(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		AmountCents *int64 `json:"amount_cents"`
	}
	if err := decodeStrict(r.Body, &req); err != nil {
		return err
	}
	sp := tandem.CampaignSpend{Campaign: r.PathValue("code"), Month: r.PathValue("month")}
	if req.AmountCents != nil {
		sp.AmountCents = *req.AmountCents
	}
	if err := sp.Validate(); err != nil || req.AmountCents == nil {
		fields := tandem.ErrorFields(err)
		for i := range fields {
			if fields[i].Field == "amount" {
				fields[i].Field = "amount_cents" // the body's name for it
			}
		}
		if req.AmountCents == nil {
			fields = append(fields, tandem.FieldError{Field: "amount_cents", Message: "is required: the month's spend in minor units (cents), 0 or more"})
		}
		return tandem.Invalid(fields...)
	}
	out, err := s.DB.SetCampaignSpend(r.Context(), sp, actor(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// postMarketingTouch answers POST /api/v1/leads/{id}/marketing-touches
// {"campaign", "kind", "origin", "occurred_at"}.
func (s *Server) postMarketingTouch(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req struct {
		Campaign   string `json:"campaign"`
		Kind       string `json:"kind"`
		Origin     string `json:"origin"`
		OccurredAt string `json:"occurred_at"`
	}
	if err := decodeStrict(r.Body, &req); err != nil {
		return err
	}
	var at time.Time
	if req.OccurredAt != "" {
		loc, err := s.DB.Zone(r.Context())
		if err != nil {
			return err
		}
		if at, err = calendar.ParseTime(req.OccurredAt, loc); err != nil {
			return tandem.Invalid(tandem.FieldError{Field: "occurred_at", Message: err.Error()})
		}
	}
	t, err := s.DB.AddMarketingTouch(r.Context(), tandem.MarketingTouch{LeadID: id, Campaign: req.Campaign, Kind: req.Kind,
		Origin: req.Origin, OccurredAt: at}, actor(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, t)
}

// getCampaignReport answers GET /api/v1/campaigns/report?period=&model=.
func (s *Server) getCampaignReport(w http.ResponseWriter, r *http.Request) error {
	var period, model string
	err := eachParam(r, func(name, v string, bad func(string)) {
		switch name {
		case "period":
			period = v
		case "model":
			model = v
		default:
			bad("not a parameter of the campaign report (period, model)")
		}
	})
	if err != nil {
		return err
	}
	rep, err := report.Campaigns(r.Context(), s.DB, s.DB.Now(), period, model)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}
