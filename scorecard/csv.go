package scorecard

import (
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/tandemhq/tandem/csvout"
)

// WriteCSV writes the scorecard as one long table for spreadsheets and
// scripts: a header row (section,owner,name,key,target,actual,deviation,
// samples,note), then a row per number, section by section in the order
// listed here. The columns:
//
//   - section: kpi, action_items, revenue, commitment, segment, funnel,
//     source, campaign, rejection, rating, content, agenda or alert.
//   - owner: marketing, sales or both; empty for the funnel by source.
//   - name: what is measured: the KPI's name, the commitment's name
//     (qualified_leads, ...), the segment, the stage, the source, the
//     campaign ("(none)" for no campaign), the reason code, the agenda
//     item's topic or the alert's cause. For revenue it is "revenue".
//   - key: which figure of it: the unit for the KPI and the commitments
//     (count, money, share, rating); won, marketing_won, won_deals or
//     lost_deals for revenue; entered or conversion for a stage, and
//     entered:STAGE or conversion:STAGE for a source; spend, leads, mqls,
//     customers, revenue or roi for a campaign; uses, leads, connect_rate,
//     reply_rate, accept_rate, sql_rate, customer_rate, revenue, clicks,
//     useful or not_useful for a content item (named by its code); count for a reason and a
//     segment; average for a rating; done, overdue, or an item's state
//     for the previous meeting's action items (docs/meeting.md); the rank (1 first) on the agenda; the
//     figure's name for an alert.
//   - target and actual: plain decimals with a dot and no thousands
//     separator; shares are between 0 and 1 and money is in the currency's
//     major unit. A stage's entered row has the planned count as target, its
//     conversion row the plan's rate; an alert row the figure's expected and
//     actual values. Empty when there is nothing to give (no target, a ROI
//     without spend, marketing-sourced revenue the store cannot tell).
//   - deviation: (actual − target) ÷ target, -0.22 being 22% short;
//     empty when there is no target or the commitment is not judged. On the
//     agenda it is the item's deviation; for an alert its drift, measured
//     on the run-rate projection when there is one.
//   - samples: what actual was measured on: hand-offs, decisions, reviews,
//     due steps, the leads that entered a stage, all the period's
//     rejections for a reason.
//   - note: words: met, short or not judged for a commitment and a
//     segment; the attribution model for a campaign's revenue; the
//     description of a reason; the text of an agenda item; the summary of an
//     alert. The KPI row's note says how to read the whole scorecard:
//     "no agreement in force: described, not judged" for a period with no
//     agreement in force, "running: day 5 of 31" for a running one.
//
// A stage's conversion is the period's: the leads that went on from the
// stage to the next in the period ÷ the leads that entered it in the
// period (see [Stage]).
//
// Text cells that start with =, +, -, @, a tab or a carriage return (a
// campaign code, say) get a single quote before them, so that a
// spreadsheet does not run them as formulas; figures stay numbers (see
// package csvout).
//
// The rows come in a fixed order, so two exports of the same scorecard are
// byte-identical.
func (sc Scorecard) WriteCSV(w io.Writer) error {
	cw := csvout.NewWriter(w)
	if err := cw.WriteText("section", "owner", "name", "key", "target", "actual", "deviation", "samples", "note"); err != nil {
		return fmt.Errorf("write the scorecard of %s as CSV: %w", sc.Period, err)
	}
	for _, r := range sc.csvRows() {
		if err := cw.Write(r.record()...); err != nil {
			return fmt.Errorf("write the scorecard of %s as CSV: %w", sc.Period, err)
		}
	}
	if err := cw.Flush(); err != nil {
		return fmt.Errorf("write the scorecard of %s as CSV: %w", sc.Period, err)
	}
	return nil
}

// csvRow is one row of the CSV; nil numbers are written as empty cells.
type csvRow struct {
	section, owner, name, key string
	target, actual, deviation *float64
	samples                   *int
	note                      string
}

// record is the row's cells: its words as text, which a name or a note
// starting with = cannot turn into a formula, and its figures as numbers.
func (r csvRow) record() []csvout.Cell {
	samples := ""
	if r.samples != nil {
		samples = strconv.Itoa(*r.samples)
	}
	return []csvout.Cell{csvout.Text(r.section), csvout.Text(r.owner), csvout.Text(r.name), csvout.Text(r.key),
		csvout.Number(decimal(r.target)), csvout.Number(decimal(r.actual)), csvout.Number(decimal(r.deviation)),
		csvout.Number(samples), csvout.Text(r.note)}
}

// decimal writes a number for machines: the shortest plain decimal that
// reads back as the same float64, never an exponent, a NaN or "-0".
func decimal(x *float64) string {
	if x == nil || math.IsNaN(*x) || math.IsInf(*x, 0) {
		return ""
	}
	if *x == 0 {
		return "0"
	}
	return strconv.FormatFloat(*x, 'f', -1, 64)
}

