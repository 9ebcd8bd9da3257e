package worker

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"log/slog"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/figure"
	"github.com/tandemhq/tandem/metrics"
	"github.com/tandemhq/tandem/notify"
	"github.com/tandemhq/tandem/pace"
	"github.com/tandemhq/tandem/report"
	"github.com/tandemhq/tandem/schedule"
	"github.com/tandemhq/tandem/sqldb"
)

// SchedulePoll is how often [Schedules.Run] looks for a schedule fallen
// due: a report goes out at most this late.
const SchedulePoll = time.Minute

// Schedules sends the scheduled reports (docs/integrations.md, "Scheduled
// scorecard"). Each round it records, for every schedule in force, the
// latest occurrence due (package schedule) unless it is recorded already,
// then claims the sends not yet done and sends each by email. Replicas may
// run it side by side: an occurrence is recorded once (a unique row per
// schedule and occurrence) and claimed with a lease, so it is sent once;
// only a sender that dies between sending and recording sends it again
// when the lease ends (the copies share their Message-ID). A round at
// start-up sends what fell due while no server ran.
type Schedules struct {
	DB    *sqldb.DB
	Clock tandem.Clock
	Name  string
	// Sender sends the emails; nil leaves the sends waiting for a
	// process that has one (tandem serve --smtp).
	Sender notify.ReportSender
	// Installation is the database's installation id, which the emails'
	// Message-IDs carry ([sqldb.DB.Installation]).
	Installation string
	Poll         time.Duration // longest sleep between rounds; SchedulePoll when zero
	Lease        time.Duration // how long a claim holds; 5 min when zero
	Logger       *slog.Logger
	Metrics      *metrics.Metrics
}

// RunOnce records the occurrences due now and sends the sends waiting,
// and returns how many it sent.
func (s *Schedules) RunOnce(ctx context.Context) (int, error) {
	now := s.Clock.Now()
	ss, err := s.DB.Schedules(ctx)
	if err != nil || len(ss) == 0 {
		return 0, err
	}
	a, _, err := report.Agreement(ctx, s.DB, now)
	if err != nil {
		return 0, err
	}
	cal, err := a.BusinessHours.Calendar()
	if err != nil {
		return 0, err
	}
	for _, sc := range ss {
		o, err := schedule.Latest(sc.Kind, cal, now)
		if err != nil {
			return 0, err
		}
		// A schedule sends what falls due from its creation on, not the
		// occurrence just before it.
		if o.Due.Before(sc.CreatedAt) {
			continue
		}
		if opened, err := s.DB.OpenSend(ctx, sc.ID, o); err != nil {
			return 0, err
		} else if opened {
			s.logger().Info("scheduled report due", "schedule", sc.ID, "kind", sc.Kind, "occurrence", o.Key, "due", o.Due)
		}
	}
	if s.Sender == nil {
		return 0, nil
	}
	lease := s.Lease
	if lease <= 0 {
		lease = 5 * time.Minute
	}
	sends, err := s.DB.ClaimSends(ctx, s.Name, 10, lease)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, send := range sends {
		n, err := s.send(ctx, send)
		if err != nil {
			if ctx.Err() != nil {
				return sent, nil
			}
			s.logger().Warn("scheduled report failed", "schedule", send.Schedule.ID, "occurrence", send.Occurrence,
				"attempt", send.Attempts+1, "err", err)
			if err := s.DB.SendFailed(ctx, send.ID, err); err != nil {
				return sent, err
			}
			continue
		}
		if err := s.DB.SendDone(ctx, send.ID, n); err != nil {
			return sent, err
		}
		s.Metrics.ScheduledSent(send.Schedule.Kind)
		s.logger().Info("scheduled report sent", "schedule", send.Schedule.ID, "kind", send.Schedule.Kind,
			"occurrence", send.Occurrence, "recipients", n)
		sent++
	}
	return sent, nil
}

// send renders and sends one send and returns to how many it went.
func (s *Schedules) send(ctx context.Context, send sqldb.ScheduleSend) (int, error) {
	to, err := s.DB.Recipients(ctx, send.Schedule)
	if err != nil {
		return 0, err
	}
	if len(to) == 0 {
		s.logger().Warn("scheduled report has nobody to go to", "schedule", send.Schedule.ID, "roles", send.Schedule.Roles)
		return 0, nil
	}
	r, err := Render(ctx, s.DB, s.Clock.Now(), send)
	if err != nil {
		return 0, err
	}
	r.To, r.Installation = to, s.Installation
	return len(to), s.Sender.SendReport(ctx, r)
}

// Run sends the scheduled reports until ctx is cancelled: a round at once
// (the sends missed while down), then one every Poll.
func (s *Schedules) Run(ctx context.Context) error {
	poll := s.Poll
	if poll <= 0 {
		poll = SchedulePoll
	}
	for {
		if _, err := s.RunOnce(ctx); err != nil && ctx.Err() == nil {
			s.logger().Error("scheduled reports", "worker", s.Name, "err", err)
		}
		if !wait(ctx, poll) {
			return nil
		}
	}
}

