package http

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/inbound"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// postForm sends a form post with the headers a browser would.
func (ts *testServer) postFormWith(path, contentType, body string, header map[string]string) response {
	ts.t.Helper()
	req, err := http.NewRequest(http.MethodPost, ts.s.URL()+path, strings.NewReader(body))
	if err != nil {
		ts.t.Fatalf("NewRequest: %v", err)
	}
	req.Header.Set("Content-Type", contentType)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return ts.send(req)
}

// send sends req without following redirects and reads the response.
func (ts *testServer) send(req *http.Request) response {
	ts.t.Helper()
	c := *ts.client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		ts.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		ts.t.Fatalf("%s %s: reading the response: %v", req.Method, req.URL, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func saveForm(t *testing.T, db *sqldb.DB, f inbound.Form) inbound.Form {
	t.Helper()
	if f.Mapping == "" {
		f.Mapping = inbound.DefaultFormMapping
	}
	if f.PerMinute == 0 {
		f.PerMinute = 100
	}
	f, err := db.SaveForm(context.Background(), f)
	if err != nil {
		t.Fatalf("SaveForm(%s): %v", f.Name, err)
	}
	return f
}

func TestFormPosts(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		ts := newTestServer(t, b)
		site := "http://127.0.0.1:9"
		f := saveForm(t, ts.db, inbound.Form{Name: "contact", Origins: []string{site}, Honeypot: "website", Campaign: "spring", Thanks: "Thanks, we will call."})
		urlenc := "application/x-www-form-urlencoded"
		browser := func(origin string) map[string]string {
			return map[string]string{"Origin": origin, "Sec-Fetch-Site": "cross-site"}
		}

		// A browser on the form's origin: taken, the thank-you text shown.
		r := ts.postFormWith("/f/contact", urlenc, url.Values{"email": {"ines@example.com"}, "first_name": {"Ines"}, "submission_id": {"s1"}}.Encode(), browser(site))
		if r.status != http.StatusOK || !strings.Contains(string(r.body), "Thanks, we will call.") {
			t.Errorf("POST /f/contact from %s = %v; want 200 with the thank-you text", site, r)
		}
		if got := r.header.Get("Access-Control-Allow-Origin"); got != site {
			t.Errorf("POST /f/contact from %s: Access-Control-Allow-Origin = %q; want %q", site, got, site)
		}
		// The same submission id again: the same lead, nothing new.
		r = ts.postFormWith("/f/contact", "application/json", `{"email":"ines@example.com","submission_id":"s1"}`, browser(site))
		var ans formAnswer
		if err := json.Unmarshal(r.body, &ans); err != nil || r.status != http.StatusOK || !ans.Repeated || ans.LeadID == 0 {
			t.Errorf("POST /f/contact (s1 again, JSON) = %v; want 200, repeated, with the lead", r)
		}
		lead, err := ts.db.Lead(context.Background(), ans.LeadID)
		if err != nil || lead.Email != "ines@example.com" || lead.Campaign != "spring" || lead.Source != "form-contact" || lead.FirstName != "Ines" {
			t.Errorf("the form's lead = %+v, %v; want ines@example.com, Ines, campaign spring, source form-contact", lead, err)
		}
		// Another site's browser: refused, nothing taken.
		r = ts.postFormWith("/f/contact", urlenc, "email=evil%40example.com", browser("http://127.0.0.1:10"))
		if r.status != http.StatusForbidden {
			t.Errorf("POST /f/contact from another origin = %v; want 403", r)
		}
		if r.header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("POST /f/contact from another origin has CORS headers: %v", r.header)
		}
		// A server's post (no Origin, no Sec-Fetch-Site): taken, as JSON.
		r = ts.postFormWith("/f/contact", "application/json", `{"email":"max@example.com","company":"Acme"}`, nil)
		if r.status != http.StatusCreated {
			t.Errorf("POST /f/contact (JSON, no origin) = %v; want 201", r)
		}
		// The honeypot: the bot sees success, the post is refused.
		r = ts.postFormWith("/f/contact", urlenc, "email=bot%40example.com&website=http%3A%2F%2Fspam", browser(site))
		if r.status != http.StatusOK {
			t.Errorf("POST /f/contact with the honeypot filled = %v; want 200 (a bot is not told)", r)
		}
		// A post the mapping refuses: 422 naming the field.
		r = ts.postFormWith("/f/contact", "application/json", `{"first_name":"No email"}`, nil)
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), "email") {
			t.Errorf("POST /f/contact without email = %v; want 422 naming email", r)
		}
		// A required field sent empty, as a browser sends an empty input.
		r = ts.postFormWith("/f/contact", urlenc, "email=&first_name=Empty", map[string]string{"Accept": "application/json"})
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), "email") {
			t.Errorf("POST /f/contact with an empty email = %v; want 422 naming email", r)
		}
		// A multipart post.
		r = ts.postFormWith("/f/contact", "multipart/form-data; boundary=XX",
			"--XX\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\nmulti@example.com\r\n--XX--\r\n", map[string]string{"Accept": "application/json"})
		if r.status != http.StatusCreated {
			t.Errorf("POST /f/contact (multipart) = %v; want 201", r)
		}
		// No such form.
		if r := ts.postFormWith("/f/nope", urlenc, "email=a%40b.c", nil); r.status != http.StatusNotFound {
			t.Errorf("POST /f/nope = %v; want 404", r)
		}

		ss, err := ts.db.Submissions(context.Background(), f.ID, 100)
		if err != nil {
			t.Fatalf("Submissions: %v", err)
		}
		var got []string
		for _, s := range ss {
			got = append(got, s.Status)
		}
		// Newest first: multipart, empty email, no email, honeypot, server, other origin, s1.
		want := []string{"accepted", "refused", "refused", "refused", "accepted", "refused", "accepted"}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("the form's submissions = %v; want %v", got, want)
		}
		leads, err := ts.db.Leads(context.Background(), tandem.LeadFilter{Equal: map[string]string{"source": "form-contact"}})
		if err != nil || len(leads.Leads) != 3 {
			t.Errorf("leads of source form-contact = %d; want 3 (ines, max, multi)", len(leads.Leads))
		}
	})
}

