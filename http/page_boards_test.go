package http

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/access"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/report"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
	"github.com/tandemhq/tandem/web"
)

// boardServer is a work server (the staff of the SLA tests under the
// signed default agreement) whose staff and one admin may sign in.
type boardServer struct {
	*workServer
}

func newBoardServer(t *testing.T, b sqldbtest.Backend) *boardServer {
	t.Helper()
	ws := newWorkServer(t, b)
	ctx := context.Background()
	admin := tandem.User{Email: "ada@example.com", Role: tandem.RoleAdmin}
	if err := ws.db.CreateUser(ctx, &admin); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	exec := tandem.User{Email: "eve@example.com", Role: tandem.RoleExecutive}
	if err := ws.db.CreateUser(ctx, &exec); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	ws.users[admin.Email], ws.users[exec.Email] = admin, exec
	for email := range ws.users {
		if _, err := ws.db.SetPassword(ctx, email, cheapHash()); err != nil {
			t.Fatalf("SetPassword: %v", err)
		}
	}
	return &boardServer{ws}
}

// browser signs the user in and returns their client.
func (bs *boardServer) browser(email string) *webClient {
	bs.t.Helper()
	wc := newWebClient(bs.t, bs.s.URL())
	if r := wc.login(email, testPassword); r.status != 303 {
		bs.t.Fatalf("sign in as %s = %v", email, r)
	}
	return wc
}

// testid returns the text of the element with the data-testid, tags removed.
func testid(body []byte, id string) string {
	re := regexp.MustCompile(`(?s)data-testid="` + regexp.QuoteMeta(id) + `"[^>]*>(.*?)</(dd|p|td|span|ol|ul|table)>`)
	m := re.FindSubmatch(body)
	if m == nil {
		return ""
	}
	return strings.Join(strings.Fields(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(string(m[1]), " ")), " ")
}

func TestManagementPages(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		bs := newBoardServer(t, b)
		ctx := context.Background()
		var leads []tandem.Lead
		for i := range 4 {
			l, _ := bs.routedLead(fmt.Sprintf("b%d", i))
			leads = append(leads, l)
		}
		bs.clk.Set(workStart.Add(2 * time.Hour))

		// Every page for every role the section lets in, and refused to
		// the others.
		pages := map[string][]tandem.Role{"/sla": roles(access.SeeBoards), "/pacing": roles(access.SeePacing), "/funnel": roles(access.Read), "/scorecard": roles(access.Read),
			"/agreement": roles(access.Read), "/scorecard/print": roles(access.Read), "/scorecard/export?format=csv": roles(access.Read)}
		for email, u := range bs.users {
			wc := bs.browser(email)
			for path, roles := range pages {
				r := wc.get(path)
				ok := false
				for _, role := range roles {
					ok = ok || role == u.Role
				}
				switch {
				case ok && r.status != 200:
					t.Errorf("GET %s as %s (%s) = %v; want 200", path, email, u.Role, r)
				case !ok && r.status != 403:
					t.Errorf("GET %s as %s (%s) = %v; want 403", path, email, u.Role, r)
				}
			}
		}

		// The pacing and funnel numbers are report.Pace's and report.Scorecard's.
		now := bs.db.Now()
		month := now.In(newYork).Format("2006-01")
		paced, err := report.Pace(ctx, bs.db, now, report.Request{Period: month, Known: true}, report.DefaultSeed)
		if err != nil {
			t.Fatalf("Pace: %v", err)
		}
		var mql int64 = -1
		for _, st := range paced.Pace.Stages {
			if st.Stage == "mql" {
				mql = st.Actual
			}
		}
		if mql != int64(len(leads)) {
			t.Errorf("report.Pace has %d mql so far; want %d", mql, len(leads))
		}
		exec := bs.browser("eve@example.com")
		r := exec.get("/pacing?period=" + month)
		if got := testid(r.body, "actual"); got != fmt.Sprint(mql) {
			t.Errorf("/pacing so far = %q; want %d (report.Pace)", got, mql)
		}
		if !strings.Contains(string(r.body), `data-chart="volume"`) || !strings.Contains(string(r.body), `id="chart-volume"`) {
			t.Errorf("/pacing has no chart with its data")
		}
		if strings.Contains(string(r.body), "<script>") {
			t.Errorf("/pacing has an inline script")
		}
		r = exec.get("/funnel?period=" + month)
		sc, err := report.Scorecard(ctx, bs.db, now, month)
		if err != nil {
			t.Fatalf("Scorecard: %v", err)
		}
		gp, err := report.Pace(ctx, bs.db, now, report.Request{Period: month, Known: true}, report.DefaultSeed)
		if err != nil {
			t.Fatalf("Pace: %v", err)
		}
		f := web.FormatFuncs()
		pct := f["pct"].(func(any) string)
		money := f["money"].(func(any) string)
		if got, want := testid(r.body, "probability"), pct(gp.Pace.Probability); !strings.HasPrefix(got, want+" ") {
			t.Errorf("/funnel probability = %q; want %s (report.Pace)", got, want)
		}
		if got, want := testid(r.body, "goal"), money(sc.Revenue.Goal); !strings.HasPrefix(got, want+" ") {
			t.Errorf("/funnel goal = %q; want %s (report.Scorecard)", got, want)
		}

		// The SLA board: the manager sees their team; the head everyone.
		r = bs.browser("mo@example.com").get("/sla")
		if !strings.Contains(string(r.body), "rita@example.com") || strings.Contains(string(r.body), "rob@example.com") {
			t.Errorf("/sla as mo (rita's manager) does not show rita's team only:\n%s", testid(r.body, "compliance"))
		}
		r = bs.browser("sam@example.com").get("/sla")
		if !strings.Contains(string(r.body), "rita@example.com") || !strings.Contains(string(r.body), "rob@example.com") {
			t.Errorf("/sla as the sales head does not show both reps")
		}
		if !strings.Contains(string(r.body), `<time datetime="`) {
			t.Errorf("/sla shows no <time> for the clocks")
		}
		// The scorecard page, and its print and export.
		r = exec.get("/scorecard?period=" + month)
		want(t, "GET /scorecard", r, 200, "The unified KPI", "/scorecard/print?period="+month)
		pageBody := string(r.body)
		r = exec.get("/scorecard/print?period=" + month)
		// The page shows the print view's funnel chart, the same drawing.
		if svg := svgOf(string(r.body), "funnel-chart"); svg == "" || svgOf(pageBody, "funnel-chart") != svg {
			t.Errorf("/scorecard's funnel chart differs from the print view's:\npage:  %q\nprint: %q", svgOf(pageBody, "funnel-chart"), svg)
		}
		if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("/scorecard/print CSP = %q; want no script at all", csp)
		}
		r = exec.get("/scorecard?period=nope")
		want(t, "GET /scorecard?period=nope", r, 422, "is not a period")
	})
}

