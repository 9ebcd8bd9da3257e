package agreement

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tandemhq/tandem"
)

func TestCheckStaff(t *testing.T) {
	def := defaultAgreement(t) // escalates to sales_rep, sales_manager, sales_head
	everyone := map[tandem.Role]int{tandem.RoleSalesRep: 3, tandem.RoleSalesManager: 1, tandem.RoleSalesHead: 1, tandem.RoleMarketingHead: 1}
	flow, err := Parse("flow.yaml", []byte(edit(t, "goal:", "escalation: [{after: 0m, notify: admin}, {after: 1h, notify: marketing_head}]\ngoal:")))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	tests := []struct {
		name string
		a    *Agreement
		held map[tandem.Role]int
		want []string
	}{
		{"every role held", def, everyone, nil},
		{"nobody", def, nil, []string{
			`default.yaml:141:3: sales.cadence: sales reps work the cadence, and no user holds the role sales_rep: add one with tandem user add EMAIL --role sales_rep`,
			`default.yaml:207:13: escalation[1].notify: no user holds the role sales_rep (the lead's owner): add one with tandem user add EMAIL --role sales_rep, or notify another role`,
			`default.yaml:209:13: escalation[2].notify: no user holds the role sales_manager: add one with tandem user add EMAIL --role sales_manager, or notify another role`,
			`default.yaml:211:13: escalation[3].notify: no user holds the role sales_head: add one with tandem user add EMAIL --role sales_head, or notify another role`,
		}},
		{"no sales manager", def, map[tandem.Role]int{tandem.RoleSalesRep: 1, tandem.RoleSalesHead: 1}, []string{
			`default.yaml:209:13: escalation[2].notify: no user holds the role sales_manager: add one with tandem user add EMAIL --role sales_manager, or notify another role`,
		}},
		{"a role counted zero", def, map[tandem.Role]int{tandem.RoleSalesRep: 1, tandem.RoleSalesManager: 0, tandem.RoleSalesHead: 1}, []string{
			`default.yaml:209:13: escalation[2].notify: no user holds the role sales_manager: add one with tandem user add EMAIL --role sales_manager, or notify another role`,
		}},
		{"only the heads", def, map[tandem.Role]int{tandem.RoleMarketingHead: 1, tandem.RoleSalesHead: 1}, []string{
			`default.yaml:141:3: sales.cadence: sales reps work the cadence, and no user holds the role sales_rep: add one with tandem user add EMAIL --role sales_rep`,
			`default.yaml:207:13: escalation[1].notify: no user holds the role sales_rep (the lead's owner): add one with tandem user add EMAIL --role sales_rep, or notify another role`,
			`default.yaml:209:13: escalation[2].notify: no user holds the role sales_manager: add one with tandem user add EMAIL --role sales_manager, or notify another role`,
		}},
		{"flow style", flow, map[tandem.Role]int{tandem.RoleSalesRep: 1, tandem.RoleAdmin: 1}, []string{
			`default.yaml:32:62: escalation[2].notify: no user holds the role marketing_head: add one with tandem user add EMAIL --role marketing_head, or notify another role`,
		}},
		{"no escalation, no rep", flow, map[tandem.Role]int{tandem.RoleAdmin: 1, tandem.RoleMarketingHead: 1}, []string{
			`default.yaml:28:3: sales.cadence: sales reps work the cadence, and no user holds the role sales_rep: add one with tandem user add EMAIL --role sales_rep`,
		}},
		{"built by hand: the line is unknown", &Agreement{Escalation: []EscalationStep{{Notify: tandem.RoleExecutive}}}, nil, []string{
			`default.yaml:1: escalation[1].notify: no user holds the role executive: add one with tandem user add EMAIL --role executive, or notify another role`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.a.CheckStaff("default.yaml", tt.held)
			if diff := cmp.Diff(tt.want, problemLines(t, err)); diff != "" {
				t.Errorf("CheckStaff(%v) problems differ (-want +got):\n%s", tt.held, diff)
			}
			if err != nil && tandem.ErrorCode(err) != tandem.EINVALID {
				t.Errorf("ErrorCode(CheckStaff(%v)) = %q; want %q", tt.held, tandem.ErrorCode(err), tandem.EINVALID)
			}
		})
	}
}

// TestCheckStaffDocExample checks the problems docs/agreement.md shows: the
// default file with only a sales head.
func TestCheckStaffDocExample(t *testing.T) {
	doc, err := os.ReadFile("../docs/agreement.md")
	if err != nil {
		t.Skipf("no docs: %v", err)
	}
	got := problemLines(t, defaultAgreement(t).CheckStaff("agreement.yaml", map[tandem.Role]int{tandem.RoleSalesHead: 1}))
	for _, want := range []string{
		`agreement.yaml:141:3: sales.cadence: sales reps work the cadence, and no user holds the role sales_rep: add one with tandem user add EMAIL --role sales_rep`,
		`agreement.yaml:209:13: escalation[2].notify: no user holds the role sales_manager: add one with tandem user add EMAIL --role sales_manager, or notify another role`,
	} {
		if !slices.Contains(got, want) {
			t.Errorf("CheckStaff(only a sales head) = %q; want it to hold %q", got, want)
		}
		if !strings.Contains(string(doc), "\n"+want+"\n") {
			t.Errorf("docs/agreement.md does not show %q", want)
		}
	}
}
