package sqldb_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/pace"
	"github.com/tandemhq/tandem/plan"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// ledgerWriter appends hand-made events, batch by batch, keeping each
// lead's row the replay of its events, and checks after each batch that
// stage_counts equals its rebuild from stage_entries and the leads.
type ledgerWriter struct {
	t      *testing.T
	db     *sqldb.DB
	events map[int64][]tandem.Event
}

func (w *ledgerWriter) write(batch ...tandem.Event) {
	w.t.Helper()
	var ids []int64
	for _, e := range batch {
		if !slices.Contains(ids, e.LeadID) {
			ids = append(ids, e.LeadID)
		}
		w.events[e.LeadID] = append(w.events[e.LeadID], e)
	}
	var leads []tandem.Lead
	for _, id := range ids {
		l, err := tandem.Replay(w.events[id])
		if err != nil {
			w.t.Fatal(err)
		}
		leads = append(leads, l)
	}
	ctx := context.Background()
	if err := w.db.AppendEventsForTest(ctx, leads, batch); err != nil {
		w.t.Fatalf("AppendEventsForTest(%+v) = %v", batch, err)
	}
	verifyLedger(w.t, w.db)
}

func created(id int64, at time.Time, stage, origin string) tandem.Event {
	return tandem.Event{LeadID: id, Type: tandem.EventCreated, OccurredAt: at, Actor: "test", Changes: []tandem.FieldChange{
		{Field: "source", To: "test"}, {Field: "stage", To: stage}, {Field: "origin", To: origin}, {Field: "created_at", To: tandem.FormatTime(at)}}}
}

func moved(id int64, at time.Time, from, to string) tandem.Event {
	return tandem.Event{LeadID: id, Type: tandem.EventStageChanged, OccurredAt: at, Actor: "test", Reason: "test",
		Changes: []tandem.FieldChange{{Field: "stage", From: from, To: to}}}
}

func updated(id int64, at time.Time, field, from, to string) tandem.Event {
	return tandem.Event{LeadID: id, Type: tandem.EventUpdated, OccurredAt: at, Actor: "test",
		Changes: []tandem.FieldChange{{Field: field, From: from, To: to}}}
}

// exactHistory is History as stage_entries alone gives it: with no path
// recorded for stage_counts, History counts every window from the
// entries. The path comes back with the next write.
func exactHistory(t *testing.T, db *sqldb.DB, q sqldb.HistoryQuery) []plan.Cohort {
	t.Helper()
	ctx := context.Background()
	var path string
	if err := db.QueryRowForTest(ctx, `SELECT stages FROM stage_counts_path`, &path); err != nil {
		t.Fatalf("QueryRowForTest: %v", err)
	}
	set := func(stages string) {
		if err := db.ExecForTest(ctx, fmt.Sprintf(`UPDATE stage_counts_path SET stages = '%s'`, stages)); err != nil {
			t.Fatalf("ExecForTest: %v", err)
		}
	}
	set("")
	defer set(path)
	cs, err := db.History(ctx, q)
	if err != nil {
		t.Fatalf("History: %v", err)
	}
	return cs
}

// exactByDay is StageEntriesByDay from every entry's time.
func exactByDay(t *testing.T, db *sqldb.DB, from, to time.Time, loc *time.Location, stages []string) map[string][]int64 {
	t.Helper()
	es, err := db.StageEntries(context.Background(), from, to, stages)
	if err != nil {
		t.Fatalf("StageEntries: %v", err)
	}
	n := pace.Days(from, to.Add(-time.Nanosecond), loc) + 1
	out := map[string][]int64{}
	for s, ts := range es {
		out[s] = make([]int64, n)
		for _, at := range ts {
			out[s][pace.Days(from, at, loc)]++
		}
	}
	return out
}

