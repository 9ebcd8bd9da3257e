package http

import (
	"context"
	"net/url"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/content"
	"github.com/tandemhq/tandem/sqldb"
)

// What a queue row shows of the content library (docs/content.md): the
// step's template filled in with the lead's fields, with "copy" and "open
// in my mail client", and other live content that fits the lead's segment.

// maxSuggest is how many other items a row suggests.
const maxSuggest = 5

// filledView is an item filled in for a row's lead.
type filledView struct {
	Code    string
	Title   string
	Kind    string
	Version int
	Subject string
	Body    string
	Link    string // the lead's tracked link, "" without a URL
	Mailto  string // "" for an item that is not an email, or a lead without an email
}

// rowContent is what one row needs to be filled: its lead and its rep.
type rowContent struct {
	row  *rowView
	lead tandem.Lead
	rep  tandem.User
}

// fillContent fills the rows' templates and suggestions, with one read of
// the library and one of the tracked links.
func (s *Server) fillContent(ctx context.Context, base string, rows []rowContent) error {
	if len(rows) == 0 {
		return nil
	}
	items, err := s.DB.ContentItems(ctx)
	if err != nil || len(items) == 0 {
		return err
	}
	byCode := map[string]content.Item{}
	for _, it := range items {
		byCode[it.Code] = it
	}
	picks := make([][]content.Item, len(rows))
	var keys []sqldb.LinkKey
	for i, rc := range rows {
		var pick []content.Item
		if it, ok := byCode[rc.row.Template]; ok && rc.row.HasTask && it.Status == content.StatusLive {
			pick = append(pick, it)
		}
		for _, it := range items {
			if len(pick) > maxSuggest || it.Code == rc.row.Template || !it.Fits(rc.lead.Segment) {
				continue
			}
			pick = append(pick, it)
		}
		for _, it := range pick {
			if it.URL != "" {
				keys = append(keys, sqldb.LinkKey{Code: it.Code, LeadID: rc.lead.ID})
			}
		}
		picks[i] = pick
	}
	tokens, err := s.DB.ContentLinks(ctx, keys)
	if err != nil {
		return err
	}
	for i, rc := range rows {
		for j, it := range picks[i] {
			link := ""
			if tok, ok := tokens[sqldb.LinkKey{Code: it.Code, LeadID: rc.lead.ID}]; ok {
				link = base + "/c/" + url.PathEscape(it.Code) + "/" + tok
			}
			f := content.FillItem(it, content.ValuesFor(rc.lead, rc.rep, link))
			v := filledView{Code: it.Code, Title: it.Title, Kind: it.Kind, Version: it.Version, Subject: f.Subject, Body: f.Body, Link: f.Link}
			if it.Kind == content.KindEmail && rc.lead.Email != "" {
				v.Mailto = content.Mailto(rc.lead.Email, f.Subject, f.Body)
			}
			if j == 0 && it.Code == rc.row.Template {
				rc.row.Content = &v
				continue
			}
			rc.row.Suggest = append(rc.row.Suggest, v)
		}
	}
	return nil
}

// queueLead is the lead of a queue row, as templates fill it.
func queueLead(q sqldb.QueueLead) tandem.Lead {
	return tandem.Lead{ID: q.ID, FirstName: q.FirstName, LastName: q.LastName, Company: q.Company, Email: q.Email,
		Phone: q.Phone, Stage: q.Stage, Title: q.Title, Country: q.Country, Segment: q.Segment}
}
