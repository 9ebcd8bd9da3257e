// Package browsertest runs Tandem's web app in a real headless Chromium for
// tests: [Start] serves a fresh database with the real HTTP server on
// 127.0.0.1:0 and opens a browser on it, through chromedp.
//
// The browser is Debian's chromium (apt-get install -y chromium). When it is
// missing, tests skip, unless TANDEM_TEST_BROWSER=1 says it must be there
// (CI sets it), and then they fail.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/tandemhq/tandem/clock"
	tandemhttp "github.com/tandemhq/tandem/http"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// EnvBrowser names the variable that, set to 1, makes a missing browser a
// failure rather than a skip.
const EnvBrowser = "TANDEM_TEST_BROWSER"

// browsers are the names Chromium goes by, in the order tried.
var browsers = []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"}

// Env is one test's server and browser.
type Env struct {
	t     *testing.T
	DB    *sqldb.DB
	Clock *clock.Fake
	URL   string // the server's base URL
	ctx   context.Context
	shots string
}

// Timeout bounds each step a test runs in the browser.
const Timeout = 60 * time.Second

// Start serves a fresh database on backend b with a fake clock stopped at
// now, and opens a headless Chromium with a profile of its own. Both stop
// when the test ends.
func Start(t *testing.T, b sqldbtest.Backend, now time.Time) *Env {
	t.Helper()
	if testing.Short() {
		t.Skip("drives a real browser; skipped in -short mode")
	}
	path := findBrowser(t)
	clk := clock.NewFake(now)
	db, err := sqldb.Open(context.Background(), b.DSN, sqldb.Options{Clock: clk})
	if err != nil {
		t.Fatalf("sqldb.Open(%s): %v", b.Name, err)
	}
	t.Cleanup(func() { db.Close() })
	s := tandemhttp.NewServer(db, nil)
	if err := s.Open("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Close(ctx)
	})

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	start := time.Now()
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("starting %s: %v", path, err)
	}
	t.Logf("%s started in %v", path, time.Since(start).Round(time.Millisecond))
	return &Env{t: t, DB: db, Clock: clk, URL: s.URL(), ctx: ctx}
}

// findBrowser returns Chromium's path, or skips (fails, under
// TANDEM_TEST_BROWSER=1) the test.
func findBrowser(t *testing.T) string {
	t.Helper()
	for _, name := range browsers {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := fmt.Sprintf("no browser found (looked for %s): apt-get install -y chromium", strings.Join(browsers, ", "))
	if os.Getenv(EnvBrowser) == "1" {
		t.Fatalf("%s (%s=1, so this test must not skip)", msg, EnvBrowser)
	}
	t.Skip(msg)
	return ""
}

// Do runs steps in the browser's tab, failing the test at the first error.
func (e *Env) Do(what string, steps ...chromedp.Action[chromedp.Void]) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, Timeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		e.t.Fatalf("%s: %v", what, err)
	}
}

// Run runs one step that returns a value.
func Run[T any](e *Env, what string, a chromedp.Action[T]) T {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, Timeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		e.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// Open navigates to path on the server and waits for the page's main
// element.
func (e *Env) Open(path string) {
	e.t.Helper()
	e.Do("open "+path, chromedp.Navigate(e.URL+path), chromedp.WaitVisible(chromedp.CSS("main")))
}

// Path returns the path (and query) the tab is at.
func (e *Env) Path() string {
	e.t.Helper()
	return strings.TrimPrefix(Run(e, "location", chromedp.Location()), e.URL)
}

// Text returns the visible text of the first element the CSS selector
// matches.
func (e *Env) Text(css string) string {
	e.t.Helper()
	return Run(e, "text of "+css, chromedp.Text(chromedp.CSS(css)))
}

// Submit fills the form's fields (CSS selector of an input, value), clicks
// the button the selector names and waits for the next page.
func (e *Env) Submit(button string, fields ...string) {
	e.t.Helper()
	var steps []chromedp.Action[chromedp.Void]
	for i := 0; i+1 < len(fields); i += 2 {
		steps = append(steps, chromedp.SendKeys(chromedp.CSS(fields[i]), fields[i+1]))
	}
	// Mark the page, so that waiting finds the next one and not this one.
	mark := chromedp.Evaluate[string](`document.body.dataset.old = "1"`)
	steps = append(steps, func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := mark(ctx, t)
		return chromedp.Void{}, err
	},
		chromedp.Click(chromedp.CSS(button)),
		chromedp.WaitVisible(chromedp.CSS("body:not([data-old]) main")))
	e.Do("submit "+button, steps...)
}

// Cookies returns the browser's cookies for the server.
func (e *Env) Cookies() []*network.Cookie {
	e.t.Helper()
	return Run(e, "cookies", func(ctx context.Context, t *chromedp.Target) ([]*network.Cookie, error) {
		res, err := cdp.Call(ctx, t, network.GetCookies, network.GetCookiesParams{URLs: []string{e.URL}})
		return res.Cookies, err
	})
}

// SetCookie sets a cookie for the server, as an attacker replaying a stolen
// one would.
func (e *Env) SetCookie(name, value string) {
	e.t.Helper()
	e.Do("set cookie "+name, func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, t, network.SetCookie, network.SetCookieParams{Name: name, Value: value, URL: e.URL})
		return chromedp.Void{}, err
	})
}

// Screenshot writes a PNG of the whole page to the test's screenshot
// folder (made with os.MkdirTemp and logged once; it is kept after the
// test, for people to look at) and returns its path.
func (e *Env) Screenshot(name string) string {
	e.t.Helper()
	if e.shots == "" {
		dir, err := os.MkdirTemp("", "tandem-screenshots-")
		if err != nil {
			e.t.Fatal(err)
		}
		e.shots = dir
		e.t.Logf("screenshots in %s", dir)
	}
	png := Run(e, "screenshot "+name, chromedp.FullScreenshot(100))
	p := filepath.Join(e.shots, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// Viewport sets the page's size, for a phone's (390×844) or a laptop's.
func (e *Env) Viewport(width, height int64) {
	e.t.Helper()
	e.Do("viewport", chromedp.EmulateViewport(width, height))
}