// num and whole make the optional cells of a row.
func num(x float64) *float64 { return &x }
func whole(n int) *int       { return &n }

// deviation is (actual − target) ÷ target, nil without a target.
func deviation(actual, target float64) *float64 {
	if target == 0 {
		return nil
	}
	return num(round4((actual - target) / target))
}

func (sc Scorecard) csvRows() []csvRow {
	rows := sc.kpiRows()
	rows = append(rows, sc.actionItemRows()...)
	rows = append(rows, sc.revenueRows()...)
	rows = append(rows, sc.commitmentRows()...)
	rows = append(rows, sc.funnelRows()...)
	rows = append(rows, sc.campaignRows()...)
	rows = append(rows, sc.rejectionRows()...)
	rows = append(rows, sc.ratingRows()...)
	rows = append(rows, sc.contentRows()...)
	rows = append(rows, sc.agendaRows()...)
	rows = append(rows, sc.alertRows()...)
	return rows
}

func (sc Scorecard) kpiRows() []csvRow {
	k := sc.KPI
	note := ""
	switch sc.Status {
	case StatusNoAgreement:
		note = "no agreement in force: described, not judged"
	case StatusRunning:
		note = fmt.Sprintf("running: day %d of %d", sc.DaysElapsed, sc.DaysTotal)
	}
	return []csvRow{{section: "kpi", owner: Both, name: string(k.Name), key: k.Unit,
		target: num(k.Target), actual: num(k.Actual), deviation: deviation(k.Actual, k.Target), note: note}}
}

func (sc Scorecard) revenueRows() []csvRow {
	r := sc.Revenue
	mw := csvRow{section: "revenue", owner: Marketing, name: "revenue", key: "marketing_won", target: num(r.MarketingGoal),
		note: "the store cannot tell the revenue of marketing-sourced leads"}
	if r.MarketingWon != nil {
		mw.actual, mw.deviation, mw.note = num(*r.MarketingWon), deviation(*r.MarketingWon, r.MarketingGoal), ""
	}
	return []csvRow{
		{section: "revenue", owner: Both, name: "revenue", key: "won", target: num(r.Goal), actual: num(r.Won), deviation: deviation(r.Won, r.Goal)},
		mw,
		{section: "revenue", owner: Both, name: "revenue", key: "won_deals", actual: num(float64(r.WonDeals))},
		{section: "revenue", owner: Both, name: "revenue", key: "lost_deals", actual: num(float64(r.LostDeals))},
	}
}

func (sc Scorecard) commitmentRows() []csvRow {
	var rows []csvRow
	for _, c := range sc.Commitments {
		r := csvRow{section: "commitment", owner: c.Owner, name: c.Name, key: c.Unit, target: num(c.Target), actual: num(c.Actual),
			samples: whole(c.Samples), note: statusOf(c.Met, c.Judged).Word}
		if c.Judged {
			r.deviation = num(c.Deviation)
		}
		rows = append(rows, r)
	}
	for _, s := range sc.Segments {
		rows = append(rows, csvRow{section: "segment", owner: Marketing, name: s.Segment, key: "count", target: num(float64(s.Commitment)),
			actual: num(float64(s.Count)), deviation: deviation(float64(s.Count), float64(s.Commitment)), samples: whole(s.Count),
			note: statusOf(s.Met, s.Commitment > 0).Word})
	}
	return rows
}

// funnelRows writes each stage's entries and, but for the last stage, its
// conversion to the next; then the same for each source. A source's entries
// have no target: the plan is for all leads, not for one source.
func (sc Scorecard) funnelRows() []csvRow {
	var rows []csvRow
	for i, s := range sc.Funnel {
		owner := stageOwner(sc, s.Stage)
		rows = append(rows, csvRow{section: "funnel", owner: owner, name: s.Stage, key: "entered", target: num(float64(s.Planned)),
			actual: num(float64(s.Entered)), deviation: deviation(float64(s.Entered), float64(s.Planned))})
		if i+1 < len(sc.Funnel) {
			rows = append(rows, conversionRow("funnel", owner, s.Stage, "conversion", s))
		}
	}
	for _, src := range sc.BySource {
		for i, s := range src.Stages {
			rows = append(rows, csvRow{section: "source", name: src.Source, key: "entered:" + s.Stage, actual: num(float64(s.Entered))})
			if i+1 < len(src.Stages) {
				rows = append(rows, conversionRow("source", "", src.Source, "conversion:"+s.Stage, s))
			}
		}
	}
	return rows
}

func conversionRow(section, owner, name, key string, s Stage) csvRow {
	r := csvRow{section: section, owner: owner, name: name, key: key, actual: num(s.Conversion), samples: whole(s.Entered)}
	if s.PlannedRate > 0 {
		r.target, r.deviation = num(s.PlannedRate), deviation(s.Conversion, s.PlannedRate)
	}
	return r
}

