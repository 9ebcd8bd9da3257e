package http

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// unlinkedNames returns, for each name of names (a lead's name by its id)
// that the page's body shows as text outside a link to that lead's page,
// a line saying where. Text inside a tag (an attribute) and the head (the
// title) are not shown names; self is the lead whose own page this is,
// whose name its heading shows as the page's subject.
func unlinkedNames(body string, names map[string]int64, self int64) []string {
	if i := strings.Index(body, "</head>"); i >= 0 {
		body = body[i:]
	}
	anchor := regexp.MustCompile(`<a [^>]*href="/leads/(\d+)"[^>]*>$`)
	var bad []string
	for name, id := range names {
		for at := 0; ; {
			i := strings.Index(body[at:], name)
			if i < 0 {
				break
			}
			i += at
			at = i + len(name)
			before := body[:i]
			if strings.LastIndexByte(before, '<') > strings.LastIndexByte(before, '>') {
				continue // inside a tag: an attribute's value
			}
			if id == self && strings.HasSuffix(before, "<h1>") {
				continue
			}
			open := strings.LastIndex(before, "<a ")
			if open >= 0 && open > strings.LastIndex(before, "</a>") {
				tag := before[open:]
				tag = tag[:strings.IndexByte(tag, '>')+1]
				if m := anchor.FindStringSubmatch(tag); m != nil && m[1] == fmt.Sprint(id) {
					continue
				}
			}
			ctx := body[max(0, i-80):min(len(body), at+20)]
			bad = append(bad, fmt.Sprintf("%q (lead %d) not a link to /leads/%d: …%s…", name, id, id, ctx))
		}
	}
	return bad
}

// TestLeadNamesAreLinks opens every page of the web app that takes a GET,
// as an admin and as a rep, with leads handed off, about to breach and
// breached, and checks that every lead name it shows is a link to the
// lead's page (/leads/{id}).
func TestLeadNamesAreLinks(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ws := newWorkServer(t, b)
		names := map[string]int64{}
		var first int64
		for i, n := range []string{"Quinta Marsh", "Ulla Brandt", "Piet Vogel", "Odile Rames"} {
			fn, ln, _ := strings.Cut(n, " ")
			l := ws.postLead(fmt.Sprintf(`{"external_id": "n%d", "email": "n%d@nameco.example", "first_name": %q, "last_name": %q, "company": "Nameco", "score": 70}`, i, i, fn, ln))
			names[n] = l.ID
			if first == 0 {
				first = l.ID
			}
			if i == 1 {
				ws.clk.Advance(3 * time.Hour) // the first two breach their first touch
			}
		}
		cold := ws.postLead(`{"external_id": "n9", "first_name": "Xaver", "last_name": "Lindqvist", "score": 10}`)
		names["Xaver Lindqvist"] = cold.ID
		ws.clk.Advance(40 * time.Minute) // the last two are about to

		var paths []string
		for _, rt := range ws.s.routes() {
			method, path, _ := strings.Cut(rt.pattern, " ")
			if method != "GET" || !rt.isPage() || rt.roles == nil || strings.HasPrefix(path, "/static/") || strings.HasSuffix(path, "/export") {
				continue
			}
			path = strings.TrimSuffix(path, "{$}")
			if strings.Contains(path, "{id}") {
				for _, id := range []int64{first, cold.ID} {
					paths = append(paths, strings.ReplaceAll(path, "{id}", fmt.Sprint(id)))
				}
				continue
			}
			paths = append(paths, path)
		}
		// The list and the search show many names at once.
		paths = append(paths, "/leads?q=nameco", "/leads?sort=-last_name")
		for _, who := range []string{"sam@example.com", "mo@example.com", "mark@example.com", ws.byID[ws.mustLead(first).OwnerID]} {
			wc := ws.signIn(who)
			shown := 0
			for _, p := range paths {
				r := wc.get(p)
				if r.status != 200 {
					continue // a page this role may not open, or needs a form
				}
				self := int64(0)
				fmt.Sscanf(p, "/leads/%d", &self)
				for _, line := range unlinkedNames(string(r.body), names, self) {
					t.Errorf("%s as %s: %s", p, who, line)
				}
				for n := range names {
					if strings.Contains(string(r.body), ">"+n+"<") {
						shown++
					}
				}
			}
			if shown == 0 {
				t.Errorf("no page showed %s any lead name: the test proves nothing", who)
			}
		}
		// The SLA board shows both lists, with their names as links.
		r := ws.signIn("sam@example.com").get("/sla")
		want(t, "the SLA board", r, 200, fmt.Sprintf(`<a href="/leads/%d">Quinta Marsh</a>`, names["Quinta Marsh"]),
			fmt.Sprintf(`<a href="/leads/%d">Odile Rames</a>`, names["Odile Rames"]))
	})
}

// mustLead reads a lead, or fails the test.
func (ws *workServer) mustLead(id int64) tandem.Lead {
	ws.t.Helper()
	l, err := ws.db.Lead(ws.t.Context(), id)
	if err != nil {
		ws.t.Fatalf("Lead(%d): %v", id, err)
	}
	return l
}
