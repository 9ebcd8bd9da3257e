package sqldb

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/calendar"
	"github.com/tandemhq/tandem/sla"
)

// SLAQuery asks for the SLA report of a period.
type SLAQuery struct {
	// Period is a month (2026-11), a quarter (2026-Q4) or a year (2026) in
	// the agreement's time zone; "" is the current month.
	Period string `json:"period"`
	// By groups the sales rows: rep (the default), team or source.
	By string `json:"by"`
	// From and To, when both are set, measure the hand-offs started in
	// [From, To) instead of the whole period (the SLA board's weeks); the
	// period still picks the version holding marketing.
	From, To time.Time `json:"-"`
}

// Keys of rows that have no rep, team or source.
const (
	keyUnrouted = "(unrouted)"
	keyNoTeam   = "(no team)"
	keyNone     = "(none)"
)

// SLAInput reads what the SLA report of a period is computed from (see
// [sla.Input]; package report computes it): the hand-offs started in the
// period, each to be measured against the clocks of the version it ran on,
// their tasks, the reviews written in the period, and the policy of the
// version in force at the period's end (now, while it runs), whose
// commitments hold marketing. A hand-off counts for the rep who owns it now
// (and that rep's team now); an unrouted one under "(unrouted)". EINVALID
// names a bad period or by; ECONFLICT when no signed agreement is in force.
//
// It reads a fixed handful of queries whatever the size of the period: the
// agreement, the hand-offs with their rep, lead and tasks, and the reviews.
// A task is read with only what the report needs of it (see
// reportTaskCode): its channel, template and start are its version's
// cadence's, and the times of a task done on time are left zero.
func (db *DB) SLAInput(ctx context.Context, q SLAQuery) (in sla.Input, err error) {
	defer wrap(&err, "SLA report %q", q.Period)
	if q.By == "" {
		q.By = "rep"
	}
	if !slices.Contains(sla.Groupings, q.By) {
		return in, tandem.Invalid(tandem.FieldError{Field: "by",
			Message: fmt.Sprintf("%q is not a grouping (want one of %s)", q.By, strings.Join(sla.Groupings, ", "))})
	}
	if q.Period != "" {
		if _, err := calendar.ParsePeriod(q.Period, time.UTC); err != nil {
			return in, err
		}
	}
	err = db.view(ctx, func(tx *Tx) error {
		if err := tx.reportSettings(ctx); err != nil {
			return err
		}
		p, per, err := tx.reportPolicy(ctx, q.Period)
		if err != nil {
			return err
		}
		if !q.From.IsZero() && !q.To.IsZero() {
			per = calendar.Period{Name: tandem.FormatTime(q.From) + "/" + tandem.FormatTime(q.To), From: q.From, To: q.To}
		}
		in = sla.Input{Period: per, Now: tx.Now, By: q.By, Policy: p, Policies: map[int]*sla.Policy{p.Version: p}}
		keys := map[int64]string{}
		segments := map[int64]string{}
		from, to := tx.t(per.From), tx.t(per.To)
		// One row per hand-off, its tasks packed into one text (see
		// reportTaskCode): a month at scale holds half a million tasks,
		// and reading each as a row of its own cost most of the report.
		rows, err := tx.QueryContext(ctx, `SELECT h.id, h.lead_id, h.owner_id, h.hot, h.agreement_version, h.started_at, h.routed_at,
			h.first_touch_due, h.first_touch_at, h.accept_due, h.decided_at, h.decision, h.cadence, h.cadence_from, h.touches, h.ended_at,
			u.email, u.team, l.source, l.segment,
			(SELECT `+tx.db.d.groupConcat(reportTaskCode(tx.db.d), ";")+` FROM tasks t WHERE t.handoff_id = h.id)
			FROM handoffs h JOIN leads l ON l.id = h.lead_id LEFT JOIN users u ON u.id = h.owner_id
			WHERE h.started_at >= $1 AND h.started_at < $2 ORDER BY h.started_at, h.id`, from, to)
		if err != nil {
			return fmt.Errorf("hand-offs: %w", err)
		}
		defer rows.Close()
		var block []tandem.Task
		in.HandoffTasks = [][]tandem.Task{}
		for rows.Next() {
			var h tandem.Handoff
			var owner sql.NullInt64
			var email, team, tasks sql.NullString
			var source, segment string
			if err := rows.Scan(&h.ID, &h.LeadID, &owner, &h.Hot, &h.AgreementVersion, scanTime{&h.StartedAt}, scanTime{&h.RoutedAt},
				scanTime{&h.FirstTouchDue}, scanTime{&h.FirstTouchAt}, scanTime{&h.AcceptDue}, scanTime{&h.DecidedAt}, &h.Decision,
				&h.Cadence, scanTime{&h.CadenceFrom}, &h.Touches, scanTime{&h.EndedAt}, &email, &team, &source, &segment, &tasks); err != nil {
				return fmt.Errorf("hand-offs: %w", err)
			}
			h.OwnerID = owner.Int64
			in.Handoffs = append(in.Handoffs, h)
			// Each hand-off's tasks are a slice of a shared block.
			if n := strings.Count(tasks.String, ";") + 1; cap(block)-len(block) < n {
				block = make([]tandem.Task, 0, max(n, 4096))
			}
			start := len(block)
			if block, err = appendReportTasks(block, h.ID, tasks.String); err != nil {
				return fmt.Errorf("tasks of hand-off %d: %w", h.ID, err)
			}
			in.HandoffTasks = append(in.HandoffTasks, block[start:len(block):len(block)])
			switch {
			case q.By == "source":
				keys[h.ID] = cmp.Or(source, keyNone)
			case h.OwnerID == 0:
				keys[h.ID] = keyUnrouted
			case q.By == "team":
				keys[h.ID] = cmp.Or(team.String, keyNoTeam)
			default:
				keys[h.ID] = email.String
			}
			segments[h.ID] = segment
			if _, ok := in.Policies[h.AgreementVersion]; !ok {
				in.Policies[h.AgreementVersion] = nil // loaded once the rows are read
			}
		}
		if err := cmp.Or(rows.Err(), rows.Close()); err != nil {
			return fmt.Errorf("hand-offs: %w", err)
		}
		for n, vp := range in.Policies {
			if vp == nil {
				if in.Policies[n], err = tx.policy(ctx, n); err != nil {
					return err
				}
			}
		}
		in.Key = func(h tandem.Handoff) string { return keys[h.ID] }
		in.Segment = func(h tandem.Handoff) string { return segments[h.ID] }
		in.Reviews, err = tx.reviewsBetween(ctx, from, to)
		return err
	})
	return in, err
}