func TestAgreementPage(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		bs := newBoardServer(t, b)
		ctx := context.Background()
		admin := bs.browser("ada@example.com")
		r := admin.get("/agreement")
		want(t, "GET /agreement", r, 200, "Version <strong>1</strong> is in force", "in plain words", "Propose a new version")

		// A bad file: every problem next to its line, and nothing stored.
		good := string(agreement.Default())
		bad := strings.Replace(good, "first_touch_within:", "first_touch_within: soon\n    ignored_key:", 1)
		_, perr := agreement.Parse("x", []byte(bad))
		if perr == nil {
			t.Fatal("the bad file parses")
		}
		before, _ := bs.db.AgreementVersions(ctx)
		r = admin.post("/agreement/propose", url.Values{"body": {bad}})
		want(t, "POST /agreement/propose (bad)", r, 422, "nothing was stored", `class="problem" data-line="`)
		ps := perr.(*agreement.Problems)
		for _, p := range ps.List {
			if !strings.Contains(string(r.body), fmt.Sprintf(`data-line="%d"><strong>Line %d`, p.Line, p.Line)) {
				t.Errorf("the page does not show the problem %v at its line", p)
			}
		}
		after, _ := bs.db.AgreementVersions(ctx)
		if len(after) != len(before) {
			t.Errorf("a bad file stored a version: %d versions, had %d", len(after), len(before))
		}
		// An admin or either head proposes; nobody else.
		want(t, "POST /agreement/propose as a marketer", bs.browser("mark@example.com").post("/agreement/propose", url.Values{"body": {good}}), 403)
		r = bs.browser("sam@example.com").post("/agreement/propose", url.Values{"body": {good}})
		want(t, "POST /agreement/propose as a head, the file in force", r, 200, "nothing changed: the file is the same as version 1")

		// The form: a bad value is shown beside its field, nothing stored.
		r = admin.get("/agreement")
		want(t, "the agreement form", r, 200, `data-testid="agreement-form"`, `name="f:sales.first_touch_within" value="10m"`,
			`name="f:business_hours.days" value="mon, tue, wed, thu, fri"`)
		r = admin.post("/agreement/propose", url.Values{"via": {"form"}, "base": {"1"}, "f:sales.first_touch_within": {"banana"},
			"f:goal.revenue": {"1300000"}})
		want(t, "the form with a bad value", r, 422, "nothing was stored")
		field := fieldBlock(string(r.body), "sales.first_touch_within")
		if !strings.Contains(field, `value="banana"`) || !strings.Contains(field, `data-testid="field-error"`) || !strings.Contains(field, "is not a span") {
			t.Errorf("the first-touch field after a bad value = %q; want the value typed and the problem beside it", field)
		}
		if f := fieldBlock(string(r.body), "goal.revenue"); !strings.Contains(f, `value="1300000"`) || strings.Contains(f, "field-error") {
			t.Errorf("the revenue field after another field's bad value = %q; want the value typed, no problem", f)
		}
		if after, _ := bs.db.AgreementVersions(ctx); len(after) != len(before) {
			t.Errorf("a bad form stored a version: %d versions, had %d", len(after), len(before))
		}

		// A good file becomes version 2, and the heads sign it.
		changed := strings.Replace(good, "first_touch_within: 10m", "first_touch_within: 15m", 1)
		if changed == good {
			t.Fatal("the default agreement has no first_touch_within: 10m")
		}
		r = admin.post("/agreement/propose", url.Values{"body": {changed}})
		want(t, "POST /agreement/propose", r, 303)
		r = bs.browser("mark@example.com").post("/agreement/sign", url.Values{"version": {"2"}})
		want(t, "POST /agreement/sign as marketing", r, 403)
		sam := bs.browser("sam@example.com")
		r = sam.get("/agreement")
		want(t, "GET /agreement as the sales head", r, 200, `data-testid="sign-2"`, "15m")
		want(t, "sign as the sales head", sam.post("/agreement/sign", url.Values{"version": {"2"}}), 303, "/agreement?signed=2")
		if v, _ := bs.db.AgreementInForce(ctx, bs.db.Now()); v.Version != 1 {
			t.Errorf("after one signature version %d is in force; want 1", v.Version)
		}
		// The sales head may not sign again, nor for marketing.
		r = sam.get("/agreement")
		if strings.Contains(string(r.body), `data-testid="sign-2"`) {
			t.Errorf("the sales head may still sign version 2")
		}
		mia := bs.browser("mia@example.com")
		want(t, "sign as the marketing head", mia.post("/agreement/sign", url.Values{"version": {"2"}}), 303)
		if v, _ := bs.db.AgreementInForce(ctx, bs.db.Now()); v.Version != 2 {
			t.Errorf("after both signatures version %d is in force; want 2", v.Version)
		}
		want(t, "GET /agreement after signing", mia.get("/agreement?signed=2"), 200, "it is in force", "Version <strong>2</strong> is in force")

		// The marketing head proposes version 3 through the form: the
		// value lands in the file, which keeps its comments.
		r = mia.post("/agreement/propose", url.Values{"via": {"form"}, "base": {"2"}, "f:sales.accept_within": {"3h"}})
		want(t, "the form, proposed by a head", r, 303, "/agreement?proposed=3")
		v3, err := bs.db.AgreementVersion(ctx, 3)
		if err != nil {
			t.Fatalf("version 3: %v", err)
		}
		a3, err := agreement.Parse("v3", []byte(v3.Body))
		if err != nil || a3.Sales.AcceptWithin.String() != "3h" || a3.Sales.FirstTouchWithin.String() != "15m" {
			t.Errorf("version 3 = %v (err %v); want accept within 3h and version 2's first touch, 15m", a3, err)
		}
		if !strings.Contains(v3.Body, "# call within the first 10 minutes") {
			t.Errorf("version 3 lost the file's comments")
		}
	})
}

// svgOf returns the <svg> element with the id in an HTML page, as written,
// or "".
func svgOf(page, id string) string {
	start := strings.Index(page, `<svg class="chart" id="`+id+`"`)
	if start < 0 {
		return ""
	}
	end := strings.Index(page[start:], "</svg>")
	if end < 0 {
		return ""
	}
	return page[start : start+end+len("</svg>")]
}

// fieldBlock returns the agreement form's block of the field with the path.
func fieldBlock(page, path string) string {
	start := strings.Index(page, `data-path="`+path+`"`)
	if start < 0 {
		return ""
	}
	end := strings.Index(page[start:], "</div>")
	if end < 0 {
		return page[start:]
	}
	return page[start : start+end]
}
