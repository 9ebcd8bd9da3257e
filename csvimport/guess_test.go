package csvimport

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tandemhq/tandem"
)

func TestSniffDelimiter(t *testing.T) {
	tests := []struct {
		head string
		want rune
	}{
		{"id,email,name\n1;2;3;4;5\n", ','},
		{"ID;E-Mail;Vorname\n", ';'},
		{"id\temail\tname", '\t'},
		{"\xef\xbb\xbfa;b,c;d\n", ';'},
		{"id\n", ','},
		{"", ','},
		{"a,b;c\n", ','}, // a tie goes to the comma
	}
	for _, tt := range tests {
		if got := SniffDelimiter([]byte(tt.head)); got != tt.want {
			t.Errorf("SniffDelimiter(%q) = %q; want %q", tt.head, got, tt.want)
		}
	}
}

func TestGuessTarget(t *testing.T) {
	tests := []struct{ kind, column, want string }{
		{"leads", "Email", "email"},
		{"leads", " E-Mail ", "email"},
		{"leads", "First Name", "first_name"},
		{"leads", "Surname", "last_name"},
		{"leads", "Record ID", "external_id"},
		{"leads", "Lifecycle Stage", "stage"},
		{"leads", "Booth", ""},
		{"deals", "Amount", "amount"},
		{"deals", "Email", ""}, // aliases are for leads
		{"users", "Role", "role"},
		{"spend", "Month", "month"},
		{"planets", "Email", ""},
	}
	for _, tt := range tests {
		if got := GuessTarget(tt.kind, tt.column); got != tt.want {
			t.Errorf("GuessTarget(%q, %q) = %q; want %q", tt.kind, tt.column, got, tt.want)
		}
	}
}

func TestAttributeOf(t *testing.T) {
	tests := []struct{ kind, column, want string }{
		{"leads", "Lead Score (%)", "attributes.lead_score"},
		{"leads", "Booth", "attributes.booth"},
		{"leads", "Région", ""}, // not a valid attribute name
		{"leads", " ", ""},
		{"users", "Booth", ""}, // users have no attributes
	}
	for _, tt := range tests {
		if got := AttributeOf(tt.kind, tt.column); got != tt.want {
			t.Errorf("AttributeOf(%q, %q) = %q; want %q", tt.kind, tt.column, got, tt.want)
		}
	}
}

func TestGuess(t *testing.T) {
	header := []string{"ID", "E-mail", "Email", "Booth", "Created"}
	m, err := Guess("leads", header, "expo", ';')
	if err != nil {
		t.Fatalf("Guess: %v", err)
	}
	want := &Mapping{File: "the guessed mapping", Kind: "leads", Source: "expo", Delimiter: ';', Fields: []Field{
		{Target: "external_id", Columns: []string{"ID"}},
		{Target: "email", Columns: []string{"E-mail"}},
		{Target: "created_at", Columns: []string{"Created"}},
	}}
	if diff := cmp.Diff(want, m, cmpopts.IgnoreUnexported(Mapping{})); diff != "" {
		t.Errorf("Guess(leads, %q) (-want +got):\n%s", header, diff)
	}
	// The guessed mapping reads the file.
	r, err := NewReader(strings.NewReader("ID;E-mail;Email;Booth;Created\n7;a@x.example;b@x.example;A1;2024-03-14\n"), m)
	if err != nil {
		t.Fatalf("NewReader with the guessed mapping: %v", err)
	}
	row, err := r.Next()
	wantFields := map[string]string{"source": "expo", "external_id": "7", "email": "a@x.example", "created_at": "2024-03-14"}
	if diff := cmp.Diff(wantFields, row.Fields); err != nil || diff != "" {
		t.Errorf("the row read through the guessed mapping, error %v (-want +got):\n%s", err, diff)
	}

	if _, err := Guess("leads", []string{"Booth", "Hall"}, "", ','); tandem.ErrorCode(err) != tandem.EINVALID {
		t.Errorf("Guess with no column a field's = %v; want EINVALID", err)
	}
	if _, err := Guess("planets", header, "", ','); tandem.ErrorCode(err) != tandem.EINVALID {
		t.Errorf("Guess(planets) = %v; want EINVALID", err)
	}
}

func TestReadHeader(t *testing.T) {
	got, err := ReadHeader(strings.NewReader("\xef\xbb\xbfID;Email\n1;a\n"), ';')
	if diff := cmp.Diff([]string{"ID", "Email"}, got); err != nil || diff != "" {
		t.Errorf("ReadHeader = %v (-want +got):\n%s", err, diff)
	}
	if _, err := ReadHeader(strings.NewReader(""), ','); tandem.ErrorCode(err) != tandem.EMALFORMED {
		t.Errorf("ReadHeader of an empty file = %v; want EMALFORMED", err)
	}
	if _, err := ReadHeader(strings.NewReader("PK\x03\x04"), ','); tandem.ErrorCode(err) != tandem.EMALFORMED {
		t.Errorf("ReadHeader of a ZIP file = %v; want EMALFORMED", err)
	}
}

// TestMatchPreset checks which preset the import page preselects for the
// headers of real exports, written here as the exports write them.
func TestMatchPreset(t *testing.T) {
	for _, tc := range []struct {
		kind   string
		header []string
		want   string
	}{
		// Olist's marketing-qualified-leads file.
		{"leads", []string{"mql_id", "first_contact_date", "landing_page_id", "origin"}, "olist"},
		// A HubSpot contacts export, with a column of its own and odd spaces.
		{"leads", []string{"Record ID", " First Name", "Last Name ", "Email", "Create Date", "Lifecycle Stage", "Favourite colour"}, "hubspot"},
		// HubSpot's columns with one required column missing: no preset.
		{"leads", []string{"Record ID", "First Name", "Last Name", "Create Date"}, ""},
		// A file of the company's own.
		{"leads", []string{"email", "name", "signed up"}, ""},
		{"leads", nil, ""},
	} {
		if got := MatchPreset(tc.kind, tc.header); got != tc.want {
			t.Errorf("MatchPreset(%s, %q) = %q; want %q", tc.kind, tc.header, got, tc.want)
		}
	}
}
