package csvimport

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tandemhq/tandem"
)

// briefExample is the example of docs/import.md, every feature at once.
const briefExample = `kind: leads
source: hubspot              # constant value of the lead's source unless a column maps source
delimiter: ","
time_zone: Europe/Paris
unmapped: attributes
fields:
  external_id: Record ID
  email: [Email, E-mail]
  created_at: {column: Create Date, formats: ["2006-01-02 15:04", "2006-01-02"]}
  stage: {column: Lifecycle Stage, values: {marketingqualifiedlead: mql, customer: customer}, default: lead}
  origin: {column: Original Source, normalize: snake_case}
  phone: {column: Phone, optional: true}
  attributes.landing_page_id: landing_page_id
constants:
  stage: mql
`

var cmpMapping = cmp.Options{
	cmpopts.IgnoreUnexported(Mapping{}),
	cmp.Comparer(func(a, b *time.Location) bool { return a.String() == b.String() }),
}

func TestParseMapping(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatalf("time.LoadLocation: %v", err)
	}
	tests := []struct {
		name, yaml string
		want       *Mapping
	}{{
		name: "every feature",
		yaml: briefExample,
		want: &Mapping{
			File: "m.yaml", Kind: "leads", Source: "hubspot", Delimiter: ',', Location: paris, Unmapped: "attributes",
			Fields: []Field{
				{Target: "external_id", Columns: []string{"Record ID"}, Line: 7},
				{Target: "email", Columns: []string{"Email", "E-mail"}, Line: 8},
				{Target: "created_at", Columns: []string{"Create Date"}, Formats: []string{"2006-01-02 15:04", "2006-01-02"}, Line: 9},
				{Target: "stage", Columns: []string{"Lifecycle Stage"}, Values: map[string]string{"marketingqualifiedlead": "mql", "customer": "customer"}, Default: "lead", Line: 10},
				{Target: "origin", Columns: []string{"Original Source"}, Normalize: "snake_case", Line: 11},
				{Target: "phone", Columns: []string{"Phone"}, Optional: true, Line: 12},
				{Target: "attributes.landing_page_id", Columns: []string{"landing_page_id"}, Line: 13},
			},
			Constants: []Constant{{Target: "stage", Value: "mql", Line: 15}},
		},
	}, {
		name: "smallest",
		yaml: "kind: leads\nfields:\n  email: Email\n",
		want: &Mapping{File: "m.yaml", Kind: "leads", Fields: []Field{{Target: "email", Columns: []string{"Email"}, Line: 3}}},
	}, {
		name: "tab, column lists in the long form, a time constant",
		yaml: "kind: leads\ndelimiter: tab\ntime_zone: UTC\nunmapped: ignore\nfields:\n  email: {column: [Email, Mail], passthrough: false}\n" +
			"  created_at:\n    column: Created\n    formats: 02/01/2006\nconstants:\n  created_at: 2020-01-02\n  attributes.batch: \"7\"\n",
		want: &Mapping{File: "m.yaml", Kind: "leads", Delimiter: '\t', Location: time.UTC, Unmapped: "ignore",
			Fields: []Field{
				{Target: "email", Columns: []string{"Email", "Mail"}, Line: 6},
				{Target: "created_at", Columns: []string{"Created"}, Formats: []string{"02/01/2006"}, Line: 7},
			},
			Constants: []Constant{{Target: "created_at", Value: "2020-01-02", Line: 11}, {Target: "attributes.batch", Value: "7", Line: 12}},
		},
	}, {
		name: "aliases",
		yaml: "kind: leads\nfields:\n  email: &mail [Email, Mail]\n  attributes.mail: *mail\n",
		want: &Mapping{File: "m.yaml", Kind: "leads", Fields: []Field{
			{Target: "email", Columns: []string{"Email", "Mail"}, Line: 3},
			{Target: "attributes.mail", Columns: []string{"Email", "Mail"}, Line: 4},
		}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseMapping("m.yaml", []byte(tt.yaml))
			if err != nil {
				t.Fatalf("ParseMapping: %v", err)
			}
			if diff := cmp.Diff(tt.want, m, cmpMapping); diff != "" {
				t.Errorf("ParseMapping mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseMappingErrors(t *testing.T) {
	const head = "kind: leads\nfields:\n"
	tests := []struct {
		name, yaml string
		want       []string // each a line of the error
	}{
		{"empty", "", []string{"m.yaml:1: the mapping is empty: it needs at least kind and fields"}},
		{"comments only", "# nothing\n", []string{"m.yaml:1: the mapping is empty"}},
		{"yaml syntax", head + "  email: [Email,\n", []string{"m.yaml:3: did not find expected node content"}},
		{"bad indentation", "kind: leads\n fields: x\n", []string{"m.yaml:2: mapping values are not allowed in this context"}},
		{"not a mapping", "- kind\n- leads\n", []string{"m.yaml:1: the mapping must be a YAML mapping of keys (kind, source, delimiter, time_zone, unmapped, fields, constants), not a list"}},
		{"two documents", head + "  email: Email\n---\nkind: leads\n", []string{"m.yaml:4: a mapping file holds one YAML document"}},
		{"unknown key", head + "  email: Email\ncolumns: x\n", []string{`m.yaml:4: unknown key "columns" (want one of kind, source, delimiter, time_zone, unmapped, fields, constants)`}},
		{"key twice", "kind: leads\nkind: leads\nfields:\n  email: Email\n", []string{`m.yaml:2: "kind" is given twice (first on line 1)`}},
		{"kind missing", "fields:\n  email: Email\n", []string{"m.yaml:1: kind is missing (want accounts, deals, leads, products, spend, users)"}},
		{"kind unknown", "kind: teams\nfields:\n  name: Name\n", []string{`m.yaml:1: kind: unknown kind "teams" (want accounts, deals, leads, products, spend, users)`}},
		{"deal field unknown", "kind: deals\nfields:\n  amount_cents: Amount\n", []string{`m.yaml:3: fields: deal records have no field "amount_cents" (fields: source, external_id, lead_source,`}},
		{"users have no attributes", "kind: users\nunmapped: attributes\nfields:\n  email: Email\n", []string{`m.yaml:2: unmapped: user records have no attributes; use ignore`}},
		{"users have no source", "kind: users\nsource: hr\nfields:\n  email: Email\n", []string{`m.yaml:2: source: user records have no source field`}},
		{"kind a list", "kind: [leads]\nfields:\n  email: Email\n", []string{`m.yaml:1: kind: want a single value, not a list`}},
		{"no fields", "kind: leads\n", []string{"m.yaml: fields: no field is mapped from a column"}},
		{"fields empty", "kind: leads\nfields:\n", []string{"m.yaml:2: fields: no field is mapped from a column"}},
		{"fields a list", "kind: leads\nfields: [a, b]\n", []string{"m.yaml:2: fields: want a mapping of field: column, not a list"}},
		{"unknown target", head + "  email: Email\n  emial: E-mail\n", []string{`m.yaml:4: fields: lead records have no field "emial" (fields: source, external_id, email,`}},
		{"bad attribute", head + "  attributes.Landing Page: lp\n", []string{`m.yaml:3: fields: "attributes.Landing Page" is not a valid attribute name`}},
		{"target twice", head + "  email: Email\n  email: Mail\n", []string{`m.yaml:4: fields: "email" is given twice (first on line 3)`}},
		{"no column", head + "  email:\n", []string{"m.yaml:3: fields.email: no column given"}},
		{"empty column", head + "  email: [Email, \" \"]\n", []string{"m.yaml:3: fields.email: a column name is empty"}},
		{"column a mapping", head + "  email: {column: {a: b}}\n", []string{"m.yaml:3: fields.email.column: want a value or a list of values, not a mapping"}},
		{"unknown field key", head + "  email: {colum: Email}\n", []string{`m.yaml:3: fields.email: unknown key "colum" (want one of column, optional, formats, values, passthrough, normalize, default)`}},
		{"optional not bool", head + "  email: {column: Email, optional: maybe}\n", []string{"m.yaml:3: fields.email.optional: want true or false, not \"maybe\""}},
		{"formats on text", head + "  email: {column: Email, formats: [\"2006\"]}\n", []string{"m.yaml:3: fields.email.formats: only time fields have formats; email is a text field"}},
		{"formats not Go", head + "  created_at: {column: Created, formats: [YYYY-MM-DD]}\n", []string{`m.yaml:3: fields.created_at.formats: "YYYY-MM-DD" is not a Go time layout with a year`}},
		{"bad default time", head + "  created_at: {column: Created, default: soon}\n", []string{`m.yaml:3: fields.created_at.default: "soon" is not a date or a time (want a date, like 2026-11-22`}},
		{"normalize unknown", head + "  origin: {column: Source, normalize: lower}\n", []string{`m.yaml:3: fields.origin.normalize: want snake_case, not "lower"`}},
		{"values not a map", head + "  stage: {column: Stage, values: [a]}\n", []string{"m.yaml:3: fields.stage.values: want a mapping of cell value: field value, not a list"}},
		{"values clash", head + "  stage:\n    column: Stage\n    values: {MQL: mql, mql: sql}\n", []string{`m.yaml:3: fields.stage.values: "MQL" and "mql" match the same cells but give "mql" and "sql"`}},
		{"values clash after normalizing", head + "  origin:\n    column: Source\n    normalize: snake_case\n    values: {Paid Search: paid, PAID_SEARCH: ads}\n", []string{`m.yaml:3: fields.origin.values: "PAID_SEARCH" and "Paid Search" match the same cells but give "ads" and "paid"`}},
		{"empty values key", head + "  stage:\n    column: Stage\n    values: {\"\": lead}\n", []string{`m.yaml:3: fields.stage.values: the key "" never matches a cell; use default for empty cells`}},
		{"passthrough alone", head + "  origin: {column: Source, passthrough: true}\n", []string{"m.yaml:3: fields.origin.passthrough: only matters with values"}},
		{"time zone", "kind: leads\ntime_zone: Mars/Olympus\nfields:\n  email: Email\n", []string{`m.yaml:2: time_zone: unknown time zone "Mars/Olympus"`}},
		{"time zone local", "kind: leads\ntime_zone: Local\nfields:\n  email: Email\n", []string{"m.yaml:2: time_zone: name an IANA zone such as UTC or Europe/Paris, not Local"}},
		{"delimiter long", "kind: leads\ndelimiter: \";;\"\nfields:\n  email: Email\n", []string{`m.yaml:2: delimiter: want one character, like "," or ";" or tab, not ";;"`}},
		{"delimiter quote", "kind: leads\ndelimiter: '\"'\nfields:\n  email: Email\n", []string{`m.yaml:2: delimiter: '"' cannot separate columns`}},
		{"unmapped", "kind: leads\nunmapped: keep\nfields:\n  email: Email\n", []string{`m.yaml:2: unmapped: want ignore or attributes, not "keep"`}},
		{"source twice", "kind: leads\nsource: hubspot\nfields:\n  email: Email\nconstants:\n  source: crm\n", []string{"m.yaml:6: constants.source: the source is given twice, here and on line 2"}},
		{"constant empty", head + "  email: Email\nconstants:\n  stage:\n", []string{"m.yaml:5: constants.stage: no value"}},
		{"constant unknown", head + "  email: Email\nconstants:\n  stag: mql\n", []string{`m.yaml:5: constants: lead records have no field "stag"`}},
		{"constant bad time", head + "  email: Email\nconstants:\n  created_at: yesterday\n", []string{`m.yaml:5: constants.created_at: "yesterday" is not a date or a time (want a date, like 2026-11-22`}},
		{"constants a list", head + "  email: Email\nconstants: [a]\n", []string{"m.yaml:4: constants: want a mapping of field: value, not a list"}},
		{"several problems", head + "  emial: Email\n  email: {column: Email, optional: 3}\n  nom: Name\n", []string{
			`m.yaml:3: fields: lead records have no field "emial"`,
			`m.yaml:4: fields.email.optional: want true or false, not "3"`,
			`m.yaml:5: fields: lead records have no field "nom"`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseMapping("m.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("ParseMapping(%q) = %+v; want an error", tt.yaml, m)
			}
			if code := tandem.ErrorCode(err); code != tandem.EINVALID {
				t.Errorf("ParseMapping(%q) error code %q; want %q", tt.yaml, code, tandem.EINVALID)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.want) {
				t.Fatalf("ParseMapping(%q) = %q; want %d lines", tt.yaml, err, len(tt.want))
			}
			for i, want := range tt.want {
				if !strings.HasPrefix(lines[i], want) {
					t.Errorf("ParseMapping(%q) error line %d = %q; want it to start %q", tt.yaml, i+1, lines[i], want)
				}
			}
		})
	}
}

func TestSnakeCase(t *testing.T) {
	for in, want := range map[string]string{
		"Organic Search":        "organic_search",
		"ORGANIC_SEARCH":        "organic_search",
		"  --Paid  / Search!! ": "paid_search",
		"Country/Region":        "country_region",
		"Região Sul":            "região_sul",
		"LeadSource":            "leadsource",
		"---":                   "",
		"":                      "",
	} {
		if got := snakeCase(in); got != want {
			t.Errorf("snakeCase(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestPresets(t *testing.T) {
	if diff := cmp.Diff([]string{"crm_accounts", "crm_deals", "crm_products", "crm_users", "hubspot", "hubspot_deals", "olist", "olist_deals", "salesforce", "salesforce_deals"}, PresetNames()); diff != "" {
		t.Errorf("PresetNames() mismatch (-want +got):\n%s", diff)
	}
	for _, tt := range []struct {
		kind  string
		names []string
	}{
		{"leads", []string{"hubspot", "olist", "salesforce"}},
		{"deals", []string{"crm", "hubspot", "olist", "salesforce"}},
	} {
		if diff := cmp.Diff(tt.names, PresetsFor(tt.kind)); diff != "" {
			t.Errorf("PresetsFor(%q) mismatch (-want +got):\n%s", tt.kind, diff)
		}
		for _, name := range tt.names {
			m, err := PresetFor(tt.kind, name)
			if err != nil {
				t.Errorf("PresetFor(%q, %q): %v", tt.kind, name, err)
				continue
			}
			if m.Kind != tt.kind || m.Source != name {
				t.Errorf("PresetFor(%q, %q) = kind %q, source %q; want %s, %s", tt.kind, name, m.Kind, m.Source, tt.kind, name)
			}
		}
	}
	// Kinds without a source field: the preset names the kind only.
	for _, kind := range []string{"users", "accounts", "products"} {
		if diff := cmp.Diff([]string{"crm"}, PresetsFor(kind)); diff != "" {
			t.Errorf("PresetsFor(%q) mismatch (-want +got):\n%s", kind, diff)
		}
		if m, err := PresetFor(kind, "crm"); err != nil || m.Kind != kind {
			t.Errorf("PresetFor(%q, crm) = %v, %v; want a mapping of %s", kind, m, err, kind)
		}
	}
	for _, tt := range []struct {
		kind, name, want, code string
	}{
		{"leads", "pipedrive", `no preset "pipedrive" (presets: hubspot, olist, salesforce)`, tandem.ENOTFOUND},
		{"leads", "hubspot_deals", `preset "hubspot_deals" maps deals, not leads (lead presets: hubspot, olist, salesforce)`, tandem.EINVALID},
		{"leads", "olist_deals", `preset "olist_deals" maps deals, not leads (lead presets: hubspot, olist, salesforce)`, tandem.EINVALID},
		{"deals", "", `no preset "" (presets: crm, hubspot, olist, salesforce)`, tandem.ENOTFOUND},
	} {
		_, err := PresetFor(tt.kind, tt.name)
		if err == nil || err.Error() != tt.want || tandem.ErrorCode(err) != tt.code {
			t.Errorf("PresetFor(%q, %q) = %v (%s); want %q (%s)", tt.kind, tt.name, err, tandem.ErrorCode(err), tt.want, tt.code)
		}
	}
	_, err := Preset("pipedrive")
	if want := `no preset "pipedrive" (presets: crm_accounts, crm_deals, crm_products, crm_users, hubspot, hubspot_deals, olist, olist_deals, salesforce, salesforce_deals)`; err == nil || err.Error() != want {
		t.Errorf("Preset(pipedrive) = %v; want %q", err, want)
	}
	if tandem.ErrorCode(err) != tandem.ENOTFOUND {
		t.Errorf("Preset(pipedrive) code = %q; want %q", tandem.ErrorCode(err), tandem.ENOTFOUND)
	}
}

// TestDocExamples parses every mapping shown in docs/import.md.
func TestDocExamples(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "docs", "import.md"))
	if err != nil {
		t.Skip(err)
	}
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(data), -1)
	if len(blocks) < 3 {
		t.Fatalf("found %d yaml blocks in docs/import.md; want 3 or more", len(blocks))
	}
	for i, b := range blocks {
		if _, err := ParseMapping(fmt.Sprintf("import.md block %d", i+1), []byte(b[1])); err != nil {
			t.Errorf("%v", err)
		}
	}
}
