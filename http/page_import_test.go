package http

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

func countLeads(t testing.TB, db *sqldb.DB) int {
	t.Helper()
	page, err := db.Leads(context.Background(), tandem.LeadFilter{})
	if err != nil {
		t.Fatalf("Leads: %v", err)
	}
	return page.Total
}

// formPart is one part of a multipart form: a field, or a file when
// filename is set.
type formPart struct{ name, filename, content string }

// multipart posts a multipart form to path as a browser's form does.
func (wc *webClient) multipart(path string, parts ...formPart) response {
	wc.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, p := range parts {
		var w io.Writer
		var err error
		if p.filename != "" {
			w, err = mw.CreateFormFile(p.name, p.filename)
		} else {
			w, err = mw.CreateFormField(p.name)
		}
		if err != nil {
			wc.t.Fatal(err)
		}
		io.WriteString(w, p.content)
	}
	mw.Close()
	req, err := http.NewRequest("POST", wc.base+path, &body)
	if err != nil {
		wc.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: wc.cookie})
	resp, err := wc.client.Do(req)
	if err != nil {
		wc.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b.Bytes()}
}

// upload posts a file to the import page with the default kind.
func (wc *webClient) upload(name string, content []byte) response {
	wc.t.Helper()
	return wc.multipart("/import", formPart{"file", name, string(content)})
}

// waitImport polls an upload's status fragment until its run is done.
func (wc *webClient) waitImport(id string) response {
	wc.t.Helper()
	var status response
	for deadline := time.Now().Add(time.Minute); ; {
		status = wc.get("/import?upload=" + id + "&part=status")
		if status.status != 200 || strings.Contains(string(status.body), `data-done="true"`) || time.Now().After(deadline) {
			return status
		}
		time.Sleep(50 * time.Millisecond)
	}
}

const importCSV = "Record ID,E-mail,First Name,Score,Notes\n" +
	"a1,ann@example.com,Ann,70,<b>bold</b>\n" +
	"a2,bob@example.com,Bob,many,\n" +
	"a3,not-an-email,Cy,10,\n" +
	"a4,dee@example.com,Dee,,x\n"

