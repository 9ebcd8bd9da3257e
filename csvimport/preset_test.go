package csvimport

import (
	"bytes"
	"encoding/csv"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestPresetSamples(t *testing.T) {
	hubspot := func(kv ...string) map[string]string {
		return withFields(map[string]string{"source": "hubspot"}, kv...)
	}
	salesforce := func(kv ...string) map[string]string {
		return withFields(map[string]string{"source": "salesforce"}, kv...)
	}
	olist := func(kv ...string) map[string]string {
		return withFields(map[string]string{"source": "olist", "stage": "mql"}, kv...)
	}
	tests := []struct {
		preset, file string
		want         []item
	}{{
		preset: "hubspot", file: "hubspot.csv",
		want: []item{
			{Line: 2, Fields: hubspot("external_id", "51", "first_name", "Maria", "last_name", "Souza", "email", "maria.souza@lojabela.example",
				"phone", "+55 11 91234-5678", "company", "Loja Bela, Ltda", "title", "Head of Marketing", "country", "Brazil", "stage", "mql",
				"origin", "organic_search", "created_at", "2024-03-14T09:21:00", "score", "45", "attributes.owner", "Ana Lima", "attributes.industry", "RETAIL")},
			{Line: 3, Fields: hubspot("external_id", "52", "first_name", `John "Jack"`, "last_name", "O'Neil", "email", "jack@oneil.example",
				"company", "O'Neil & Sons", "title", "CEO", "country", "United States", "stage", "customer",
				"origin", "paid_social", "created_at", "2023-11-02T17:05:00", "score", "80", "attributes.owner", "Ben Carter", "attributes.industry", "CONSTRUCTION")},
			{Line: 4, Fields: hubspot("external_id", "53", "first_name", "Priya", "last_name", "Raman", "email", "PRIYA.RAMAN@Example.COM",
				"company", "Northwind Traders", "title", "VP Sales\nEMEA", "country", "India", "stage", "sql",
				"origin", "ai_referrals", "created_at", "2024-01-05T08:00:07")},
			{Line: 6, Fields: hubspot("external_id", "54", "first_name", "Lukas", "last_name", "Becker", "phone", "+49 30 1234567",
				"country", "Germany", "stage", "lead", "origin", "direct_traffic", "created_at", "2024-02-29", "attributes.owner", "Ana Lima")},
			{Line: 7, Column: "Lifecycle Stage", Reason: `"1009324" is not one of the values the mapping knows: "Marketing Qualified Lead", ` +
				`"Sales Qualified Lead", "customer", "evangelist", "lead", "marketingqualifiedlead", "opportunity", "other", "salesqualifiedlead", "subscriber"`},
		},
	}, {
		preset: "salesforce", file: "salesforce_report.csv",
		want: []item{
			{Line: 2, Fields: salesforce("external_id", "00Q5e00000AbCdE", "first_name", "Andy", "last_name", "Young", "title", "SVP, Operations",
				"company", "Dickenson plc", "email", "a_young@dickenson.example", "phone", "(620) 241-6200", "country", "USA", "origin", "purchased_list",
				"stage", "mql", "created_at", "2024-03-14T10:23:00", "attributes.rating", "Hot", "attributes.industry", "Consulting", "attributes.owner", "Dana Whitfield")},
			{Line: 3, Fields: salesforce("external_id", "00Q5e00000AbCdF", "first_name", "Tom", "last_name", "James", "company", "Delphi Chemicals",
				"phone", "(952) 346-3500", "origin", "phone_inquiry", "stage", "sal", "created_at", "2023-11-02T16:05:00")},
			{Line: 4, Fields: salesforce("external_id", "00Q5e00000AbCdG", "first_name", "Sandra", "last_name", `O'Brien "Sandy"`, "title", "Director of IT",
				"company", `Big "Data" Ltd.`, "email", "sandy@bigdata.example", "country", "Ireland", "origin", "partner_referral",
				"stage", "sql", "created_at", "2024-01-05", "attributes.rating", "Warm", "attributes.industry", "Technology", "attributes.owner", "Dana Whitfield")},
			{Line: 5, Fields: salesforce("external_id", "00Q5e00000AbCdH", "first_name", "Bertha", "last_name", "Boxer", "title", "Director of Vendor Relations",
				"company", "Farmers Coop. of Florida", "email", "bertha@fcof.example", "phone", "(850) 644-4200", "origin", "web",
				"stage", "recycled", "created_at", "2024-02-29T09:00:00", "attributes.rating", "Cold", "attributes.industry", "Agriculture", "attributes.owner", "Ravi Patel")},
			{Line: 6, Column: "Lead Status", Reason: `"Nurturing" is not one of the values the mapping knows: "Closed - Converted", "Closed - Not Converted", "Open - Not Contacted", "Working - Contacted"`},
		},
	}, {
		preset: "salesforce", file: "salesforce_api.csv",
		want: []item{
			{Line: 2, Fields: salesforce("external_id", "00Q5e00000AbCdE", "first_name", "Andy", "last_name", "Young", "title", "SVP, Operations",
				"company", "Dickenson plc", "email", "a_young@dickenson.example", "phone", "(620) 241-6200", "country", "USA", "origin", "purchased_list",
				"stage", "mql", "created_at", "2024-03-14T17:23:45Z", "attributes.rating", "Hot", "attributes.industry", "Consulting", "attributes.owner", "0055e000001AbcD")},
			{Line: 3, Fields: salesforce("external_id", "00Q5e00000AbCdF", "first_name", "Tom", "last_name", "James", "company", "Delphi Chemicals",
				"phone", "(952) 346-3500", "origin", "phone_inquiry", "stage", "sal", "created_at", "2023-11-02T21:05:00Z", "attributes.owner", "0055e000001AbcD")},
			{Line: 4, Fields: salesforce("external_id", "00Q5e00000AbCdJ", "first_name", "Ngozi", "last_name", "Okafor", "title", "Head of Growth\n(interim)",
				"company", "Okafor, Eze & Partners", "email", "ngozi@okafor.example", "country", "Nigeria", "origin", "web",
				"stage", "mql", "created_at", "2024-05-20T06:00:00Z", "attributes.rating", "Warm", "attributes.industry", "Legal", "attributes.owner", "0055e000001XyzW")},
			{Line: 6, Column: "CreatedDate", Reason: `"20/05/2024" is not a time in any of the formats "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05Z07:00", ` +
				`"1/2/2006, 3:04 PM", "1/2/2006 3:04 PM", "1/2/2006", "2006-01-02"`},
		},
	}, {
		preset: "olist", file: "olist.csv",
		want: []item{
			{Line: 2, Fields: olist("external_id", "3f2b9c0e8d7a41f6b5e4c3d2a1908f7e", "created_at", "2018-02-01", "attributes.landing_page_id", "6c1e8f0a2b3d4e5f60718293a4b5c6d7", "origin", "social")},
			{Line: 3, Fields: olist("external_id", "a90d1c3e5f7b9d2e4f6a8c0e1b3d5f7a", "created_at", "2017-10-20", "attributes.landing_page_id", "0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e", "origin", "paid_search")},
			{Line: 4, Fields: olist("external_id", "5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b", "created_at", "2018-03-22", "attributes.landing_page_id", "6c1e8f0a2b3d4e5f60718293a4b5c6d7")},
			{Line: 5, Fields: olist("external_id", "c0ffee00c0ffee00c0ffee00c0ffee00", "created_at", "2018-05-31", "attributes.landing_page_id", "fedcba9876543210fedcba9876543210", "origin", "unknown")},
			{Line: 6, Fields: olist("external_id", "d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6", "created_at", "2017-06-14", "attributes.landing_page_id", "0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e", "origin", "other_publicities")},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			m, err := Preset(tt.preset)
			if err != nil {
				t.Fatalf("Preset: %v", err)
			}
			data, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatalf("os.ReadFile: %v", err)
			}
			r, err := NewReader(bytes.NewReader(data), m)
			if err != nil {
				t.Fatalf("NewReader: %v", err)
			}
			got, fatal := readAll(t, r)
			if fatal != nil {
				t.Fatalf("Next: %v", fatal)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(item{}, "Record")); diff != "" {
				t.Errorf("rows mismatch (-want +got):\n%s", diff)
			}
			if r.BytesRead() != int64(len(data)) {
				t.Errorf("BytesRead() = %d; want %d", r.BytesRead(), len(data))
			}
		})
	}
}

