package http

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestUploadExpires uploads a file and lets the store's clock pass the
// hour an upload is kept: the next look at the uploads drops it from the
// server's map and removes its file. Each server has its own uploads.
func TestUploadExpires(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		db, clk := openDB(t, b)
		signDefault(t, db)
		s := startServer(t, db, nil)
		users := pageUsers(t, db)
		wc := newWebClient(t, s.URL())
		wc.login(users[tandem.RoleMarketing].Email, testPassword)

		r := wc.upload("leads.csv", []byte(importCSV))
		want(t, "upload", r, 303, "/import?upload=")
		id := strings.TrimPrefix(r.header.Get("Location"), "/import?upload=")
		u := s.uploads().byID[id]
		if u == nil {
			t.Fatalf("upload %s is not in the server's uploads", id)
		}
		if other := NewServer(db, nil); len(other.uploads().byID) != 0 {
			t.Errorf("a new server has %d uploads; want its own, none", len(other.uploads().byID))
		}

		clk.Advance(uploadTTL - time.Minute)
		want(t, "the upload before the hour", wc.get("/import?upload="+id), 200, "leads.csv")
		clk.Advance(2 * time.Minute)
		want(t, "the upload after the hour", wc.get("/import?upload="+id), 404, "this upload is gone")
		s.uploads().mu.Lock()
		n := len(s.uploads().byID)
		s.uploads().mu.Unlock()
		if n != 0 {
			t.Errorf("%d uploads in the map an hour later; want none", n)
		}
		if _, err := os.Stat(u.path); !os.IsNotExist(err) {
			t.Errorf("the expired upload's file is still there: %v", err)
		}
	})
}

// TestCloseWaitsForImport starts an import of many rows and closes the
// server at once: Close returns only when the import has stopped, so the
// database can be closed after it; the batches stored are whole, and an
// import cannot start once the server is closing.
func TestCloseWaitsForImport(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		db, _ := openDB(t, b)
		signDefault(t, db)
		s := NewServer(db, nil)
		if err := s.Open("127.0.0.1:0"); err != nil {
			t.Fatalf("Open: %v", err)
		}
		users := pageUsers(t, db)
		wc := newWebClient(t, s.URL())
		wc.login(users[tandem.RoleMarketing].Email, testPassword)

		var file strings.Builder
		file.WriteString("Record ID,E-mail\n")
		const rows = 20 * importBatch
		for i := range rows {
			fmt.Fprintf(&file, "x%d,lead%d@example.com\n", i, i)
		}
		r := wc.upload("many.csv", []byte(file.String()))
		want(t, "upload", r, 303, "/import?upload=")
		id := strings.TrimPrefix(r.header.Get("Location"), "/import?upload=")
		u := s.uploads().byID[id]
		form := url.Values{"upload": {id}, "mapped": {"1"}, "col0": {"external_id"}, "col1": {"email"}}
		want(t, "run", wc.post("/import/run", form), 303, "/import?upload="+id)

		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			t.Fatalf("Close: %v", err)
		}
		u.mu.Lock()
		run := u.run.importStatus
		u.mu.Unlock()
		if !run.Done {
			t.Fatalf("Close returned while the import was running (%d rows done)", run.Rows)
		}
		if run.Err != "" && !strings.Contains(run.Err, "the server shut down") {
			t.Errorf("the stopped import says %q; want it to name the shutdown", run.Err)
		}
		if run.Err == "" && run.Created != rows {
			t.Errorf("the import finished with %d created; want %d", run.Created, rows)
		}
		if n := countLeads(t, db); n != run.Created || n%importBatch != 0 {
			t.Errorf("%d leads stored; want the %d the import counted, in whole batches of %d", n, run.Created, importBatch)
		}
		if _, err := os.Stat(u.path); !os.IsNotExist(err) {
			t.Errorf("the uploaded file is still there after Close: %v", err)
		}
		var ran atomic.Bool
		if s.uploads().start(func(context.Context) { ran.Store(true) }) || ran.Load() {
			t.Errorf("an import started after Close")
		}
	})
}

// TestCloseCancelsImports checks the store's own contract with an import
// that runs until its context ends: Close cancels it and waits for it.
func TestCloseCancelsImports(t *testing.T) {
	st := newUploadStore()
	started := make(chan struct{})
	var ended atomic.Bool
	if !st.start(func(ctx context.Context) {
		close(started)
		<-ctx.Done()
		time.Sleep(50 * time.Millisecond) // an import finishing its batch
		ended.Store(true)
	}) {
		t.Fatal("start on an open store = false")
	}
	<-started
	st.close()
	if !ended.Load() {
		t.Errorf("close returned before the import ended")
	}
}

// TestCSVDownloadsAreSafe reads the CSV the API and the pages hand out
// (the scorecard, an import's rejects) with values a spreadsheet would run
// as formulas: each comes out behind a single quote (package csvout).
func TestCSVDownloadsAreSafe(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		ts := newTestServer(t, b)
		signDefault(t, ts.db)
		rs, err := ts.db.IntakeLeads(context.Background(), []tandem.LeadInput{{Fields: map[string]string{"external_id": "1",
			"email": "a@example.com", "campaign": "=1+1", "created_at": "2026-11-02T08:00:00Z"}}}, sqldb.IntakeOptions{DefaultSource: "@web"})
		if err != nil || rs[0].Err != nil {
			t.Fatal(err, rs)
		}
		r := ts.do("GET", "/api/v1/scorecard?period=2026-11&format=csv", tandem.RoleAdmin, "")
		want(t, "the scorecard CSV", r, 200, "campaign,marketing,'=1+1,")
		if strings.Contains(string(r.body), ",=1+1") {
			t.Errorf("the scorecard CSV holds the campaign as a formula:\n%s", r.body)
		}

		users := pageUsers(t, ts.db)
		wc := newWebClient(t, ts.s.URL())
		wc.login(users[tandem.RoleMarketing].Email, testPassword)
		want(t, "the scorecard export", wc.get("/scorecard/export?period=2026-11&format=csv"), 200, "campaign,marketing,'=1+1,")
		r = wc.upload("evil.csv", []byte("Record ID,E-mail\n=cmd|' /C calc'!A0,not-an-email\n=cmd|' /C calc'!A0,b@example.com\n"))
		want(t, "upload", r, 303, "/import?upload=")
		id := strings.TrimPrefix(r.header.Get("Location"), "/import?upload=")
		form := url.Values{"upload": {id}, "mapped": {"1"}, "col0": {"external_id"}, "col1": {"email"}}
		want(t, "run", wc.post("/import/run", form), 303, "/import?upload="+id)
		// The second row has the first's key: a duplicate, counted.
		want(t, "the status", wc.waitImport(id), 200, "<strong>2</strong> rejected", `<strong data-testid="duplicates">1</strong> of them duplicates`)
		want(t, "the rejects", wc.get("/import?upload="+id+"&part=rejects"), 200, "\n2,E-mail,", ",'=cmd|' /C calc'!A0,not-an-email\n",
			"\n3,Record ID,\"a duplicate: line 2 has the same source and external_id")
	})
}
