package csvimport

import (
	"bytes"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/tandemhq/tandem"
)

// TestOlistDealsPreset reads a sample of the Olist closed-deals file (made
// up, in the real file's shape) through the deals preset.
func TestOlistDealsPreset(t *testing.T) {
	m, err := PresetFor("deals", "olist")
	if err != nil {
		t.Fatalf("PresetFor: %v", err)
	}
	data, err := os.ReadFile(filepath.Join("testdata", "olist_deals.csv"))
	if err != nil {
		t.Fatalf("os.ReadFile: %v", err)
	}
	r, err := NewReader(bytes.NewReader(data), m)
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	got, fatal := readAll(t, r)
	if fatal != nil {
		t.Fatal(fatal)
	}
	deal := func(kv ...string) map[string]string {
		return withFields(map[string]string{"source": "olist", "stage": "won"}, kv...)
	}
	want := []item{
		{Line: 2, Fields: deal("lead_external_id", "3f2b9c0e8d7a41f6b5e4c3d2a1908f7e", "account", "2c43fb513632d29b3b58df74816f1b06",
			"closed_at", "2018-02-26T19:58:54", "amount", "0.0", "attributes.sdr_id", "a8387c01a09e99ce014107505b92388c",
			"attributes.sr_id", "4ef15afb4b2723d8f3d81e51ec7afefe", "attributes.business_segment", "pet", "attributes.lead_type", "online_medium",
			"attributes.lead_behaviour_profile", "cat", "attributes.business_type", "reseller")},
		{Line: 3, Fields: deal("lead_external_id", "a90d1c3e5f7b9d2e4f6a8c0e1b3d5f7a", "account", "bbb7d7893a450660432ea6652310ebb7",
			"closed_at", "2018-05-08T20:17:59", "amount", "30000.0", "attributes.sdr_id", "09285259593c61296eef10c734121d5b",
			"attributes.sr_id", "d3d1e91a157ea7f90548eef82f1955e3", "attributes.lead_behaviour_profile", "cat, wolf",
			"attributes.has_company", "True", "attributes.has_gtin", "False", "attributes.average_stock", "5-20",
			"attributes.business_type", "manufacturer", "attributes.declared_product_catalog_size", "100.0")},
		{Line: 4, Fields: deal("lead_external_id", "5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b", "account", "612170e34b97004b3ba37eae81836b4c",
			"closed_at", "2018-06-05", "amount", "0.0", "attributes.sdr_id", "b90f87164b5f8c2cfa5c8572834dbe3f",
			"attributes.sr_id", "6565aa9ce3178a5caf6171827af3a9ba", "attributes.business_segment", "home_appliances",
			"attributes.lead_type", "online_big", "attributes.business_type", "reseller")},
		{Line: 5, Column: "won_date", Reason: `"05/06/2018" is not a time in any of the formats "2006-01-02 15:04:05", "2006-01-02"`},
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(item{}, "Record")); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	// Every target is a deal field.
	for _, it := range got {
		for name := range it.Fields {
			if _, ok := tandem.LookupDealField(name); !ok {
				t.Errorf("line %d: %q is not a deal field", it.Line, name)
			}
		}
	}
}

// olistDeals is the real Olist closed-deals file, kept outside the
// repository.
var olistDeals = filepath.Join("..", "..", "shared", "data", "olist-funnel", "olist_closed_deals_dataset.csv")

// TestOlistDealsFile reads the real file through the preset: every row, and
// each row's mql_id and won_date as encoding/csv reads them.
func TestOlistDealsFile(t *testing.T) {
	data, err := os.ReadFile(olistDeals)
	if os.IsNotExist(err) {
		t.Skipf("%s is absent", olistDeals)
	} else if err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("ReadAll: %v", err)
	}
	m, err := PresetFor("deals", "olist")
	if err != nil {
		t.Fatalf("PresetFor: %v", err)
	}
	r, err := NewReader(bytes.NewReader(data), m)
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	for i := 1; ; i++ {
		row, err := r.Next()
		if err == io.EOF {
			if i != len(records) {
				t.Errorf("read %d rows; encoding/csv reads %d", i-1, len(records)-1)
			}
			break
		} else if err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
		rec := records[i]
		// The wall clock, read later in the agreement's zone; a midnight
		// is the date alone.
		wantClosed := strings.TrimSuffix(strings.Replace(rec[4], " ", "T", 1), "T00:00:00")
		if row.Fields["lead_external_id"] != rec[0] || row.Fields["closed_at"] != wantClosed || row.Fields["account"] != rec[1] ||
			row.Fields["amount"] != rec[13] {
			t.Errorf("line %d: %v; want mql_id %s, won_date %s, seller %s, revenue %s", row.Line, row.Fields, rec[0], wantClosed, rec[1], rec[13])
		}
		if _, err := tandem.ParseAmount(row.Fields["amount"]); err != nil {
			t.Errorf("line %d: amount: %v", row.Line, err)
		}
	}
}

// TestUsersMapping reads users; a users mapping takes no attributes and no
// source.
func TestUsersMapping(t *testing.T) {
	m, err := ParseMapping("users.yaml", []byte("kind: users\nfields:\n  email: Email\n  role: {column: Role, normalize: snake_case}\n  manager: {column: Manager, optional: true}\nconstants:\n  team: Inbound\n"))
	if err != nil {
		t.Fatalf("ParseMapping: %v", err)
	}
	r, err := NewReader(strings.NewReader("Email,Role\nrex@example.com,Sales Rep\n"), m)
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	got, fatal := readAll(t, r)
	want := []item{{Line: 2, Fields: map[string]string{"email": "rex@example.com", "role": "sales_rep", "team": "Inbound"}}}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(item{}, "Record")); fatal != nil || diff != "" {
		t.Errorf("users rows (%v) (-want +got):\n%s", fatal, diff)
	}
	_, err = ParseMapping("users.yaml", []byte("kind: users\nfields:\n  email: Email\n  attributes.desk: Desk\n"))
	if want := `users.yaml:4: fields: user records have no field "attributes.desk" (fields: email, name, role, team, manager, weight)`; err == nil || err.Error() != want {
		t.Errorf("a users mapping with an attribute: %v; want %q", err, want)
	}
}