func withFields(base map[string]string, kv ...string) map[string]string {
	m := maps.Clone(base)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// olistMQL is the real Olist file, kept outside the repository.
var olistMQL = filepath.Join("..", "..", "shared", "data", "olist-funnel", "olist_marketing_qualified_leads_dataset.csv")

func readOlist(tb testing.TB) []byte {
	data, err := os.ReadFile(olistMQL)
	if os.IsNotExist(err) {
		tb.Skipf("%s is absent", olistMQL)
	} else if err != nil {
		tb.Fatal(err)
	}
	return data
}

func TestOlistFile(t *testing.T) {
	data := readOlist(t)

	// Count the origins independently, with encoding/csv alone.
	records, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("ReadAll: %v", err)
	}
	want := map[string]int{}
	for _, rec := range records[1:] {
		want[rec[3]]++
	}

	m, err := Preset("olist")
	if err != nil {
		t.Fatalf("Preset: %v", err)
	}
	r, err := NewReader(bytes.NewReader(data), m)
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	got := map[string]int{}
	hex32 := regexp.MustCompile(`^[0-9a-f]{32}$`)
	ids := map[string]bool{}
	rows, errs := 0, 0
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		} else if re, ok := err.(*RowError); ok {
			errs++
			t.Errorf("%v", re)
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		rows++
		got[row.Fields["origin"]]++
		f := row.Fields
		if !hex32.MatchString(f["external_id"]) || ids[f["external_id"]] {
			t.Errorf("line %d: external_id %q is not a new 32-hex id", row.Line, f["external_id"])
		}
		ids[f["external_id"]] = true
		if f["source"] != "olist" || row.Initial["stage"] != "mql" || len(f["created_at"]) != len("2018-02-01") || f["attributes.landing_page_id"] == "" {
			t.Errorf("line %d: fields %v", row.Line, f)
		}
		if row.Line != rows+1 {
			t.Errorf("row %d is on line %d; want %d", rows, row.Line, rows+1)
		}
	}
	if rows != 8000 || errs != 0 {
		t.Errorf("read %d rows and %d errors; want 8000 and 0", rows, errs)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows per origin mismatch (-encoding/csv +Reader):\n%s", diff)
	}
	if got[""] != 60 {
		t.Errorf("%d rows have no origin; the data set's README says 60", got[""])
	}
	if r.BytesRead() != int64(len(data)) {
		t.Errorf("BytesRead() = %d; want %d", r.BytesRead(), len(data))
	}
}

func BenchmarkOlist(b *testing.B) {
	data := readOlist(b)
	m, err := Preset("olist")
	if err != nil {
		b.Fatalf("Preset: %v", err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(data), m)
		if err != nil {
			b.Fatalf("NewReader: %v", err)
		}
		n := 0
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != 8000 {
			b.Fatalf("%d rows", n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/8000, "ns/row")
}
