package access_test

import (
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/access"
)

// The people of the tests: a head of sales (1) above two managers (2, 3),
// each above one rep (4 under 2, 5 under 3).
const (
	head, mgrA, mgrB, repA, repB = 1, 2, 3, 4, 5
)

var callers = map[string]access.Caller{
	"admin":          {UserID: 9, Role: tandem.RoleAdmin, Name: "ada"},
	"executive":      {UserID: 8, Role: tandem.RoleExecutive, Name: "eve"},
	"marketing":      {UserID: 7, Role: tandem.RoleMarketing, Name: "mark"},
	"marketing_head": {UserID: 6, Role: tandem.RoleMarketingHead, Name: "mia"},
	"sales_head":     {UserID: head, Role: tandem.RoleSalesHead, Name: "sam", Below: map[int64]bool{mgrA: true, mgrB: true, repA: true, repB: true}},
	"manager":        {UserID: mgrA, Role: tandem.RoleSalesManager, Name: "mo", Below: map[int64]bool{repA: true}},
	"rep":            {UserID: repA, Role: tandem.RoleSalesRep, Name: "rita"},
	"rep token":      {Role: tandem.RoleSalesRep, Name: "crm"},
}

// The leads, by their owner as repA's manager sees them.
var leads = map[string]access.Lead{
	"rita's":                 {ID: 1, OwnerID: repA, Owner: "rita@example.com"},
	"rob's":                  {ID: 2, OwnerID: repB, Owner: "rob@example.com"},
	"unassigned":             {ID: 3},
	"once rita's, now rob's": {ID: 4, OwnerID: repB, Owner: "rob@example.com", PastOwners: []int64{repA, repB}},
	"mo's own":               {ID: 5, OwnerID: mgrA, Owner: "mo@example.com"},
}

// allow lists, for each caller, the leads they may; every other pair is
// refused.
func allowed(table map[string][]string, caller, lead string) bool {
	if table[caller] != nil && table[caller][0] == "*" {
		return true
	}
	for _, l := range table[caller] {
		if l == lead {
			return true
		}
	}
	return false
}

func TestCanRead(t *testing.T) {
	all := []string{"*"}
	want := map[string][]string{
		"admin": all, "executive": all, "marketing": all, "marketing_head": all, "sales_head": all,
		"manager":   {"rita's", "unassigned", "once rita's, now rob's", "mo's own"},
		"rep":       {"rita's", "unassigned", "once rita's, now rob's"},
		"rep token": {"unassigned"},
	}
	for cn, c := range callers {
		for ln, l := range leads {
			err := access.CanRead(c, l)
			if w := allowed(want, cn, ln); (err == nil) != w {
				t.Errorf("CanRead(%s, %s) = %v; want allowed %v", cn, ln, err, w)
			}
			if err != nil && tandem.ErrorCode(err) != tandem.EFORBIDDEN {
				t.Errorf("CanRead(%s, %s) = %v; want a forbidden error", cn, ln, err)
			}
			if got := c.ReadScope().Allows(l); got != (err == nil) {
				t.Errorf("ReadScope(%s).Allows(%s) = %v; CanRead says %v", cn, ln, got, err)
			}
		}
	}
}

func TestCanWork(t *testing.T) {
	want := map[string][]string{
		"admin":      {"*"},
		"sales_head": {"rita's", "rob's", "once rita's, now rob's", "mo's own"},
		"manager":    {"rita's", "mo's own"},
		"rep":        {"rita's"},
	}
	for cn, c := range callers {
		for ln, l := range leads {
			err := access.CanWork(c, l)
			if w := allowed(want, cn, ln); (err == nil) != w {
				t.Errorf("CanWork(%s, %s) = %v; want allowed %v", cn, ln, err, w)
			}
		}
	}
}

