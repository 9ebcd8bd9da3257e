package http

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/access"
	"github.com/tandemhq/tandem/attribution"
	"github.com/tandemhq/tandem/report"
)

// campaignsView is what the campaigns page shows: the period's campaign
// report under one model with its chart, the quality sales gave each
// campaign's leads, the lead-review list, and the registered campaigns
// with their spend, editable by those who may send leads.
type campaignsView struct {
	Picker    picker
	Model     attribution.Model
	Models    []attribution.Model
	Page      report.CampaignPage
	Lines     []campaignLine
	Total     campaignLine
	Chart     chartData
	Campaigns []tandem.Campaign // registered, with spend by month
	CanEdit   bool
	// Save and Spend refill the forms after a mistake, with the messages
	// by field.
	Save  campaignForm
	Spend spendForm
}

// campaignLine is a line of the report with the links of its counts.
type campaignLine struct {
	attribution.Line
	Revenue   int64 // under the page's model
	LeadsLink string
	WonLink   string // only on the total: the deal list has no campaign filter
}

type campaignForm struct {
	Code, Name, Channel string
	Errors              map[string]string
}

type spendForm struct {
	Campaign, Month, Amount string
	Errors                  map[string]string
}

// campaignsPage answers GET /campaigns?period=&model=.
func (s *Server) campaignsPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderCampaigns(w, r, http.StatusOK, campaignsView{}, "", "", false)
}

// renderChanged answers a change with the page, its campaign report
// computed afresh (and kept), so that the change shows at once.
func (s *Server) renderChanged(w http.ResponseWriter, r *http.Request, notice string) error {
	return s.renderCampaigns(w, r, http.StatusOK, campaignsView{}, notice, "", true)
}

// renderCampaigns renders the campaigns page for the request's period and
// model, with the forms v carries (refilled after a mistake), from the kept
// campaign report unless fresh.
func (s *Server) renderCampaigns(w http.ResponseWriter, r *http.Request, status int, v campaignsView, notice, errMsg string, fresh bool) error {
	ctx := r.Context()
	// The forms post to their path with the page's period and model in the
	// query, so that the page they answer shows the same.
	per, pk, _, err := s.pickPeriod(ctx, r, thisMonth)
	if err != nil {
		return err
	}
	pk.Action = "/campaigns"
	pg, err := report.ReadCampaignPage(ctx, s.DB, s.DB.Now(), per.Name, r.URL.Query().Get("model"), fresh)
	if err != nil {
		return err
	}
	if v.Campaigns, err = s.DB.Campaigns(ctx); err != nil {
		return err
	}
	v.Picker, v.Page, v.Model, v.Models = pk, pg, pg.Report.Model, attribution.Models
	v.CanEdit = access.May(viewer(r).Role, access.SendLeads)
	if v.Spend.Month == "" && per.Months == 1 {
		v.Spend.Month = per.Name // the month shown is the one to enter
	}
	rep := pg.Report
	for _, l := range rep.Campaigns {
		cl := campaignLine{Line: l, Revenue: l.RevenueCents[rep.Model]}
		if l.Campaign != attribution.None {
			cl.LeadsLink = leadsLink(url.Values{"campaign": {l.Campaign}}, rep.From, rep.To)
		}
		v.Lines = append(v.Lines, cl)
	}
	v.Total = campaignLine{Line: rep.Total, Revenue: rep.Total.RevenueCents[rep.Model],
		LeadsLink: leadsLink(url.Values{}, rep.From, rep.To), WonLink: wonDealsLink(rep.From, rep.To)}
	v.Chart = campaignChart(rep)
	p := newPage(r, "Campaigns")
	p.Data, p.Notice, p.Error = v, notice, errMsg
	return s.render(w, status, "campaigns", p)
}

// postCampaign answers POST /campaigns (code, name, channel): registers
// a campaign or renames it, as POST /api/v1/campaigns.
func (s *Server) postCampaign(w http.ResponseWriter, r *http.Request) error {
	f := campaignForm{Code: strings.TrimSpace(r.PostFormValue("code")), Name: strings.TrimSpace(r.PostFormValue("name")),
		Channel: strings.TrimSpace(r.PostFormValue("channel"))}
	c, created, err := s.DB.SaveCampaign(r.Context(), tandem.Campaign{Code: f.Code, Name: f.Name, Channel: f.Channel})
	if err != nil {
		if !isFormError(err) {
			return err
		}
		var top string
		f.Errors, top = formErrors(err, "code", "name", "channel")
		return s.renderCampaigns(w, r, http.StatusUnprocessableEntity, campaignsView{Save: f}, "", top, false)
	}
	notice := "campaign " + c.Code + " renamed."
	if created {
		notice = "campaign " + c.Code + " registered; enter its spend by month below."
	}
	return s.renderChanged(w, r, notice)
}

