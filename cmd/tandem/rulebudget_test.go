package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/clock"
)

// badRule is the entry rule of issue 11, which took 8 s and 585 MB a lead.
const badRule = `let a = 1..999; all(a, all(a, all(a, true)))`

// badAgreementFile writes the default agreement with mql's entry rule
// replaced by badRule, on line 60 at column 12, and returns its path.
func badAgreementFile(t *testing.T, dir string) string {
	t.Helper()
	const good = `entry: score >= 60 and email != ""`
	body := string(agreement.Default())
	if !strings.Contains(body, "\n    "+good+"\n") {
		t.Fatalf("the default agreement no longer holds %q", good)
	}
	if got := strings.Count(body[:strings.Index(body, good)], "\n") + 1; got != 60 {
		t.Fatalf("mql's entry rule is on line %d of the default agreement; the test expects 60", got)
	}
	file := filepath.Join(dir, "slow.yaml")
	if err := os.WriteFile(file, []byte(strings.Replace(body, good, "entry: "+badRule, 1)), 0o644); err != nil {
		t.Fatalf("os.WriteFile: %v", err)
	}
	return file
}

// TestAgreementCheckCostlyRule checks that `agreement check` runs each rule
// on sample leads and names a rule too costly at its FILE:LINE:COL, and that
// such a file cannot be proposed.
func TestAgreementCheckCostlyRule(t *testing.T) {
	clk := clock.NewFake(epoch)
	dir := t.TempDir()
	dsn := filepath.Join(dir, "tandem.db")
	file := badAgreementFile(t, dir)

	r := tandemCmd(t, clk, filepath.Join(dir, "unused.db"), "agreement", "check", file)
	want := file + ":60:12: stages[2].entry: the rule is too costly: on a typical lead it took more than 10000 steps (each call and each turn of a loop is a step); " +
		"a rule must stay within a tenth of its budget (1000 steps, 25 KiB built, 5ms) on a typical lead, an empty lead and a lead with every field at its longest, so that a batch of leads stays quick; see Rule budgets in docs/agreement.md\n"
	// On a slow machine (the race detector) the rule may stop by time
	// before its steps: its budget too.
	if strings.Contains(r.stdout, "it ran for more than 50ms; ") {
		want = strings.Replace(want, "it took more than 10000 steps (each call and each turn of a loop is a step); ", "it ran for more than 50ms; ", 1)
	}
	r.want(t, "agreement check "+file, 1, want, "tandem: "+file+": 1 problem(s)\n")

	r = tandemCmd(t, clk, dsn, "agreement", "propose", file)
	if r.code != 1 || !strings.Contains(r.stdout+r.stderr, file+":60:12: stages[2].entry: the rule is too costly") {
		t.Errorf("tandem agreement propose %s: exit status %d, stdout %q, stderr %q; want 1 and the rule's problem", file, r.code, r.stdout, r.stderr)
	}
}