func (s *Schedules) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// Render makes the email of a send: for the scorecard, its print view
// (the page /scorecard/print serves, self-contained: inline style, SVG
// charts, no script) as the HTML body and attached as a file; for the
// pacing digest, a table of the month's stages against the plan.
func Render(ctx context.Context, db *sqldb.DB, now time.Time, send sqldb.ScheduleSend) (notify.Report, error) {
	r := notify.Report{Ref: send.ID}
	switch send.Schedule.Kind {
	case schedule.Scorecard:
		sc, err := report.Scorecard(ctx, db, now, send.Period)
		if err != nil {
			return r, fmt.Errorf("scorecard %s: %w", send.Period, err)
		}
		var page bytes.Buffer
		if err := sc.WriteHTML(&page); err != nil {
			return r, fmt.Errorf("scorecard %s: %w", send.Period, err)
		}
		r.Subject = "Scorecard " + sc.Period
		r.Text = fmt.Sprintf("The scorecard of %s (%s) is attached as scorecard-%s.html: open it in a browser, or print it.\n"+
			"It is the page Tandem shows at /scorecard/print?period=%s.\n", sc.Period, sc.Status, sc.Period, sc.Period)
		r.HTML = page.String()
		r.Attachments = []notify.Attachment{{Name: "scorecard-" + sc.Period + ".html", ContentType: "text/html; charset=utf-8", Data: page.Bytes()}}
	case schedule.Pacing:
		p, err := report.KeptPace(ctx, db, now, send.Period)
		if err != nil {
			return r, fmt.Errorf("pacing %s: %w", send.Period, err)
		}
		_, week, _ := strings.Cut(send.Occurrence, "-W")
		r.Subject = fmt.Sprintf("Pacing %s, week %s", p.Period.Name, week)
		r.Text, r.HTML, err = pacingDigest(p)
		if err != nil {
			return r, err
		}
	default:
		return r, fmt.Errorf("send %d: %q is not a kind of schedule", send.ID, send.Schedule.Kind)
	}
	return r, nil
}

// pacingRow is one stage of the digest.
type pacingRow struct {
	Stage, Planned, Actual, Expected, Projected, Verdict string
}

var digestHTML = template.Must(template.New("digest").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Pacing {{.Period}}</title></head>
<body style="font-family: sans-serif">
<h1 style="font-size: 1.3em">Pacing {{.Period}}, day {{.Elapsed}} of {{.Total}}</h1>
<p>{{.Headline}}</p>
<table style="border-collapse: collapse" cellpadding="4">
<tr><th align="left">Stage</th><th align="right">Planned</th><th align="right">Actual</th><th align="right">Expected by now</th><th align="right">Projected</th><th></th></tr>
{{range .Rows}}<tr><td>{{.Stage}}</td><td align="right">{{.Planned}}</td><td align="right">{{.Actual}}</td><td align="right">{{.Expected}}</td><td align="right">{{.Projected}}</td><td>{{.Verdict}}</td></tr>
{{end}}</table>
<p style="color: #555">As of {{.AsOf}}. Definitions: Tandem's docs/pace.md.</p>
</body></html>
`))

// pacingDigest writes the pace as text and as HTML.
func pacingDigest(p pace.Pace) (text, html string, err error) {
	var rows []pacingRow
	for _, s := range p.Stages {
		verdict := "behind"
		switch {
		case s.Planned == 0:
			verdict = "no plan"
		case s.OnTrack:
			verdict = "on track"
		}
		rows = append(rows, pacingRow{Stage: s.Stage, Planned: figure.Count(float64(s.Planned)), Actual: figure.Count(float64(s.Actual)),
			Expected: figure.Count(s.ExpectedByNow), Projected: figure.Count(float64(s.Projected)), Verdict: verdict})
	}
	headline := "Probability of reaching the target by the period's end: " + figure.Percent(p.Probability) + "."
	if p.NoAgreement {
		headline = "No signed agreement is in force: the figures are described, not judged."
	}
	data := struct {
		Period, Headline, AsOf string
		Elapsed, Total         int
		Rows                   []pacingRow
	}{p.Period.Name, headline, p.AsOf.UTC().Format("2006-01-02 15:04 UTC"), p.DaysElapsed, p.DaysTotal, rows}
	var t strings.Builder
	fmt.Fprintf(&t, "Pacing %s, day %d of %d. %s\n\n", data.Period, data.Elapsed, data.Total, data.Headline)
	for _, r := range rows {
		fmt.Fprintf(&t, "%-12s %s of %s planned (expected by now %s), projected %s: %s\n", r.Stage, r.Actual, r.Planned, r.Expected, r.Projected, r.Verdict)
	}
	fmt.Fprintf(&t, "\nAs of %s.\n", data.AsOf)
	var h bytes.Buffer
	if err := digestHTML.Execute(&h, data); err != nil {
		return "", "", err
	}
	return t.String(), h.String(), nil
}
