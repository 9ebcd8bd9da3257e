package agreement

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func parseFile(t *testing.T, name string) *Agreement {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatalf("os.ReadFile: %v", err)
	}
	a, err := Parse(name, data)
	if err != nil {
		t.Fatalf("Parse(%q) = %v; want no error", name, err)
	}
	return a
}

func TestDiff(t *testing.T) {
	old, new := parseFile(t, "testdata/diff_old.yaml"), parseFile(t, "testdata/diff_new.yaml")
	want := []string{
		`name changed from "Acme agreement" to "Acme agreement 2027"`,
		`marketing mission changed from fill_pipeline to both`,
		"stage mql: entry rule changed from `score >= 60` to `score >= 70`",
		`stage sal: definition changed from "Accepted by sales." to "Accepted by sales after a look."`,
		`stage sql added after sal`,
		`stage recycled: manual moves changed from the default rule to lead or mql`,
		`stage disqualified added after recycled: an exit, final`,
		`reject reason no_budget removed`,
		`reject reason not_a_fit: description changed from "Outside our profile." to "Outside our customer profile."`,
		`reject reason duplicate added: Already worked by sales.`,
		`business hours: time zone changed from America/New_York to America/Chicago`,
		`business hours: open changed from 09:00 to 08:30`,
		`business hours: holidays changed from US to none`,
		`business hours: closed date 2026-12-24 removed`,
		`business hours: closed date 2026-12-31 added`,
		`sales: first touch within changed from 10m to 15m`,
		`sales: hot lead first touch within changed from 10m to 5m`,
		`cadence step 3 changed from call after 1d (template day-1-call) to call after 1d (template next-day-call)`,
		`cadence step 4 added: call after 2d (template day-2-call)`,
		`connected cadence step 1 added: meeting after 1d (template discovery-call)`,
		"marketing: sales-sourced rule changed from `origin == \"prospecting\"` to `origin in [\"prospecting\", \"outbound\"]`",
		`marketing: qualified leads per month changed from 400 to 450`,
		`marketing: qualified leads for segment enterprise removed (was 100)`,
		`marketing: qualified leads for segment mid_market set to 150`,
		`marketing: min average rating changed from none to 3.5`,
		`escalation step 2 changed from notify sales_manager after 30m to notify sales_manager after 1h`,
		`escalation step 3 added: notify sales_head after 4h`,
		`routing: method changed from round_robin to by_field`,
		`routing: field set to territory`,
		`routing: capacity changed from 40 to unlimited`,
		`funnel: average deal size changed from 12000 to history`,
		`funnel: sales cycle days changed from history to 60`,
		`funnel: conversion mql_to_sal changed from 0.7 to 0.65`,
		`funnel: conversion sal_to_sql set to 0.5`,
		`funnel: conversion sql_to_opportunity set to 0.8`,
		`funnel: conversion sal_to_opportunity removed (was 0.5)`,
		`funnel: tolerance changed from 0.2 to 0.1`,
		`goal: period changed from quarter to year`,
		`goal: revenue changed from 1200000 to 5000000`,
	}
	if diff := cmp.Diff(want, Diff(old, new)); diff != "" {
		t.Errorf("Diff(diff_old, diff_new) differs (-want +got):\n%s", diff)
	}
	back := Diff(new, old)
	if len(back) == 0 || back[0] != `name changed from "Acme agreement 2027" to "Acme agreement"` {
		t.Errorf("Diff(diff_new, diff_old) = %q...; want the name change first", back)
	}
	if got := Diff(old, old); len(got) != 0 {
		t.Errorf("Diff(diff_old, diff_old) = %q; want nothing", got)
	}
}

func TestDiffSpellingDoesNotMatter(t *testing.T) {
	a := parseFile(t, "testdata/diff_old.yaml")
	data, _ := os.ReadFile("testdata/diff_old.yaml")
	// 4h and 240m are the same span.
	b, err := Parse("x", []byte(strings.ReplaceAll(string(data), "accept_within: 4h", "accept_within: 240m")))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if got := Diff(a, b); len(got) != 0 {
		t.Errorf("Diff(4h, 240m) = %q; want nothing", got)
	}
}

func TestDiffNil(t *testing.T) {
	a := parseFile(t, "testdata/diff_old.yaml")
	got := Diff(nil, a)
	if len(got) == 0 || got[0] != "format changed from 0 to 1" {
		t.Errorf("Diff(nil, a) = %q...; want every value set", got)
	}
}
