package http

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/outbox"
	"github.com/tandemhq/tandem/sqldb"
)

// The inbox (/inbox): every in-app notification a person gets (breaches
// and their escalations, jeopardy alerts…), newest first, each with a link
// to its lead or alert; mark one or all read. The count of unread ones is
// in every page's header (page.Unread). The API has the same:
// GET /api/v1/inbox, POST /api/v1/inbox/{id}/read, POST /api/v1/inbox/read.

// inboxView is the inbox page's data.
type inboxView struct {
	Items  []inboxItemView
	Unread int
	Only   bool   // only the unread ones
	Next   string // the next page's query; "" at the end
	Top    int64  // the newest notification shown: "mark all read" stops there
}

type inboxItemView struct {
	sqldb.InboxItem
	Link, LinkText string
}

// inboxLink is where a notification leads: its lead's page, or for a
// jeopardy alert the funnel, which lists the open alerts.
func inboxLink(it sqldb.InboxItem) (string, string) {
	switch {
	case it.Type == outbox.AlertRaised && it.AlertPeriod == "":
		return fmt.Sprintf("/funnel#alert-%d", it.AlertID), "See the alert on the funnel"
	case it.Type == outbox.AlertRaised:
		return fmt.Sprintf("/funnel?period=%s#alert-%d", url.QueryEscape(it.AlertPeriod), it.AlertID), "See the alert on the funnel"
	case it.Type == outbox.ActionItemAdded && it.MeetingPeriod != "":
		return fmt.Sprintf("/meeting/%s#items", url.PathEscape(it.MeetingPeriod)), "See the meeting's action items"
	case it.LeadID != 0:
		return fmt.Sprintf("/leads/%d", it.LeadID), fmt.Sprintf("Open lead %d", it.LeadID)
	}
	return "", ""
}

// inboxFilter reads ?before=ID&unread=1&limit=N.
func inboxFilter(r *http.Request) (sqldb.InboxFilter, error) {
	var f sqldb.InboxFilter
	err := eachParam(r, func(name, v string, bad func(string)) {
		n, err := strconv.ParseInt(v, 10, 64)
		switch name {
		case "before":
			if err != nil || n < 1 {
				bad(fmt.Sprintf("%q is not a notification id", v))
			}
			f.Before = n
		case "unread":
			f.Unread = v == "1" || v == "true"
			if !f.Unread && v != "0" && v != "false" && v != "" {
				bad("must be 1 (only the unread) or 0")
			}
		case "limit":
			if err != nil || n < 1 || n > sqldb.MaxInboxPage {
				bad(fmt.Sprintf("must be a whole number between 1 and %d", sqldb.MaxInboxPage))
			}
			f.Limit = int(n)
		case "read":
			// the notice of the form the page comes back from
		default:
			bad("not a parameter of the inbox (before, unread, limit)")
		}
	})
	return f, err
}

// inboxPage answers GET /inbox.
func (s *Server) inboxPage(w http.ResponseWriter, r *http.Request) error {
	f, err := inboxFilter(r)
	if err != nil {
		return err
	}
	in, err := s.DB.Inbox(r.Context(), viewer(r).ID, f)
	if err != nil {
		return err
	}
	v := inboxView{Unread: in.Unread, Only: f.Unread}
	for _, it := range in.Items {
		link, text := inboxLink(it)
		v.Items = append(v.Items, inboxItemView{it, link, text})
	}
	if len(in.Items) > 0 && f.Before == 0 {
		v.Top = in.Items[0].ID
	}
	if in.Next != 0 {
		v.Next = "before=" + strconv.FormatInt(in.Next, 10)
		if f.Unread {
			v.Next += "&unread=1"
		}
	}
	p := newPage(r, "Inbox")
	p.Data = v
	switch r.URL.Query().Get("read") {
	case "":
	case "all":
		p.Notice = "your inbox is read."
	default:
		p.Notice = "notification " + r.URL.Query().Get("read") + " is read."
	}
	return s.render(w, http.StatusOK, "inbox", p)
}

