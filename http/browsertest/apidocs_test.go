package browsertest

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
	"go.yaml.in/yaml/v3"
)

// TestAPIDocs opens /api/docs without signing in and sees Swagger UI list
// every operation that openapi.yaml describes (counted here from the file),
// with no request to another host and nothing the page's security policy
// refused.
func TestAPIDocs(t *testing.T) {
	raw, err := os.ReadFile("../openapi.yaml")
	if err != nil {
		t.Fatalf("reading openapi.yaml: %v", err)
	}
	var doc struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	want := 0
	for _, item := range doc.Paths {
		for m := range item {
			switch m {
			case "get", "post", "put", "patch", "delete":
				want++
			}
		}
	}

	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		e := Start(t, b, epoch)
		var (
			mu       sync.Mutex
			requests []string
			problems []string
		)
		if err := chromedp.Listen(e.ctx, func(ev any) {
			mu.Lock()
			defer mu.Unlock()
			switch ev := ev.(type) {
			case *network.EventRequestWillBeSent:
				requests = append(requests, ev.Request.URL)
			case *cdplog.EventEntryAdded:
				if ev.Entry.Level == cdplog.EntryLevelError {
					problems = append(problems, ev.Entry.Text+" ("+ev.Entry.URL+")")
				}
			}
		}); err != nil {
			t.Fatalf("listening to the tab: %v", err)
		}
		e.Do("enable the network and log domains", func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			if _, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{}); err != nil {
				return chromedp.Void{}, err
			}
			_, err := cdp.Call(ctx, tg, cdplog.Enable, cdp.Empty{})
			return chromedp.Void{}, err
		})

		e.Do("open /api/docs", chromedp.Navigate(e.URL+"/api/docs"),
			chromedp.WaitVisible(chromedp.CSS(".opblock")))
		n := Run(e, "count the operations", chromedp.Evaluate[int](`document.querySelectorAll(".opblock").length`))
		if n != want {
			t.Errorf("/api/docs shows %d operations; openapi.yaml describes %d", n, want)
		}
		if title := e.Text(".info .title"); !strings.Contains(title, "Tandem API") {
			t.Errorf("/api/docs title = %q; want Tandem API", title)
		}
		e.Screenshot("api-docs")

		mu.Lock()
		defer mu.Unlock()
		if len(requests) == 0 {
			t.Fatalf("saw no requests at all: the listener is not working")
		}
		for _, u := range requests {
			if !strings.HasPrefix(u, e.URL+"/") && !strings.HasPrefix(u, "data:") {
				t.Errorf("/api/docs requested %s, off this server", u)
			}
		}
		for _, p := range problems {
			t.Errorf("/api/docs logged an error: %s", p)
		}
	})
}