func TestCanChange(t *testing.T) {
	const won = "customer"
	fields := access.Edit{Fields: []string{"company"}}
	stage := access.Edit{Stage: true, StageFrom: "lead", StageTo: "disqualified"}
	toCustomer := access.Edit{Stage: true, StageFrom: "sql", StageTo: won}
	toRob := func(from int64) access.Edit { return access.Edit{Owner: true, OwnerFrom: from, OwnerTo: repB} }
	toRita := func(from int64) access.Edit { return access.Edit{Owner: true, OwnerFrom: from, OwnerTo: repA} }
	create := access.Edit{New: true, Stage: true, StageTo: "lead"}
	createAs := func(owner int64) access.Edit {
		return access.Edit{New: true, Stage: true, StageTo: "lead", Owner: true, OwnerTo: owner}
	}
	createCustomer := access.Edit{New: true, Stage: true, StageTo: won}
	for _, tc := range []struct {
		caller, lead string // lead "" for a new one
		edit         access.Edit
		want         bool
	}{
		// Nothing asked, nothing refused.
		{"executive", "rita's", access.Edit{}, true},
		// Executives change nothing.
		{"executive", "", create, false},
		{"executive", "unassigned", fields, false},
		// Creating: unassigned by anyone who writes; as one's own or for
		// one's reps by sales; marketing sets no owner; nobody but an admin
		// creates a customer.
		{"marketing", "", create, true},
		{"marketing", "", createAs(repA), false},
		{"rep", "", create, true},
		{"rep", "", createAs(repA), true},
		{"rep", "", createAs(repB), false},
		{"rep token", "", createAs(repA), false},
		{"manager", "", createAs(repA), true},
		{"manager", "", createAs(repB), false},
		{"sales_head", "", createAs(repB), true},
		{"rep", "", createCustomer, false},
		{"marketing", "", createCustomer, false},
		{"admin", "", createCustomer, true},
		// Plain fields: marketing on any lead; sales on their own, their
		// reps' and unassigned ones.
		{"marketing", "rob's", fields, true},
		{"marketing_head", "rita's", fields, true},
		{"rep", "rita's", fields, true},
		{"rep", "rob's", fields, false},
		{"rep", "unassigned", fields, true},
		{"rep token", "rita's", fields, false},
		{"manager", "rita's", fields, true},
		{"manager", "rob's", fields, false},
		{"sales_head", "rob's", fields, true},
		// Stage: the owner or a manager above; marketing only while
		// unassigned; customer only by a won deal or an admin.
		{"rep", "rita's", stage, true},
		{"rep", "rob's", stage, false},
		{"rep", "once rita's, now rob's", stage, false},
		{"rep", "unassigned", stage, false},
		{"marketing", "unassigned", stage, true},
		{"marketing", "rob's", stage, false},
		{"manager", "rita's", stage, true},
		{"manager", "rob's", stage, false},
		{"rep", "rita's", toCustomer, false},
		{"sales_head", "rita's", toCustomer, false},
		{"admin", "rita's", toCustomer, true},
		// Owner: an admin, or a sales manager above both.
		{"rep", "rita's", toRob(repA), false},
		{"manager", "rita's", toRob(repA), false},
		{"sales_head", "rita's", toRob(repA), true},
		{"manager", "unassigned", toRita(0), true},
		{"manager", "unassigned", toRob(0), false},
		{"marketing", "unassigned", toRita(0), false},
		{"admin", "rob's", toRita(repB), true},
		{"manager", "mo's own", toRita(mgrA), true},
	} {
		var l access.Lead
		if tc.lead != "" {
			l = leads[tc.lead]
		}
		err := access.CanChange(callers[tc.caller], l, tc.edit, won)
		if (err == nil) != tc.want {
			t.Errorf("CanChange(%s, %q, %+v) = %v; want allowed %v", tc.caller, tc.lead, tc.edit, err, tc.want)
		}
		if err != nil && tandem.ErrorCode(err) != tandem.EFORBIDDEN {
			t.Errorf("CanChange(%s, %q, %+v) = %v; want a forbidden error", tc.caller, tc.lead, tc.edit, err)
		}
	}
}

// TestRefusalNamesLeadAndOwner checks that a refusal says which lead and
// whose it is.
func TestRefusalNamesLeadAndOwner(t *testing.T) {
	l := leads["rob's"]
	for name, err := range map[string]error{
		"read":   access.CanRead(callers["rep"], l),
		"work":   access.CanWork(callers["rep"], l),
		"stage":  access.CanChange(callers["rep"], l, access.Edit{Stage: true, StageTo: "disqualified"}, "customer"),
		"assign": access.CanAssign(callers["manager"], l, repA, "rita@example.com"),
	} {
		msg := tandem.ErrorMessage(err)
		if !strings.Contains(msg, "lead 2") || !strings.Contains(msg, "rob@example.com") {
			t.Errorf("%s refusal = %q; want it to name lead 2 and rob@example.com", name, msg)
		}
	}
}

