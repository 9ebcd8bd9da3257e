// Package access says who may do what in Tandem, in one place: which roles
// may use each kind of action (the table [Roles], read by the route table
// and the navigation of the web app), and the rule for one lead: who may
// read it, work it, change its fields, its owner and its stage
// ([CanRead], [CanWork], [CanChange], [CanAssign]). It is pure: the store
// and the HTTP layer gather the facts (who the caller is, who is below
// them, who owns the lead) and call it; nothing here reads a database or a
// request.
package access

import (
	"slices"

	"github.com/tandemhq/tandem"
)

// Action is a kind of thing a role may do, as the route table names it.
type Action string

// The actions. A route or a page names one; [Roles] says who may.
const (
	Read         Action = "read"          // read leads, deals, reports, the agreement
	WriteLeads   Action = "write_leads"   // send leads (POST /api/v1/leads), move their stage
	WorkLeads    Action = "work_leads"    // touch, accept, reject, review; the queue; win and lose deals
	AssignLeads  Action = "assign_leads"  // reassign a lead by hand
	SendLeads    Action = "send_leads"    // hand off, marketing touches, campaigns and their spend
	WriteCatalog Action = "write_catalog" // add and change accounts and products (revenue operations)
	CheckAlerts  Action = "check_alerts"  // run the jeopardy check on demand
	Sign         Action = "sign"          // sign the agreement
	Propose      Action = "propose"       // propose a version of the agreement (either head, or an admin)
	Administer   Action = "administer"    // users, tokens, settings
	SeePacing    Action = "see_pacing"    // marketing pacing
	SeeBoards    Action = "see_boards"    // the SLA board
	ImportLeads  Action = "import_leads"  // import a CSV of leads
	ImportDeals  Action = "import_deals"  // import a CSV of deals
	ImportUsers  Action = "import_users"  // import a CSV of users
	ImportSpend  Action = "import_spend"  // import a CSV of campaign spend
	ImportAny    Action = "import"        // open the import page: any of the imports
	SignInPages  Action = "use_web_pages" // the web app's home and account pages
	WriteContent Action = "write_content" // add and change content: templates, scripts, links
	RateContent  Action = "rate_content"  // rate a content item as useful or not
	RunMeeting   Action = "run_meeting"   // record the monthly meeting's action items and close any
	Respond      Action = "respond"       // marketing's response to a campaign's lead review
	Comment      Action = "comment"       // comment on a proposed agreement version, clause by clause
)

var (
	admin   = tandem.RoleAdmin
	mkt     = tandem.RoleMarketing
	mktHead = tandem.RoleMarketingHead
	rep     = tandem.RoleSalesRep
	manager = tandem.RoleSalesManager
	salHead = tandem.RoleSalesHead
	exec    = tandem.RoleExecutive
)

// The import kinds' roles, which the import page's section also takes.
var (
	importLeads = []tandem.Role{admin, mkt, mktHead}
	importDeals = []tandem.Role{admin, salHead, manager}
	importUsers = []tandem.Role{admin}
	importSpend = []tandem.Role{admin, mkt, mktHead}
	// writeCatalog may change accounts and products, by hand or by import.
	writeCatalog = []tandem.Role{admin, mktHead, salHead}
)

// Roles is the one table of who may do what: each action with the roles
// that may. What one lead allows on top (whose it is) is the lead rule's.
var Roles = map[Action][]tandem.Role{
	Read:         tandem.Roles,
	SignInPages:  tandem.Roles,
	WriteLeads:   {admin, mkt, mktHead, rep, manager, salHead},
	WorkLeads:    {admin, rep, manager, salHead},
	AssignLeads:  {admin, manager, salHead},
	SendLeads:    {admin, mkt, mktHead},
	WriteCatalog: writeCatalog,
	CheckAlerts:  {admin, mktHead, salHead, exec},
	Sign:         tandem.SignerRoles,
	Propose:      union([]tandem.Role{admin}, tandem.SignerRoles),
	Administer:   {admin},
	SeePacing:    {admin, mkt, mktHead, salHead, manager, exec},
	SeeBoards:    {admin, manager, salHead, mktHead, exec},
	ImportLeads:  importLeads,
	ImportDeals:  importDeals,
	ImportUsers:  importUsers,
	ImportSpend:  importSpend,
	ImportAny:    union(importLeads, importDeals, importUsers, importSpend, writeCatalog),
	WriteContent: {admin, mkt, mktHead},
	RateContent:  {admin, rep, manager, salHead},
	RunMeeting:   {admin, mktHead, salHead, manager},
	Respond:      {admin, mkt, mktHead},
	Comment:      union([]tandem.Role{admin}, tandem.SignerRoles),
}

// union returns the roles in any of the lists, in the order of
// [tandem.Roles].
func union(lists ...[]tandem.Role) []tandem.Role {
	var out []tandem.Role
	for _, r := range tandem.Roles {
		if slices.ContainsFunc(lists, func(l []tandem.Role) bool { return slices.Contains(l, r) }) {
			out = append(out, r)
		}
	}
	return out
}

// May reports whether the role may do the action.
func May(r tandem.Role, a Action) bool { return slices.Contains(Roles[a], r) }

// CanCloseItem reports whether a user of role, whose id is userID, may
// mark a meeting's action item owned by ownerID done: those who run the
// meeting close any item, and an owner closes their own.
func CanCloseItem(role tandem.Role, userID, ownerID int64) bool {
	return May(role, RunMeeting) || (userID != 0 && userID == ownerID)
}