// postSpend answers POST /campaigns/spend (campaign, month, amount in the
// currency's major unit, 12000.50): sets the month's spend, as PUT
// /api/v1/campaigns/{code}/spend/{month}.
func (s *Server) postSpend(w http.ResponseWriter, r *http.Request) error {
	f := spendForm{Campaign: strings.TrimSpace(r.PostFormValue("campaign")), Month: strings.TrimSpace(r.PostFormValue("month")),
		Amount: strings.TrimSpace(r.PostFormValue("amount"))}
	fail := func(err error) error {
		if !isFormError(err) {
			return err
		}
		var top string
		f.Errors, top = formErrors(err, "campaign", "month", "amount")
		return s.renderCampaigns(w, r, http.StatusUnprocessableEntity, campaignsView{Spend: f}, "", top, false)
	}
	sp := tandem.CampaignSpend{Campaign: f.Campaign, Month: f.Month}
	var fields []tandem.FieldError
	if f.Amount == "" {
		fields = append(fields, tandem.FieldError{Field: "amount", Message: "is required: the month's spend, such as 12000.50"})
	} else if n, err := tandem.ParseAmount(f.Amount); err != nil {
		fields = append(fields, tandem.FieldError{Field: "amount", Message: err.Error()})
	} else {
		sp.AmountCents = n
	}
	if err := sp.Validate(); err != nil {
		for _, fe := range tandem.ErrorFields(err) {
			if fe.Field != "amount" || len(fields) == 0 {
				fields = append(fields, fe)
			}
		}
	}
	if len(fields) > 0 {
		return fail(tandem.Invalid(fields...))
	}
	out, err := s.DB.SetCampaignSpend(r.Context(), sp, actor(r))
	if err != nil {
		if tandem.ErrorCode(err) == tandem.ENOTFOUND {
			err = tandem.Invalid(tandem.FieldError{Field: "campaign", Message: "campaign " + f.Campaign + " is not registered: register it above first"})
		}
		return fail(err)
	}
	return s.renderChanged(w, r, "spend of "+out.Campaign+" for "+out.Month+" set to "+tandem.FormatAmount(out.AmountCents)+".")
}

// campaignChart sets each campaign's spend beside its revenue under the
// report's model, in the currency's major unit, in the report's order.
func campaignChart(rep attribution.Report) chartData {
	c := chartData{ID: "campaigns", Kind: "bar", Title: "Spend and revenue (" + strings.ReplaceAll(string(rep.Model), "_", "-") + ") by campaign"}
	spend := chartSeries{Name: "Spend"}
	revenue := chartSeries{Name: "Revenue"}
	for _, l := range rep.Campaigns {
		c.Labels = append(c.Labels, l.Campaign)
		sp, rv := float64(l.SpendCents)/100, float64(l.RevenueCents[rep.Model])/100
		spend.Values = append(spend.Values, &sp)
		revenue.Values = append(revenue.Values, &rv)
	}
	c.Series = []chartSeries{spend, revenue}
	return c
}

// leadsLink is the list of leads matching the filter, created in [from,
// to): the parameters of GET /api/v1/leads (leadFilter), which the /leads
// page reads too.
func leadsLink(filter url.Values, from, to time.Time) string {
	q := url.Values{}
	for k, vs := range filter {
		q[k] = vs
	}
	if !from.IsZero() {
		q.Set("created_from", from.UTC().Format(time.RFC3339))
	}
	if !to.IsZero() {
		q.Set("created_to", to.UTC().Format(time.RFC3339))
	}
	return "/leads?" + q.Encode()
}

// wonDealsLink is the list of deals won in [from, to): see [dealsLink].
func wonDealsLink(from, to time.Time) string { return dealsLink("won", from, to) }

// dealsLink is the list of deals closed in [from, to) at stage (won or
// lost): the parameters of GET /api/v1/deals (dealFilter), which the
// /deals page reads too.
func dealsLink(stage string, from, to time.Time) string {
	q := url.Values{"stage": {stage}, "closed_from": {from.UTC().Format(time.RFC3339)}, "closed_to": {to.UTC().Format(time.RFC3339)}}
	return "/deals?" + q.Encode()
}