func TestEditOf(t *testing.T) {
	const actor = "token:crm"
	ch := tandem.Change{Events: []tandem.Event{
		{Type: tandem.EventUpdated, Actor: actor, Changes: []tandem.FieldChange{{Field: "company", From: "", To: "Acme"}, {Field: "owner_id", From: "4", To: "5"}}},
		{Type: tandem.EventStageChanged, Actor: actor, Changes: []tandem.FieldChange{{Field: "stage", From: "lead", To: "disqualified"}}},
		// An entry rule's move is the agreement's, not the caller's.
		{Type: tandem.EventStageChanged, Actor: "rule", Changes: []tandem.FieldChange{{Field: "stage", From: "disqualified", To: "mql"}}},
	}}
	e := access.EditOf(ch, actor)
	if e.New || len(e.Fields) != 1 || e.Fields[0] != "company" || !e.Owner || e.OwnerFrom != 4 || e.OwnerTo != 5 ||
		!e.Stage || e.StageFrom != "lead" || e.StageTo != "disqualified" {
		t.Errorf("EditOf(update) = %+v; want company, owner 4 to 5, stage lead to disqualified", e)
	}
	created := tandem.Change{Events: []tandem.Event{{Type: tandem.EventCreated, Actor: actor,
		Changes: []tandem.FieldChange{{Field: "email", To: "a@example.com"}, {Field: "owner_id", To: "4"}, {Field: "stage", To: "lead"}}}}}
	e = access.EditOf(created, actor)
	if !e.New || !e.Owner || e.OwnerTo != 4 || !e.Stage || e.StageTo != "lead" {
		t.Errorf("EditOf(create) = %+v; want new, owner 4, stage lead", e)
	}
	if e := access.EditOf(tandem.Change{}, actor); !e.IsZero() {
		t.Errorf("EditOf(no events) = %+v; want the zero edit", e)
	}
}

// TestRolesTable checks the role table against what each action means in
// words, computed here from the roles' names.
func TestRolesTable(t *testing.T) {
	for _, r := range tandem.Roles {
		if !access.May(r, access.Read) {
			t.Errorf("May(%s, read) = false; want every role to read", r)
		}
		if got, want := access.May(r, access.WriteLeads), r != tandem.RoleExecutive; got != want {
			t.Errorf("May(%s, write_leads) = %v; want %v (all but executives)", r, got, want)
		}
		importsSome := access.May(r, access.ImportLeads) || access.May(r, access.ImportDeals) || access.May(r, access.WriteCatalog) ||
			access.May(r, access.ImportUsers) || access.May(r, access.ImportSpend)
		if got := access.May(r, access.ImportAny); got != importsSome {
			t.Errorf("May(%s, import) = %v; want %v (may import some kind)", r, got, importsSome)
		}
		if got, want := access.May(r, access.Administer), r == tandem.RoleAdmin; got != want {
			t.Errorf("May(%s, administer) = %v; want %v", r, got, want)
		}
	}
}

// TestWhoSeesTheBoards pins who reads the SLA board and marketing's
// pacing: both heads signed the agreement, so both read the board it is
// measured on; sales managers read the pacing of the leads they will get;
// reps and marketers read neither board, and marketers read their pacing.
func TestWhoSeesTheBoards(t *testing.T) {
	board := map[tandem.Role]bool{tandem.RoleAdmin: true, tandem.RoleExecutive: true, tandem.RoleSalesHead: true,
		tandem.RoleMarketingHead: true, tandem.RoleSalesManager: true}
	pacing := map[tandem.Role]bool{tandem.RoleAdmin: true, tandem.RoleExecutive: true, tandem.RoleSalesHead: true,
		tandem.RoleMarketingHead: true, tandem.RoleSalesManager: true, tandem.RoleMarketing: true}
	for _, r := range tandem.Roles {
		if got := access.May(r, access.SeeBoards); got != board[r] {
			t.Errorf("May(%s, see_boards) = %v; want %v", r, got, board[r])
		}
		if got := access.May(r, access.SeePacing); got != pacing[r] {
			t.Errorf("May(%s, see_pacing) = %v; want %v", r, got, pacing[r])
		}
	}
}

func TestCanSeeWorkOf(t *testing.T) {
	for _, tc := range []struct {
		caller string
		user   int64
		want   bool
	}{
		{"admin", repB, true},
		{"rep", repA, true},
		{"rep", repB, false},
		{"manager", repA, true},
		{"manager", repB, false},
		{"manager", mgrA, true},
		{"sales_head", repB, true},
		{"marketing", repA, false},
		{"rep token", repA, false},
	} {
		if got := access.CanSeeWorkOf(callers[tc.caller], tc.user); got != tc.want {
			t.Errorf("CanSeeWorkOf(%s, %d) = %v; want %v", tc.caller, tc.user, got, tc.want)
		}
	}
}