func TestFormPreflightAndLimit(t *testing.T) {
	b := sqldbtest.Backends(t)[0]
	ts := newTestServer(t, b)
	site := "https://www.example.com"
	saveForm(t, ts.db, inbound.Form{Name: "quote", Origins: []string{site}, PerMinute: 3, Redirect: "https://www.example.com/thanks"})
	pre := func(origin string) response {
		req, _ := http.NewRequest(http.MethodOptions, ts.s.URL()+"/f/quote", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		return ts.send(req)
	}
	if r := pre(site); r.status != http.StatusNoContent || r.header.Get("Access-Control-Allow-Origin") != site || !strings.Contains(r.header.Get("Access-Control-Allow-Methods"), "POST") {
		t.Errorf("OPTIONS /f/quote from %s = %v %v; want 204 allowing POST from it", site, r, r.header)
	}
	if r := pre("https://evil.example.net"); r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("OPTIONS /f/quote from another origin allows it: %v", r.header)
	}
	h := map[string]string{"Origin": site, "Sec-Fetch-Site": "cross-site"}
	for i := range 3 {
		r := ts.postFormWith("/f/quote", "application/x-www-form-urlencoded", "email=a"+string(rune('a'+i))+"%40example.com", h)
		if r.status != http.StatusSeeOther || r.header.Get("Location") != "https://www.example.com/thanks" {
			t.Errorf("post %d = %v (Location %q); want 303 to the form's redirect", i+1, r, r.header.Get("Location"))
		}
	}
	if r := ts.postFormWith("/f/quote", "application/x-www-form-urlencoded", "email=z%40example.com", h); r.status != http.StatusTooManyRequests {
		t.Errorf("post 4 within a minute = %v; want 429", r)
	}
}