// campaignRows writes each campaign's figures; a ROI without spend is
// empty.
func (sc Scorecard) campaignRows() []csvRow {
	var rows []csvRow
	for _, c := range sc.Campaigns {
		name := orNone(c.Campaign, "(none)")
		row := func(key string, x *float64, note string) csvRow {
			return csvRow{section: "campaign", owner: Marketing, name: name, key: key, actual: x, note: note}
		}
		roi := row("roi", c.ROI, "")
		if c.ROI == nil {
			roi.note = "no spend"
		}
		rows = append(rows, row("spend", num(c.Spend), ""), row("leads", num(float64(c.Leads)), ""), row("mqls", num(float64(c.MQLs)), ""),
			row("customers", num(float64(c.Customers)), ""), row("revenue", num(c.Revenue), c.Model), roi)
	}
	return rows
}

// contentRows writes each content item's figures (docs/content.md).
func (sc Scorecard) contentRows() []csvRow {
	var rows []csvRow
	for _, c := range sc.Content.Lines {
		row := func(key string, x float64, note string) csvRow {
			return csvRow{section: "content", owner: Marketing, name: c.Code, key: key, actual: num(x), note: note}
		}
		rows = append(rows, row("uses", float64(c.Uses), ""), row("leads", float64(c.Leads), ""),
			row("connect_rate", c.ConnectRate, ""), row("reply_rate", c.ReplyRate, ""), row("accept_rate", c.AcceptRate, ""),
			row("sql_rate", c.SQLRate, ""), row("customer_rate", c.CustomerRate, ""), row("revenue", c.Revenue, sc.Content.Model),
			row("clicks", float64(c.Clicks), ""), row("useful", float64(c.Useful), ""), row("not_useful", float64(c.NotUseful), ""))
	}
	return rows
}

// rejectionRows writes how often each reason was given; samples is all
// the period's rejections, so that actual ÷ samples is the reason's share.
func (sc Scorecard) rejectionRows() []csvRow {
	var rows []csvRow
	total := 0
	for _, r := range sc.Rejections {
		total += r.Count
	}
	for _, r := range sc.Rejections {
		rows = append(rows, csvRow{section: "rejection", owner: Marketing, name: r.Code, key: "count", actual: num(float64(r.Count)),
			samples: whole(total), note: r.Description})
	}
	return rows
}

func (sc Scorecard) ratingRows() []csvRow {
	var rows []csvRow
	for _, r := range sc.Ratings {
		rows = append(rows, csvRow{section: "rating", owner: Marketing, name: orNone(r.Campaign, "(none)"), key: "average",
			actual: num(r.Average), samples: whole(r.Ratings)})
	}
	return rows
}

func (sc Scorecard) agendaRows() []csvRow {
	var rows []csvRow
	for i, it := range sc.Agenda {
		rows = append(rows, csvRow{section: "agenda", owner: it.Owner, name: it.Topic, key: strconv.Itoa(i + 1),
			deviation: num(it.Deviation), note: it.Text})
	}
	return rows
}

func (sc Scorecard) alertRows() []csvRow {
	var rows []csvRow
	for _, al := range sc.Alerts {
		base := csvRow{section: "alert", owner: Both, name: string(al.Cause), note: al.Summary}
		if len(al.Figures) == 0 {
			rows = append(rows, base)
		}
		for _, f := range al.Figures {
			r := base
			r.key, r.target, r.actual, r.deviation = f.Name, num(f.Expected), num(f.Actual), num(f.Drift)
			if f.Samples > 0 {
				r.samples = whole(f.Samples)
			}
			rows = append(rows, r)
		}
	}
	return rows
}

// actionItemRows are the previous period's action items: a row
// "done" with the done items as actual and all of them as samples, a row
// "overdue" the same, then a row per item (name its id, key its state at
// the scorecard's as-of time: done, overdue or open; note what it is, its
// owner's email and its due date).
func (sc Scorecard) actionItemRows() []csvRow {
	c := sc.ActionItems
	if c == nil {
		return nil
	}
	rows := []csvRow{
		{section: "action_items", owner: Both, name: c.Period, key: "done", actual: num(float64(c.Done)), samples: whole(c.Total), note: c.Text},
		{section: "action_items", owner: Both, name: c.Period, key: "overdue", actual: num(float64(c.Overdue)), samples: whole(c.Total)},
	}
	for _, it := range c.Items {
		state := "open"
		switch {
		case it.DoneThen:
			state = "done"
		case it.Overdue:
			state = "overdue"
		}
		rows = append(rows, csvRow{section: "action_items", owner: Both, name: strconv.FormatInt(it.ID, 10), key: state,
			note: it.What + " (" + it.Owner + ", due " + it.DueOn + ")"})
	}
	return rows
}