// postInboxRead marks one notification read and goes back to the inbox,
// or, with follow=1, on to what it links to.
func (s *Server) postInboxRead(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := s.DB.MarkRead(r.Context(), viewer(r).ID, id); err != nil {
		return err
	}
	http.Redirect(w, r, "/inbox?read="+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

// postInboxOpen marks a notification read and opens what it links to: the
// inbox's links are buttons that post here, so following one reads it.
func (s *Server) postInboxOpen(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	n, err := s.DB.MarkRead(r.Context(), viewer(r).ID, id)
	if err != nil {
		return err
	}
	in, err := s.DB.Inbox(r.Context(), viewer(r).ID, sqldb.InboxFilter{Before: id + 1, Limit: 1})
	if err != nil {
		return err
	}
	target := "/inbox"
	if len(in.Items) == 1 && in.Items[0].ID == n.ID {
		if link, _ := inboxLink(in.Items[0]); link != "" {
			target = link
		}
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

// postInboxReadAll marks the inbox read up to the newest notification the
// page showed (upto), so that one that arrived since stays unread.
func (s *Server) postInboxReadAll(w http.ResponseWriter, r *http.Request) error {
	upTo, err := upToField(r.PostForm.Get("upto"))
	if err != nil {
		return err
	}
	if _, err := s.DB.MarkAllRead(r.Context(), viewer(r).ID, upTo); err != nil {
		return err
	}
	http.Redirect(w, r, "/inbox?read=all", http.StatusSeeOther)
	return nil
}

func upToField(v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 {
		return 0, tandem.Invalid(tandem.FieldError{Field: "upto", Message: fmt.Sprintf("%q is not a notification id", v)})
	}
	return n, nil
}

// inboxReadJSON answers the API's mark read.
type inboxReadJSON struct {
	Notification sqldb.Notification `json:"notification"`
	Unread       int                `json:"unread"`
}

// postAPIInboxRead answers POST /api/v1/inbox/{id}/read: 404 for a
// notification that is not in the caller's inbox.
func (s *Server) postAPIInboxRead(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if r.ContentLength != 0 { // no body, or an empty object
		var none struct{}
		if err := decodeStrict(r.Body, &none); err != nil {
			return err
		}
	}
	tok := caller(r)
	if tok.UserID == 0 {
		return tandem.Errorf(tandem.ENOTFOUND, "notification %d is not in your inbox: token %s acts for no user, and has an empty inbox", id, tok.Name)
	}
	n, err := s.DB.MarkRead(r.Context(), tok.UserID, id)
	if err != nil {
		return err
	}
	unread, err := s.DB.UnreadCount(r.Context(), tok.UserID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, inboxReadJSON{n, unread})
}

// postAPIInboxReadAll answers POST /api/v1/inbox/read {"up_to": ID}: every
// unread notification of the caller's inbox up to that id (all of them
// with {}) is read. The body is required, so that an empty post by
// mistake reads nothing.
func (s *Server) postAPIInboxReadAll(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		UpTo int64 `json:"up_to"`
	}
	if err := decodeStrict(r.Body, &req); err != nil {
		return err
	}
	if req.UpTo < 0 {
		return tandem.Invalid(tandem.FieldError{Field: "up_to", Message: "must be a notification id"})
	}
	tok := caller(r)
	marked, unread := 0, 0
	if tok.UserID != 0 {
		var err error
		if marked, err = s.DB.MarkAllRead(r.Context(), tok.UserID, req.UpTo); err != nil {
			return err
		}
		if unread, err = s.DB.UnreadCount(r.Context(), tok.UserID); err != nil {
			return err
		}
	}
	return writeJSON(w, http.StatusOK, map[string]int{"marked": marked, "unread": unread})
}

type unreadKey struct{}

// withUnread gives the request's pages the count of the viewer's unread
// notifications for the header, counted only when a page's layout asks
// ([page.Unread]): fragments and redirects count nothing.
func (s *Server) withUnread(r *http.Request, u tandem.User) *http.Request {
	ctx := r.Context()
	count := func() int {
		n, err := s.DB.UnreadCount(ctx, u.ID)
		if err != nil {
			s.Logger.Warn("unread count", "user", u.ID, "err", err)
			return 0
		}
		return n
	}
	return r.WithContext(context.WithValue(ctx, unreadKey{}, count))
}

// Unread is the viewer's count of unread notifications, for the header.
func (p page) Unread() int {
	if p.unread == nil {
		return 0
	}
	return p.unread()
}
