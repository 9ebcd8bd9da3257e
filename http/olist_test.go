package http

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"io/fs"
	"net/url"
	"os"
	"slices"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// olistFile is the Olist "Marketing Funnel" data set's list of marketing
// qualified leads, shared by the team outside the repository.
const olistFile = "../../shared/data/olist-funnel/olist_marketing_qualified_leads_dataset.csv" // beside the repository

// olistBatches reads the Olist leads file into JSON batches of up to 1,000
// leads, and counts its rows by origin with plain code of its own.
func olistBatches(t *testing.T) (batches []string, rows int, byOrigin map[string]int) {
	t.Helper()
	f, err := os.Open(olistFile)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("%s is absent", olistFile)
	} else if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("ReadAll: %v", err)
	}
	header := records[0]
	if want := []string{"mql_id", "first_contact_date", "landing_page_id", "origin"}; !slices.Equal(header, want) {
		t.Fatalf("%s: header %q; want %q", olistFile, header, want)
	}
	byOrigin = map[string]int{}
	var items []map[string]any
	for _, rec := range records[1:] {
		item := map[string]any{
			"source":      "olist",
			"external_id": rec[0],
			"created_at":  rec[1],
			"stage":       "mql",
			"attributes":  map[string]string{"landing_page_id": rec[2]},
		}
		if rec[3] != "" {
			item["origin"] = rec[3]
		}
		byOrigin[rec[3]]++
		items = append(items, item)
	}
	for len(items) > 0 {
		n := min(len(items), MaxBatch)
		b, err := json.Marshal(items[:n])
		if err != nil {
			t.Fatalf("json.Marshal: %v", err)
		}
		batches = append(batches, string(b))
		items = items[n:]
	}
	return batches, len(records) - 1, byOrigin
}

// TestOlistImport is the "done" check of lead intake through the API: the
// Olist file goes in by batches, the totals by origin match the file's own,
// and sending it all again changes nothing.
func TestOlistImport(t *testing.T) {
	t.Parallel()
	batches, rows, byOrigin := olistBatches(t)
	if rows != 8000 {
		t.Fatalf("%s has %d leads; want 8,000", olistFile, rows)
	}
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ts := newTestServer(t, b)
		for pass, want := range []string{"created", "unchanged"} {
			counts := map[string]int{}
			for i, batch := range batches {
				var got batchJSON
				ts.call("POST", "/api/v1/leads", tandem.RoleMarketing, batch, 200, &got)
				for _, r := range got.Results {
					counts[r.Status]++
					if r.Status != want {
						t.Fatalf("pass %d, batch %d, item %d = %+v; want %s", pass+1, i, r.Index, r, want)
					}
				}
			}
			if counts[want] != rows {
				t.Errorf("pass %d: %v; want %d %s", pass+1, counts, rows, want)
			}

			var all leadListJSON
			ts.call("GET", "/api/v1/leads?limit=1", tandem.RoleExecutive, "", 200, &all)
			if all.Total != 8000 {
				t.Errorf("after pass %d: Leads() total = %d; want 8000", pass+1, all.Total)
			}
			sum := 0
			for origin, n := range byOrigin {
				// An empty origin selects the leads that have none.
				q := "origin=" + url.QueryEscape(origin) + "&limit=1"
				var page leadListJSON
				ts.call("GET", "/api/v1/leads?"+q, tandem.RoleExecutive, "", 200, &page)
				if page.Total != n {
					t.Errorf("after pass %d: Leads(%s) total = %d; want %d", pass+1, q, page.Total, n)
				}
				if n > 0 && (len(page.Items) != 1 || page.Items[0].Origin != origin || page.Items[0].Source != "olist") {
					t.Errorf("after pass %d: Leads(%s) = %+v; want one olist lead from %q", pass+1, q, page.Items, origin)
				}
				sum += page.Total
			}
			if sum != 8000 {
				t.Errorf("after pass %d: the origins' totals add up to %d; want 8000", pass+1, sum)
			}
		}

		// One lead, field by field.
		var page leadListJSON
		ts.call("GET", "/api/v1/leads?source=olist&external_id=dac32acd4db4c29c230538b72f8dd87d", tandem.RoleExecutive, "", 200, &page)
		if len(page.Items) != 1 {
			t.Fatalf("the first lead of the file: %+v; want one", page)
		}
		l := page.Items[0]
		if l.Origin != "social" || l.Stage != "mql" || tandem.FormatTime(l.CreatedAt) != "2018-02-01T05:00:00Z" || // the day in New York, the default agreement's zone
			l.Attributes["landing_page_id"] != "88740e65d5d6b056e0cda098e1ea6313" || l.Version != 1 {
			t.Errorf("the first lead of the file = %+v; want origin social, stage mql, created 2018-02-01 in New York, landing page 88740e65…", l)
		}
	})
}
