package sqldb_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// badRule is the entry rule of issue 11, which took 8 s and 585 MB a lead.
const badRule = `let a = 1..999; all(a, all(a, all(a, true)))`

// signBadRule puts in force, as version 2, the default agreement with mql's
// entry rule replaced by badRule: the way an agreement signed before rules
// had a budget would be, since proposing it is refused now.
func signBadRule(t testing.TB, db *sqldb.DB) {
	t.Helper()
	ctx := context.Background()
	signDefault(t, db, string(agreement.Default()))
	body := strings.Replace(string(agreement.Default()), "name: ", "name: Slow ", 1)
	v, _, err := db.ProposeAgreement(ctx, "agreement.yaml", body, "admin@example.com")
	if err != nil {
		t.Fatalf("ProposeAgreement: %v", err)
	}
	if err := db.ExecForTest(ctx, fmt.Sprintf(`UPDATE agreement_versions SET body = replace(body, 'score >= 60 and email != ""', '%s') WHERE version = %d`, badRule, v.Version)); err != nil {
		t.Fatalf("ExecForTest: %v", err)
	}
	for _, head := range []string{"mia@example.com", "sam@example.com"} {
		if _, err := db.SignAgreement(ctx, v.Version, head); err != nil {
			t.Fatalf("SignAgreement: %v", err)
		}
	}
}

// TestIntakeRuleOverBudget sends a batch under the bad rule: each lead the
// rule decides is refused with an error naming the stage and the rule's
// line, and nothing of it is written; the rest of the batch goes in.
func TestIntakeRuleOverBudget(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, _ := open(t, b)
		signBadRule(t, db)
		before, err := db.Leads(ctx, tandem.LeadFilter{})
		if err != nil {
			t.Fatalf("Leads: %v", err)
		}
		in := []tandem.LeadInput{
			input("external_id", "a1", "email", "ada@example.com", "score", "80"),
			input("external_id", "b1", "email", "bo@example.com", "stage", "sal"),
			input("external_id", "c1", "email", "cy@example.com"),
			input("external_id", "d1", "email", "di@example.com", "stage", "disqualified"),
		}
		res, err := db.IntakeLeads(ctx, in, sqldb.IntakeOptions{Actor: "test"})
		if err != nil {
			t.Fatalf("IntakeLeads = %v; want per-lead results", err)
		}
		var got []string
		for _, r := range res {
			got = append(got, r.Status)
		}
		if diff := cmp.Diff([]string{"rejected", "created", "rejected", "created"}, got); diff != "" {
			t.Errorf("IntakeLeads statuses (-want +got):\n%s", diff)
		}
		want := "stage: the entry rule of mql (stages[2].entry, line 60 of agreement version 2) stopped on this lead: " // by its steps, or by time on a slow machine
		for _, i := range []int{0, 2} {
			if got := tandem.ErrorMessage(res[i].Err); tandem.ErrorCode(res[i].Err) != tandem.EINVALID || !strings.HasPrefix(got, want) {
				t.Errorf("IntakeLeads(%s) error = %q; want EINVALID starting %q", in[i].Fields["external_id"], got, want)
			}
		}
		after, err := db.Leads(ctx, tandem.LeadFilter{})
		if err != nil {
			t.Fatalf("Leads: %v", err)
		}
		if got, want := after.Total-before.Total, 2; got != want {
			t.Errorf("leads written = %d; want %d (the two no rule decides)", got, want)
		}
		if _, differ, err := db.VerifyLedger(ctx, func(int64, string) {}); err != nil || differ != 0 {
			t.Errorf("VerifyLedger = %d differ, %v; want 0, nil", differ, err)
		}
	})
}

// BenchmarkIntakeRuleOverBudget is the write transaction of a batch of 200
// new leads under the bad rule of issue 11, on each database: each lead
// runs the rule until it stops at its budget, or until the batch's rule
// time is used up. Before rules had a budget it took 647 s.
//
//	go test ./sqldb -run XXX -bench IntakeRuleOverBudget -benchtime 5x
func BenchmarkIntakeRuleOverBudget(b *testing.B) {
	for _, be := range sqldbtest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			db, _ := openB(b, be)
			signBadRule(b, db)
			n, notRun := 0, 0
			for b.Loop() {
				in := make([]tandem.LeadInput, 200)
				for i := range in {
					n++
					in[i] = input("external_id", fmt.Sprint("x", n), "email", fmt.Sprintf("x%d@example.com", n))
				}
				res, err := db.IntakeLeads(context.Background(), in, sqldb.IntakeOptions{Actor: "bench"})
				if err != nil || res[0].Status != tandem.StatusRejected {
					b.Fatalf("IntakeLeads = %v, %v; want every lead rejected", res[0], err)
				}
				for _, r := range res {
					if strings.Contains(tandem.ErrorMessage(r.Err), "was not run") {
						notRun++
					}
				}
			}
			b.ReportMetric(float64(notRun)/float64(b.N), "not-run/op")
		})
	}
}