// TestStageCounts writes a ledger whose entries arrive out of order, are
// moved earlier by back-dated events, skip stages, and whose leads change
// origin, and checks after every batch that stage_counts equals its
// rebuild, and at the end that History and StageEntriesByDay give what the
// stage entries alone give, for windows on whole hours, off them, and in a
// zone half an hour off UTC's hours.
//
//	A lead Jan 5 10:15 → mql Jan 6 11:20 → sal Jan 7 12:30             ads
//	B lead Jan 5 10:45; mql → opportunity Jan 9 14:00 (enters sal, sql
//	  and opportunity) recorded before lead → mql Jan 6 08:10           ads
//	C lead Jan 8 09:30 → mql Jan 10 14:10; then back-dated lead → mql
//	  Jan 3 08:05 and recycled → lead Jan 2 22:40: both entries earlier email
//	D created at mql Jan 5 23:40 → customer Jan 12 06:50 (skips three)  none
//	E lead Jan 5 18:50 (00:20 in Kolkata) → mql Jan 6 19:10; origin
//	  ads → email Jan 11, → social with its move to sal Jan 13          social
//	F lead Dec 28 → mql Jan 4 18:35; G created at customer Jan 7 00:10;
//	  H lead Jan 6 05:00 → recycled Jan 7 → sal Jan 8 05:59: created and
//	  moved in one batch                                               social
func TestStageCounts(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, _ := open(t, b)
		w := &ledgerWriter{t: t, db: db, events: map[int64][]tandem.Event{}}
		at := func(m time.Month, d, h, min int) time.Time { return time.Date(2026, m, d, h, min, 0, 0, time.UTC) }
		const A, B, C, D, E, F, G, H = 1, 2, 3, 4, 5, 6, 7, 8

		w.write(created(A, at(1, 5, 10, 15), "lead", "ads"), created(B, at(1, 5, 10, 45), "lead", "ads"),
			created(D, at(1, 5, 23, 40), "mql", ""), created(E, at(1, 5, 18, 50), "lead", "ads"))
		w.write(moved(A, at(1, 6, 11, 20), "lead", "mql"), created(C, at(1, 8, 9, 30), "lead", "email"))
		w.write(created(F, at(12, 28, 9, 0).AddDate(-1, 0, 0), "lead", "social"), moved(F, at(1, 4, 18, 35), "lead", "mql"),
			created(G, at(1, 7, 0, 10), "customer", "social"),
			created(H, at(1, 6, 5, 0), "lead", "social"), moved(H, at(1, 7, 5, 0), "lead", "recycled"), moved(H, at(1, 8, 5, 59), "recycled", "sal"))
		w.write(moved(A, at(1, 7, 12, 30), "mql", "sal"), moved(E, at(1, 6, 19, 10), "lead", "mql"))
		// B's later stages arrive first: mql's entry then reaches sal.
		w.write(moved(B, at(1, 9, 14, 0), "mql", "opportunity"))
		w.write(moved(B, at(1, 6, 8, 10), "lead", "mql"))
		w.write(moved(C, at(1, 10, 14, 10), "lead", "mql"))
		// Back-dated: C's entries move to earlier hours, days, windows.
		w.write(moved(C, at(1, 3, 8, 5), "lead", "mql"), moved(C, at(1, 2, 22, 40), "recycled", "lead"))
		w.write(updated(E, at(1, 11, 9, 0), "origin", "ads", "email"))
		w.write(moved(D, at(1, 12, 6, 50), "mql", "customer"))
		w.write(moved(E, at(1, 13, 9, 0), "mql", "sal"), updated(E, at(1, 13, 9, 0), "origin", "email", "social"))

		kolkata, err := time.LoadLocation("Asia/Kolkata")
		if err != nil {
			t.Fatalf("time.LoadLocation: %v", err)
		}
		windows := []struct {
			name     string
			from, to time.Time
			loc      *time.Location
		}{
			{"January", at(1, 1, 0, 0), at(2, 1, 0, 0), time.UTC},
			{"January in Kolkata", time.Date(2026, 1, 1, 0, 0, 0, 0, kolkata), time.Date(2026, 2, 1, 0, 0, 0, 0, kolkata), kolkata},
			{"a week in Kolkata", time.Date(2026, 1, 5, 0, 0, 0, 0, kolkata), time.Date(2026, 1, 12, 0, 0, 0, 0, kolkata), kolkata},
			{"off the hours", at(1, 5, 10, 30), at(1, 12, 6, 20), time.UTC},
			{"within an hour", at(1, 5, 10, 10), at(1, 5, 10, 50), time.UTC},
			{"B's back-dated mql to C's first", at(1, 6, 8, 10), at(1, 8, 9, 31), time.UTC},
		}
		stages := []string{"lead", "mql", "sal", "sql", "opportunity", "customer"}
		for _, win := range windows {
			for _, by := range append([]string{""}, sqldb.HistoryGroupings...) {
				q := sqldb.HistoryQuery{From: win.from, To: win.to, By: by}
				got, err := db.History(ctx, q)
				if err != nil {
					t.Fatalf("History: %v", err)
				}
				want := exactHistory(t, db, q)
				if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("History(%s by %q) from stage_counts (-stage entries +counts):\n%s", win.name, by, diff)
				}
			}
			got, err := db.StageEntriesByDay(ctx, win.from, win.to, win.loc, stages)
			if err != nil {
				t.Fatalf("StageEntriesByDay: %v", err)
			}
			if diff := cmp.Diff(exactByDay(t, db, win.from, win.to, win.loc, stages), got); diff != "" {
				t.Errorf("StageEntriesByDay(%s) (-stage entries +counts):\n%s", win.name, diff)
			}
		}

		// Some figures by hand, so that both ways being wrong alike shows.
		jan := sqldb.HistoryQuery{From: at(1, 1, 0, 0), To: at(2, 1, 0, 0), By: "origin"}
		got, err := db.History(ctx, jan)
		if err != nil {
			t.Fatalf("History: %v", err)
		}
		counts := map[string][3]int{}
		for _, c := range got {
			for _, s := range c.Stages {
				if s.Entered > 0 {
					counts[c.Group+"/"+s.Stage] = [3]int{s.Entered, s.ReachedNext, s.ReachedLast}
				}
			}
		}
		want := map[string][3]int{
			"ads/lead":        {2, 2, 0}, // A, B
			"ads/mql":         {2, 2, 0}, // A, B: its sal was known before its mql
			"ads/sal":         {2, 1, 0}, // A, B
			"ads/sql":         {1, 1, 0}, // B
			"ads/opportunity": {1, 0, 0},
			"email/lead":      {1, 1, 0}, // C, moved to Jan 2
			"email/mql":       {1, 0, 0}, // C, moved to Jan 3
			"/mql":            {1, 1, 1}, // D and the stages it skipped
			"/sal":            {1, 1, 1},
			"/sql":            {1, 1, 1},
			"/opportunity":    {1, 1, 1},
			"/customer":       {1, 0, 1},
			"social/lead":     {2, 1, 0}, // E, now social; H went round mql
			"social/mql":      {2, 1, 0}, // E, F
			"social/sal":      {2, 0, 0}, // E, H
			"social/customer": {1, 0, 1}, // G
		}
		if diff := cmp.Diff(want, counts); diff != "" {
			t.Errorf("History(January by origin) (-want +got):\n%s", diff)
		}

		// A write under another path rebuilds the counts.
		if err := db.ExecForTest(ctx, `UPDATE stage_counts_path SET stages = 'lead customer'`); err != nil {
			t.Fatalf("ExecForTest: %v", err)
		}
		w.write(updated(A, at(1, 14, 9, 0), "segment", "", "smb"))
		if got := exactHistory(t, db, jan); !cmp.Equal(got, mustHistory(t, db, jan), cmpopts.EquateEmpty()) {
			t.Errorf("History(January by origin) after the rebuild differs from the stage entries'")
		}
	})
}

