package http

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/calfeed"
	"github.com/tandemhq/tandem/report"
)

// The account page (/account) shows what a person sets for themselves:
// their calendar feed (docs/integrations.md, "Calendar feeds"), made and
// turned off here, and the way to their password. The feed itself is
// served at /cal/TOKEN.ics to any calendar that has the URL: the token is
// the only key, as in every calendar subscription.

type accountView struct {
	Feed *feedView
	// URL and Webcal are a new feed's addresses, shown once after it is
	// made (only the token's hash is kept). Webcal is built here from the
	// server's own address, so the template may trust its scheme.
	URL    string
	Webcal template.URL
}

type feedView struct {
	CreatedAt, LastUsedAt time.Time
}

func (s *Server) getAccountPage(w http.ResponseWriter, r *http.Request) error {
	u := viewer(r)
	v := accountView{}
	f, ok, err := s.DB.CalendarFeedOf(r.Context(), u.ID)
	if err != nil {
		return err
	}
	if ok {
		v.Feed = &feedView{CreatedAt: f.CreatedAt, LastUsedAt: f.LastUsedAt}
	}
	p := newPage(r, "Your account")
	switch r.URL.Query().Get("done") {
	case "off":
		p.Notice = "your calendar feed is turned off: its address no longer answers."
	}
	if id := r.URL.Query().Get("shown"); id != "" {
		if sec, ok := s.shown.take(id, u.ID, s.DB.Now()); ok {
			v.URL, p.Notice = sec.Secret, sec.notice
			v.Webcal = template.URL("webcal://" + strings.TrimPrefix(strings.TrimPrefix(sec.Secret, "https://"), "http://"))
		} else {
			p.Error = "That feed address was shown once and is not shown again (nor kept): make a new one."
		}
	}
	p.Data = v
	return s.render(w, http.StatusOK, "me", p)
}

// postCalendarFeed makes the viewer a new calendar feed, which replaces
// the one they had, and shows its address once (see [shownOnce]).
func (s *Server) postCalendarFeed(w http.ResponseWriter, r *http.Request) error {
	u := viewer(r)
	_, token, err := s.DB.CreateCalendarFeed(r.Context(), u.ID)
	if err != nil {
		return err
	}
	feed := s.baseURL(r) + "/cal/" + token + ".ics"
	id := s.shown.put(u.ID, s.DB.Now(), onceSecret{
		secretView: secretView{What: "calendar feed", For: u.Email, Secret: feed},
		notice:     "your calendar feed is ready; an address you had before no longer answers.",
	})
	http.Redirect(w, r, "/account?shown="+url.QueryEscape(id)+"#feed-title", http.StatusSeeOther)
	return nil
}

// postRevokeCalendarFeed turns the viewer's calendar feed off.
func (s *Server) postRevokeCalendarFeed(w http.ResponseWriter, r *http.Request) error {
	if err := s.DB.RevokeCalendarFeed(r.Context(), viewer(r).ID); err != nil {
		return err
	}
	http.Redirect(w, r, "/account?done=off", http.StatusSeeOther)
	return nil
}

// baseURL is the address the request reached Tandem at: its scheme (as
// the trusted proxies say, see client.go) and its Host.
func (s *Server) baseURL(r *http.Request) string {
	scheme := "http"
	if s.client(r).HTTPS {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// getCalendarFeed serves the calendar feed of the token in the path,
// /cal/TOKEN.ics: the owner's open tasks as iCalendar (package calfeed),
// each linked to its lead's page. An unknown or revoked token gets 404.
func (s *Server) getCalendarFeed(w http.ResponseWriter, r *http.Request) error {
	token, ok := strings.CutSuffix(r.PathValue("file"), ".ics")
	if !ok {
		return tandem.Errorf(tandem.ENOTFOUND, "a calendar feed's address ends in .ics")
	}
	ctx := r.Context()
	u, err := s.DB.CalendarFeedUser(ctx, token)
	if err != nil {
		return err
	}
	now := s.DB.Now()
	q, err := s.DB.Queue(ctx, []int64{u.ID}, calfeedMax)
	if err != nil {
		return err
	}
	a, _, err := report.Agreement(ctx, s.DB, now)
	if err != nil {
		return err
	}
	base := s.baseURL(r)
	f := calfeed.Feed{Owner: u.Email, Now: now, Zone: a.BusinessHours.Location}
	if f.Owner == "" {
		f.Owner = u.Name
	}
	for _, it := range q {
		name := leadName(it.Lead.FirstName, it.Lead.LastName, it.Lead.Email, it.Lead.ID)
		if it.Lead.Company != "" {
			name += ", " + it.Lead.Company
		}
		f.Tasks = append(f.Tasks, calfeed.Task{Task: it.Task, Lead: name, Hot: it.Hot, Note: it.Note,
			URL: base + "/leads/" + strconv.FormatInt(it.Lead.ID, 10)})
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Content-Disposition", `inline; filename="tandem.ics"`)
	w.Header().Set("Cache-Control", "private, max-age=300")
	return calfeed.Write(w, f)
}

// calfeedMax is the most tasks a feed holds: the most urgent first.
const calfeedMax = 1000
