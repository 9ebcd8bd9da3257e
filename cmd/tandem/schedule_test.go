package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestScheduleCommand: tandem schedule add stores a schedule (recipients
// lower-cased, roles sorted), list shows it with its next send (for a
// scorecard made on a date in November 2026: Tuesday 1 December, 08:00 in
// New York = 13:00 UTC), remove stops it; a bad kind, role or address is a
// usage error naming the argument or flag, and changes nothing.
func TestScheduleCommand(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			clk := clock.NewFake(time.Date(2026, 11, 18, 15, 0, 0, 0, time.UTC))
			run := func(want int, args ...string) result {
				t.Helper()
				r := tandemCmd(t, clk, b.DSN, args...)
				if r.code != want {
					t.Fatalf("tandem %s: exit %d; want %d: %s%s", strings.Join(args, " "), r.code, want, r.stdout, r.stderr)
				}
				return r
			}
			run(0, "user", "add", "eve@example.com", "--role", "executive")
			if r := run(0, "schedule", "add", "scorecard", "--role", "sales_head", "--role", "executive", "--to", "Board@Example.com"); !strings.Contains(r.stdout, "schedule 1 added") {
				t.Errorf("schedule add printed %q; want schedule 1 added", r.stdout)
			}
			for _, bad := range []struct {
				args []string
				says string
			}{
				{[]string{"schedule", "add", "daily", "--to", "a@example.com"}, `KIND: "daily" is not a kind`},
				{[]string{"schedule", "add", "pacing", "--role", "boss"}, "--role:"},
				{[]string{"schedule", "add", "pacing", "--to", "not an address"}, "--to:"},
				{[]string{"schedule", "add", "pacing"}, "at least one role or address"},
				{[]string{"schedule", "remove", "x"}, `ID "x"`},
			} {
				if r := run(2, bad.args...); !strings.Contains(r.stderr, bad.says) {
					t.Errorf("tandem %s: stderr %q; want it to say %q", strings.Join(bad.args, " "), r.stderr, bad.says)
				}
			}
			var rows []struct {
				ID        int64    `json:"id"`
				Kind      string   `json:"kind"`
				Roles     []string `json:"roles"`
				Addresses []string `json:"addresses"`
				CreatedBy string   `json:"created_by"`
				Next      string   `json:"next"`
			}
			r := run(0, "schedule", "list", "--format", "json")
			if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil {
				t.Fatalf("schedule list --format json: %v\n%s", err, r.stdout)
			}
			if len(rows) != 1 || rows[0].Kind != "scorecard" || strings.Join(rows[0].Roles, ",") != "executive,sales_head" ||
				strings.Join(rows[0].Addresses, ",") != "board@example.com" || !strings.HasPrefix(rows[0].CreatedBy, "cli") ||
				rows[0].Next != "2026-12-01T13:00:00Z" {
				t.Errorf("schedule list = %+v; want the one scorecard schedule, next 2026-12-01T13:00:00Z", rows)
			}
			if r := run(0, "schedule", "list"); !strings.Contains(r.stdout, "board@example.com") || !strings.Contains(r.stdout, "2026-12-01") {
				t.Errorf("schedule list (table) = %q; want the schedule and its next send", r.stdout)
			}
			run(0, "schedule", "remove", "1")
			if r := run(1, "schedule", "remove", "1"); !strings.Contains(r.stderr, "no schedule 1") {
				t.Errorf("removing again: stderr %q; want no schedule 1", r.stderr)
			}
			if r := run(0, "schedule", "list", "--format", "json"); strings.TrimSpace(r.stdout) != "[]" {
				t.Errorf("schedule list after remove = %q; want []", r.stdout)
			}
		})
	}
}
