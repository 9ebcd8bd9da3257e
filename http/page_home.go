package http

import (
	"net/http"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/access"
)

// section is one of the web app's pages as the home page and the
// navigation list it, with who may open it. The route table takes each
// section's route from here, so the list a person sees and what the server
// lets them open cannot differ.
type section struct {
	Path  string
	Title string
	About string
	roles []tandem.Role
}

// sections are the web app's pages, in the order of the navigation.
var sections = []section{
	{"/leads", "Leads", "Find any lead by name, email, company or phone; filter, sort, save views, export, act on many.", roles(access.Read)},
	{"/queue", "Queue", "The leads and tasks you owe, most urgent first, with the time left on every clock.", roles(access.WorkLeads)},
	{"/sla", "SLA board", "Breaches and leads about to breach, compliance per rep, routing delay against rep delay.", roles(access.SeeBoards)},
	{"/deals", "Deals", "The pipeline board: open deals by stage with the weighted pipeline, won and lost; accounts and products.", roles(access.Read)},
	{"/inbox", "Inbox", "Every notification you get (breaches, escalations, alerts), with a link to its lead or alert.", roles(access.SignInPages)},
	{"/pacing", "Pacing", "Qualified leads against marketing's commitment, quality by campaign, campaign ROI.", roles(access.SeePacing)},
	{"/funnel", "Funnel", "Revenue against the goal, the probability of reaching it, the conversion waterfall, open alerts.", roles(access.Read)},
	{"/campaigns", "Campaigns", "Spend by month, leads, customers, revenue and ROI by campaign, the quality sales gave their leads, the lead review.", roles(access.Read)},
	{"/content", "Content", "Templates, call scripts and links for sales, their versions, how sales rate them, and what their use did.", roles(access.Read)},
	{"/agreement", "Agreement", "The agreement in force in plain words, its versions and their sign-offs.", roles(access.Read)},
	{"/scorecard", "Scorecard", "The monthly report both teams and the executives read, for any period.", roles(access.Read)},
	{"/meeting", "Meeting", "The monthly meeting: the scorecard's agenda, action items tracked to done, the lead review by campaign.", roles(access.Read)},
	{"/import", "Import", "Upload a CSV of leads, deals, users or campaign spend, map its columns, preview and run it.", roles(access.ImportAny)},
	{"/settings", "Settings", "Users, teams, API tokens and notification channels.", roles(access.Administer)},
}

// navItem is a link in the header.
type navItem struct {
	section
	Current bool
}

// nav lists the sections a role may open.
func nav(role tandem.Role, path string) []navItem {
	var items []navItem
	for _, sec := range sections {
		if allowed(sec.roles, role) {
			items = append(items, navItem{sec, sec.Path == path})
		}
	}
	return items
}

// home greets the signed-in user and lists their pages.
func (s *Server) home(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, http.StatusOK, "home", newPage(r, "Your pages"))
}

// soon answers a section whose page is not built yet.
func (s *Server) soon(sec section) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		p := newPage(r, sec.Title)
		p.Data = sec
		return s.render(w, http.StatusOK, "soon", p)
	}
}