func mustHistory(t *testing.T, db *sqldb.DB, q sqldb.HistoryQuery) []plan.Cohort {
	t.Helper()
	cs, err := db.History(context.Background(), q)
	if err != nil {
		t.Fatalf("History: %v", err)
	}
	return cs
}

// TestStageCountsBackfill checks that a database from before stage_counts
// gets them at start-up, and that VerifyStageCounts names a row that
// differs.
func TestStageCountsBackfill(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		ctx := context.Background()
		db, _ := open(t, b)
		w := &ledgerWriter{t: t, db: db, events: map[int64][]tandem.Event{}}
		at := func(d, h int) time.Time { return time.Date(2026, 1, d, h, 0, 0, 0, time.UTC) }
		w.write(created(1, at(5, 10), "lead", "ads"), created(2, at(5, 11), "mql", "email"))
		w.write(moved(1, at(6, 10), "lead", "sal"), moved(2, at(7, 10), "mql", "customer"))
		jan := sqldb.HistoryQuery{From: at(1, 0), To: at(31, 0), By: "origin"}
		want := mustHistory(t, db, jan)

		// A row that differs is named, with what differs.
		if err := db.ExecForTest(ctx, `UPDATE stage_counts SET entered = entered + 1 WHERE stage = 'sql'`); err != nil {
			t.Fatalf("ExecForTest: %v", err)
		}
		var diffs []string
		differ, err := db.VerifyStageCounts(ctx, func(diff string) { diffs = append(diffs, diff) })
		wantDiffs := []string{`stage counts of sql in the hour from 2026-01-07T10:00:00Z, source "test", origin "email", segment "": ` +
			`stored entered 2, reached next 1, reached last 1; the stage entries give entered 1, reached next 1, reached last 1`}
		if err != nil || differ != 1 || cmp.Diff(wantDiffs, diffs) != "" {
			t.Errorf("VerifyStageCounts() = %d, %v, %q; want 1, %q", differ, err, diffs, wantDiffs)
		}

		// A database from before the table: no counts, the backfill due.
		for _, q := range []string{`DELETE FROM stage_counts`, `UPDATE stage_counts_path SET stages = ''`, `INSERT INTO backfills (name) VALUES ('stage_counts')`} {
			if err := db.ExecForTest(ctx, q); err != nil {
				t.Fatalf("ExecForTest: %v", err)
			}
		}
		db.Close()
		db, _ = open(t, b)
		var path string
		if err := db.QueryRowForTest(ctx, `SELECT stages FROM stage_counts_path`, &path); err != nil || path != strings.Join([]string{"lead", "mql", "sal", "sql", "opportunity", "customer"}, " ") {
			t.Errorf("stage_counts_path after the backfill = %q, %v; want the default agreement's path", path, err)
		}
		if diff := cmp.Diff(want, mustHistory(t, db, jan), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("History(%+v) after the backfill (-before +after):\n%s", jan, diff)
		}
		verifyLedger(t, db)
	})
}

// TestHistoryBenchData checks that BenchmarkHistory's stage counts, written
// by hand, are those the store keeps.
func TestHistoryBenchData(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, _ := open(t, b)
		for _, q := range historyBenchData(b.Name, 3000) {
			if err := db.ExecForTest(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		differ, err := db.VerifyStageCounts(ctx, func(diff string) { t.Error(diff) })
		if err != nil || differ != 0 {
			t.Errorf("VerifyStageCounts() = %d, %v; want 0", differ, err)
		}
	})
}