// reportSettings runs the dialect's reportSettings.
func (tx *Tx) reportSettings(ctx context.Context) error {
	for _, q := range tx.db.d.reportSettings() {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

// reportPolicy returns the policy that holds marketing to its commitments
// over the named period ("" for the current month), and the period read in
// that policy's time zone: the version in force at the period's end, or now
// while the period runs; the version in force now for a period before any.
func (tx *Tx) reportPolicy(ctx context.Context, name string) (*sla.Policy, calendar.Period, error) {
	p, _, err := tx.policyInForce(ctx)
	if err != nil {
		return nil, calendar.Period{}, err
	}
	if p == nil {
		return nil, calendar.Period{}, tandem.Errorf(tandem.ECONFLICT,
			"no signed agreement is in force (or it starts no hand-offs): the report measures both sides against the one they signed")
	}
	period := func(p *sla.Policy) (calendar.Period, error) {
		if name == "" {
			return calendar.MonthOf(tx.Now, p.Calendar.Location()), nil
		}
		return calendar.ParsePeriod(name, p.Calendar.Location())
	}
	per, err := period(p)
	if err != nil {
		return nil, per, err
	}
	at := per.To.Add(-time.Microsecond)
	if at.After(tx.Now) {
		return p, per, nil
	}
	n, err := tx.versionInForce(ctx, at)
	if tandem.ErrorCode(err) == tandem.ENOTFOUND || (err == nil && n == p.Version) {
		return p, per, nil
	} else if err != nil {
		return nil, per, fmt.Errorf("agreement in force at %s: %w", tandem.FormatTime(at), err)
	}
	e, err := tx.version(ctx, n)
	if err != nil || e.p == nil {
		return p, per, err // a version without a hand-off stage commits marketing to nothing we measure
	}
	per, err = period(e.p)
	return e.p, per, err
}

// reportTaskCode is the expression that packs a task of the hand-off h
// into text for the SLA report, with only what the report reads of it
// (sla.Input): its cadence (m for main, c for connected, x for any other,
// which the report passes over), step and state, both times of a task done
// late (on time or late, and by how much), and the due time of an open one
// (overdue or not). A task done on time is read with neither time, which
// the report reads as done on time all the same.
func reportTaskCode(d dialect) string {
	return `CASE t.cadence WHEN '` + tandem.CadenceMain + `' THEN 'm' WHEN '` + tandem.CadenceConnected + `' THEN 'c' ELSE 'x' END
		|| '|' || t.step || '|' || t.state || CASE
		WHEN t.state = '` + tandem.TaskDone + `' AND t.done_at > t.due_at THEN '|' || ` + d.timeText("t.due_at") + ` || '|' || ` + d.timeText("t.done_at") + `
		WHEN t.state = '` + tandem.TaskOpen + `' THEN '|' || ` + d.timeText("t.due_at") + `
		ELSE '' END`
}

// parseTimeText reads a time written by a dialect's timeText: SQLite's
// form, or PostgreSQL's ISO text in UTC.
func parseTimeText(s string) (time.Time, error) {
	if t, ok := parseFixedTime(s); ok {
		return t, nil
	}
	t, err := time.Parse("2006-01-02 15:04:05.999999-07", s)
	if err != nil {
		return t, fmt.Errorf("time %q: %w", s, err)
	}
	return t.UTC(), nil
}

// taskState returns the task state s names: the constant, not a piece of
// the packed text, which would keep the whole text in memory.
func taskState(s string) string {
	for _, c := range []string{tandem.TaskOpen, tandem.TaskDone, tandem.TaskSkipped, tandem.TaskMissed} {
		if s == c {
			return c
		}
	}
	return strings.Clone(s)
}

// appendReportTasks appends the tasks of hand-off id packed in text by
// reportTaskCode, their fields joined by "|" and the tasks by ";".
func appendReportTasks(ts []tandem.Task, id int64, text string) ([]tandem.Task, error) {
	for text != "" {
		var item string
		item, text, _ = strings.Cut(text, ";")
		cad, rest, _ := strings.Cut(item, "|")
		step, rest, _ := strings.Cut(rest, "|")
		state, rest, _ := strings.Cut(rest, "|")
		due, done, _ := strings.Cut(rest, "|")
		t := tandem.Task{HandoffID: id, State: taskState(state)}
		switch cad {
		case "m":
			t.Cadence = tandem.CadenceMain
		case "c":
			t.Cadence = tandem.CadenceConnected
		default:
			continue // a cadence the report does not measure
		}
		var err error
		if t.Step, err = strconv.Atoi(step); err != nil {
			return ts, fmt.Errorf("task %q: %w", item, err)
		}
		for _, v := range []struct {
			s  string
			to *time.Time
		}{{due, &t.DueAt}, {done, &t.DoneAt}} {
			if v.s == "" {
				continue
			}
			t, err := parseTimeText(v.s)
			if err != nil {
				return ts, fmt.Errorf("task %q: %w", item, err)
			}
			*v.to = t
		}
		ts = append(ts, t)
	}
	return ts, nil
}

// reviewsBetween returns the ratings of the reviews written in [from, to).
func (tx *Tx) reviewsBetween(ctx context.Context, from, to any) ([]tandem.Review, error) {
	rows, err := tx.QueryContext(ctx, `SELECT lead_id, user_id, rating, created_at FROM reviews
		WHERE created_at >= $1 AND created_at < $2 ORDER BY id`, from, to)
	if err != nil {
		return nil, fmt.Errorf("reviews: %w", err)
	}
	defer rows.Close()
	var rs []tandem.Review
	for rows.Next() {
		var r tandem.Review
		if err := rows.Scan(&r.LeadID, &r.UserID, &r.Rating, scanTime{&r.Created}); err != nil {
			return nil, fmt.Errorf("reviews: %w", err)
		}
		rs = append(rs, r)
	}
	return rs, rows.Err()
}

// LeadCadence describes the lead's latest hand-off, one line per clock and
// cadence step, as of now (see [sla.LeadCadence]). ENOTFOUND for no such
// lead or a lead never handed off.
func (db *DB) LeadCadence(ctx context.Context, leadID int64) (lines []string, err error) {
	defer wrap(&err, "cadence of lead %d", leadID)
	err = db.view(ctx, func(tx *Tx) error {
		if _, err := tx.lead(ctx, leadID, false); err != nil {
			return err
		}
		h, err := scanHandoff(tx.QueryRowContext(ctx, `SELECT `+handoffColumns+` FROM handoffs WHERE lead_id = $1 ORDER BY id DESC LIMIT 1`, leadID))
		if err == sql.ErrNoRows {
			return tandem.Errorf(tandem.ENOTFOUND, "lead %d has never been handed off to sales", leadID)
		} else if err != nil {
			return fmt.Errorf("latest hand-off: %w", err)
		}
		p, err := tx.policy(ctx, h.AgreementVersion)
		if err != nil {
			return err
		}
		ts, err := tx.tasks(ctx, `handoff_id = $1`, h.ID)
		if err != nil {
			return err
		}
		lines = sla.LeadCadence(p, h.Handoff, ts, tx.Now)
		return nil
	})
	return lines, err
}

// scanMore scans a row's leading columns into the targets its caller gives
// and the rest into extra: a scan function reused on a wider select.
type scanMore struct {
	s     scanner
	extra []any
}

func (m scanMore) Scan(dest ...any) error { return m.s.Scan(append(dest, m.extra...)...) }

// qualify prefixes each column of a comma-separated list with a table alias.
func qualify(alias, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = alias + "." + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}
