package http

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/access"
	"github.com/tandemhq/tandem/sla"
	"github.com/tandemhq/tandem/sqldb"
)

// dealPageView is the deal page's data (/deals/{id}): the deal, its lead,
// account and product, its stages and the ledger events about it, the
// touches behind it, and the forms that move, win and lose it.
type dealPageView struct {
	Deal        sqldb.DealDetail
	Lead        string // the lead's name
	LeadCompany string
	Owner       string
	Probability *float64
	// WeightedCents is the open deal's weighted amount; nil when closed
	// or its stage has no probability.
	WeightedCents *int64
	InStage       string
	Stages        []stageEntryView
	Events        []eventView
	Touches       []eventView             // the sales touches logged on the lead
	Marketing     []tandem.MarketingTouch // the marketing touches its revenue is attributed to
	Moves         []string                // the open stages the deal may move to
	MayWork       bool
	Amount        string // the amount in major units, for the win form
	Zone          string
}

type stageEntryView struct {
	Stage string
	At    time.Time
}

// getDealPage answers GET /deals/{id}: the deal if the viewer may read it
// (the deals' read rule, as GET /api/v1/deals/{id}).
func (s *Server) getDealPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p, err := s.dealPage(r, id)
	if err != nil {
		return err
	}
	p.Notice = dealNotice(r.URL.Query())
	return s.render(w, http.StatusOK, "deal", p)
}

// dealPage assembles the deal page.
func (s *Server) dealPage(r *http.Request, id int64) (page, error) {
	ctx := r.Context()
	d, err := s.DB.DealFor(ctx, id, caller(r))
	if err != nil {
		return page{}, err
	}
	loc, err := s.DB.Zone(ctx)
	if err != nil {
		return page{}, err
	}
	now := s.DB.Now()
	v := dealPageView{Deal: d, Zone: loc.String(), Amount: majorUnits(d.AmountCents),
		MayWork: !d.Closed() && access.May(caller(r).Role, access.WorkLeads)}
	if l, err := s.DB.Lead(ctx, d.LeadID); err == nil {
		v.Lead, v.LeadCompany = leadName(l.FirstName, l.LastName, l.Email, l.ID), l.Company
	} else {
		return page{}, err
	}
	if d.OwnerID != 0 {
		if u, err := s.DB.UserByID(ctx, d.OwnerID); err == nil {
			v.Owner = u.Label()
		}
	}
	a, _, err := s.DB.AgreementAt(ctx, now)
	if err != nil {
		return page{}, err
	}
	st := sla.NewDealStages(a)
	for _, ps := range a.Pipeline.Stages {
		if ps.Name == d.PipelineStage {
			v.Probability = ps.Probability
		} else if !d.Closed() {
			v.Moves = append(v.Moves, ps.Name)
		}
	}
	if !d.Closed() {
		if w, ok := st.Weighted(d.PipelineStage, d.AmountCents); ok {
			v.WeightedCents = &w
		}
		v.InStage = span(now.Sub(d.StageChangedAt))
	}
	entries, err := s.DB.DealStageEntries(ctx, id)
	if err != nil {
		return page{}, err
	}
	for _, e := range entries {
		v.Stages = append(v.Stages, stageEntryView{e.Stage, e.EnteredAt})
	}
	events, err := s.DB.LeadEvents(ctx, d.LeadID)
	if err != nil {
		return page{}, err
	}
	deal := strconv.FormatInt(id, 10)
	for i := len(events) - 1; i >= 0; i-- { // newest first
		e := events[i]
		ev := eventView{ISO: e.OccurredAt.UTC().Format(time.RFC3339), Text: timeText(e.OccurredAt, loc),
			Type: e.Type, Actor: e.Actor, Changes: e.Changes, Reason: e.Reason}
		for k, val := range e.Detail {
			ev.Detail = append(ev.Detail, fieldView{k, val})
		}
		slices.SortFunc(ev.Detail, func(a, b fieldView) int { return strings.Compare(a.Name, b.Name) })
		switch {
		case e.Detail["deal"] == deal:
			v.Events = append(v.Events, ev)
		case e.Type == tandem.EventTouched:
			v.Touches = append(v.Touches, ev)
		}
	}
	if v.Marketing, err = s.DB.MarketingTouches(ctx, d.LeadID); err != nil {
		return page{}, err
	}
	p := newPage(r, "Deal "+deal+" · "+v.Lead)
	p.Data = v
	return p, nil
}

// majorUnits writes cents as the win form takes them: 12500.50.
func majorUnits(cents int64) string {
	return strconv.FormatInt(cents/100, 10) + "." + strconv.FormatInt(100+cents%100, 10)[1:]
}