// TestImportPage walks the import page: upload, map, preview, run, status
// and the rejects; a file that is not a CSV, an oversized one, and a rep.
func TestImportPage(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		db, _ := openDB(t, b)
		signDefault(t, db)
		s := startServer(t, db, nil)
		s.uploads().maxBytes = 4 << 10
		users := pageUsers(t, db)
		wc := newWebClient(t, s.URL())
		want(t, "sign in", wc.login(users[tandem.RoleMarketing].Email, testPassword), 303, "/")

		want(t, "the upload form", wc.get("/import"), 200, `enctype="multipart/form-data"`, "4 KiB")

		// Upload: to the mapping step, with the columns matched by name.
		r := wc.upload("leads.csv", []byte(importCSV))
		want(t, "upload", r, 303, "/import?upload=")
		loc := r.header.Get("Location")
		id := strings.TrimPrefix(loc, "/import?upload=")
		r = wc.get(loc)
		want(t, "the mapping step", r, 200, "leads.csv", "4 rows",
			`<option value="external_id" selected>`, `<option value="email" selected>`, `<option value="first_name" selected>`,
			`<option value="score" selected>`, `<option value="attributes.notes">`,
			// The preview: every row, with the store's verdict.
			"new lead", `column &#34;Score&#34;`, `column &#34;E-mail&#34;`)

		// A file of the company's own fits no preset: none is preselected.
		if strings.Contains(string(r.body), `data-testid="preset-matched"`) {
			t.Errorf("the mapping step preselects a preset for a file that fits none")
		}
		// A file in HubSpot's shape gets HubSpot's preset, and says why.
		hub := wc.upload("contacts.csv", []byte("Record ID,First Name,Last Name,Email,Create Date,Lifecycle Stage\n"+
			"901,Ann,Lee,ann@example.com,2026-10-01 09:30,Lead\n"))
		want(t, "upload a HubSpot export", hub, 303, "/import?upload=")
		want(t, "the HubSpot export's mapping step", wc.get(hub.header.Get("Location")), 200,
			`<option value="hubspot" selected>`, `data-testid="preset-matched"`, "The hubspot preset is chosen because")
		// Choosing none keeps none.
		r = wc.get(hub.header.Get("Location") + "&by=hand&preset=")
		want(t, "none chosen", r, 200, `<option value="">none`)
		if strings.Contains(string(r.body), `<option value="hubspot" selected>`) {
			t.Errorf("after choosing no preset, hubspot is still selected")
		}

		// A preset fills the columns it knows, and gives its source.
		want(t, "the hubspot preset", wc.get(loc+"&preset=hubspot"), 200, `<option value="hubspot" selected>`,
			`value="hubspot"`, `<option value="external_id" selected>`, `<option value="first_name" selected>`)

		// A mapping that uses a field twice is refused, with a message.
		form := url.Values{"upload": {id}, "mapped": {"1"}, "col0": {"external_id"}, "col1": {"email"},
			"col2": {"first_name"}, "col3": {"score"}, "col4": {"attributes.notes"}}
		bad := url.Values{"upload": {id}, "mapped": {"1"}, "col0": {"email"}, "col1": {"email"}}
		want(t, "a field twice", wc.get("/import?"+bad.Encode()), 422, "email is chosen for two columns")
		want(t, "run a field twice", wc.post("/import/run", bad), 422, "email is chosen for two columns")
		// HTML in a cell is text.
		r = wc.get("/import?" + form.Encode())
		want(t, "preview", r, 200, "attributes.notes", "&lt;b&gt;bold&lt;/b&gt;")
		if strings.Contains(string(r.body), "<b>bold</b>") {
			t.Errorf("a cell's HTML is in the page as markup")
		}
		if n := countLeads(t, db); n != 0 {
			t.Fatalf("%d leads before the run; want none (a preview writes nothing)", n)
		}

		// Run: the status fragment, polled until it is done.
		want(t, "run", wc.post("/import/run", form), 303, "/import?upload="+id)
		status := wc.waitImport(id)
		want(t, "the finished status", status, 200, "<progress", `max="4" value="4"`, "<strong>2</strong> taken in",
			"<strong>2</strong> rejected", "Download the rejects CSV")
		if strings.Contains(string(status.body), "hx-trigger") {
			t.Errorf("a finished import still polls:\n%s", status.body)
		}
		want(t, "the run's page", wc.get("/import?upload="+id), 200, "Import finished")

		// The rejects, with line numbers and reasons, as the CLI writes them.
		r = wc.get("/import?upload=" + id + "&part=rejects")
		want(t, "the rejects", r, 200)
		recs, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
		if err != nil {
			t.Fatalf("ReadAll: %v", err)
		}
		if len(recs) != 3 || strings.Join(recs[0][:4], ",") != "line,column,reason,Record ID" ||
			recs[1][0] != "3" || recs[1][1] != "Score" || recs[2][0] != "4" || recs[2][1] != "E-mail" {
			t.Errorf("rejects = %q", recs)
		}
		if _, err := os.Stat(s.uploads().byID[id].path); !os.IsNotExist(err) {
			t.Errorf("the uploaded file is still there after the run: %v", err)
		}
		// Running again starts nothing new.
		want(t, "run again", wc.post("/import/run", form), 303, "/import?upload="+id)

		// Another user cannot see the upload.
		other := newWebClient(t, s.URL())
		other.login(users[tandem.RoleAdmin].Email, testPassword)
		want(t, "another user's upload", other.get("/import?upload="+id), 404, "this upload is gone")

		// Not a CSV: a clear message, nothing kept.
		before := len(s.uploads().byID)
		for name, content := range map[string]string{
			"binary":       "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",
			"header only":  "Email,Name\n",
			"inconsistent": "Email,Name\na@example.com,A\nb@example.com,B,extra,more\n",
		} {
			want(t, name, wc.upload("x.csv", []byte(content)), 422, "Nothing was imported")
		}
		want(t, "oversized", wc.upload("big.csv", bytes.Repeat([]byte("a,b\n"), 2<<10)), 413, "over 4 KiB")
		if after := len(s.uploads().byID); after != before {
			t.Errorf("bad files left %d uploads", after-before)
		}
		if n := countLeads(t, db); n != 2 {
			t.Errorf("%d leads; want the 2 imported", n)
		}

		// A rep may not import.
		rep := newWebClient(t, s.URL())
		rep.login(users[tandem.RoleSalesRep].Email, testPassword)
		want(t, "a rep's upload", rep.upload("leads.csv", []byte(importCSV)), 403, "may not open this page")
		want(t, "a rep's import page", rep.get("/import"), 403, "may not open this page")
	})
}
