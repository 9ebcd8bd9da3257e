package browsertest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/password"
	"github.com/tandemhq/tandem/sim/company"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// phoneWidth is a phone's viewport width in CSS pixels (an iPhone 14's).
const phoneWidth = 390

// TestEveryPageAtPhoneWidth signs in as one person of each role in a
// simulated company and opens every page their navigation lists, and a
// lead's page, in a 390 px wide viewport: no page may be wider than the
// screen (a table too wide scrolls inside its own box, not the page), and
// every time on it is shown in the viewer's zone in one format (work.js).
// It takes a screenshot of each.
func TestEveryPageAtPhoneWidth(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		e := Start(t, b, epoch)
		ctx := context.Background()
		sim := company.Sim{Seed: 3, Leads: 400, Now: time.Date(2026, 11, 26, 15, 0, 0, 0, time.UTC), Agreement: agreement.Default(), AdminEmail: "ada@demo.example"}
		if _, err := sim.Run(ctx, e.DB, e.Clock); err != nil {
			t.Fatalf("simulating a company: %v", err)
		}
		const pw = "a long test password"
		hash := password.HashWith(pw, password.Params{Time: 1, Memory: 64, Threads: 1})
		people := []string{"ada@demo.example", "eve@demo.example", "mia@demo.example", "mark@demo.example",
			"sam@demo.example", "erin@demo.example", "rita@demo.example"}
		for _, email := range people {
			if _, err := e.DB.SetPassword(ctx, email, hash); err != nil {
				t.Fatalf("SetPassword(%s): %v", email, err)
			}
		}
		e.Viewport(phoneWidth, 844)
		checked := map[string]bool{}
		for _, email := range people {
			e.Open("/login")
			e.Submit("button[type=submit]", "#email", email, "#password", pw)
			paths := Run(e, "the navigation's links", chromedp.Evaluate[[]string](
				`Array.from(document.querySelectorAll("nav a[href^='/']")).map(a => a.getAttribute("href"))`))
			paths = append([]string{"/"}, paths...)
			// A lead's page too: the first lead, whom everyone but a rep may
			// read (a rep gets a page that says so, as wide as any other).
			paths = append(paths, "/leads/1")
			for _, p := range paths {
				e.Open(p)
				w := Run(e, "the page's width", chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
				if w > phoneWidth {
					t.Errorf("%s as %s is %d px wide in a %d px screen", p, email, w, phoneWidth)
				}
				// Every time is shown in the viewer's zone, in one format.
				if n := Run(e, "times left as the server wrote them", chromedp.Evaluate[int](
					`document.querySelectorAll("time[datetime]:not([data-local])").length`)); n > 0 {
					t.Errorf("%s as %s: %d times not shown in the viewer's zone", p, email, n)
				}
				// People by name, their email in a title (the SLA board's reps).
				if p == "/sla" && email == "sam@demo.example" {
					html := Run(e, "the board's HTML", chromedp.Evaluate[string](`document.querySelector("main").innerHTML`))
					if !strings.Contains(html, `title="rita@demo.example">Rita Rep<`) {
						t.Errorf("/sla as the sales head does not name Rita Rep by name with her email in a title")
					}
				}
				if !checked[p] {
					checked[p] = true
					e.Screenshot(fmt.Sprintf("phone-%s%s", b.Name, safeName(p)))
				}
			}
			e.Submit("header form button")
		}
		if len(checked) < 8 {
			t.Errorf("checked %d pages; want every section (at least 8)", len(checked))
		}
	})
}

// safeName turns a path into a file name's part.
func safeName(p string) string {
	out := []rune{}
	for _, r := range p {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			out = append(out, r)
		} else {
			out = append(out, '-')
		}
	}
	return string(out)
}
