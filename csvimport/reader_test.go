package csvimport

import (
	"bytes"
	"errors"
	"io"
	"maps"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"

	"github.com/tandemhq/tandem"
)

const testMapping = `kind: leads
source: test
time_zone: Europe/Paris
fields:
  external_id: ID
  email: [Email, E-mail]
  created_at: {column: Created, formats: ["2006-01-02 15:04", "2006-01-02"]}
  stage: {column: Stage, values: {MQL: mql, Customer: customer}, default: lead, optional: true}
  origin: {column: Origin, normalize: snake_case, optional: true}
constants:
  attributes.batch: "7"
`

func mustMapping(t testing.TB, text string) *Mapping {
	t.Helper()
	m, err := ParseMapping("test.yaml", []byte(text))
	if err != nil {
		t.Fatalf("ParseMapping: %v", err)
	}
	return m
}

// item is what Next returned, in a form cmp can show.
type item struct {
	Line   int
	Fields map[string]string `json:",omitempty"`
	Column string
	Reason string
	Record []string
}

// readAll reads every row; fatal is the error that ended the reading, nil
// at the end of the file.
func readAll(t testing.TB, r *Reader) (items []item, fatal error) {
	t.Helper()
	for range 1_000_000 {
		row, err := r.Next()
		var re *RowError
		switch {
		case err == io.EOF:
			return items, nil
		case errors.As(err, &re):
			items = append(items, item{Line: re.Line, Column: re.Column, Reason: re.Reason, Record: re.Record})
		case err != nil:
			return items, err
		default:
			// Fields here are what a new record gets: constants and
			// defaults (row.Initial) included. TestInitial checks apart.
			fields := maps.Clone(row.Fields)
			for k, v := range row.Initial {
				if _, ok := fields[k]; !ok {
					fields[k] = v
				}
			}
			items = append(items, item{Line: row.Line, Fields: fields, Record: row.Record})
		}
	}
	t.Fatal("Next never ends")
	return nil, nil
}

// lead builds the fields every row of testMapping has, plus more.
func lead(kv ...string) map[string]string {
	m := map[string]string{"source": "test", "attributes.batch": "7", "stage": "lead"}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(m, kv[i])
		} else {
			m[kv[i]] = kv[i+1]
		}
	}
	return m
}

func TestReader(t *testing.T) {
	const header = "ID,Email,Created,Stage,Origin\n"
	tests := []struct {
		name, csv string
		want      []item
	}{{
		name: "plain",
		csv:  header + "1,a@x.example,2024-03-14 09:21,MQL,Paid Search\n2,b@x.example,2024-07-01,customer,\n",
		want: []item{
			{Line: 2, Fields: lead("external_id", "1", "email", "a@x.example", "created_at", "2024-03-14T08:21:00Z", "stage", "mql", "origin", "paid_search"),
				Record: []string{"1", "a@x.example", "2024-03-14 09:21", "MQL", "Paid Search"}},
			{Line: 3, Fields: lead("external_id", "2", "email", "b@x.example", "created_at", "2024-06-30T22:00:00Z", "stage", "customer"),
				Record: []string{"2", "b@x.example", "2024-07-01", "customer", ""}},
		},
	}, {
		name: "byte order mark, spaces and case in the header, CRLF, no final newline",
		csv:  "\xef\xbb\xbf id ,EMAIL,  created,STAGE,origin\r\n1,a@x.example,,,\r\n2,  b@x.example  ,,,",
		want: []item{
			{Line: 2, Fields: lead("external_id", "1", "email", "a@x.example"), Record: []string{"1", "a@x.example", "", "", ""}},
			{Line: 3, Fields: lead("external_id", "2", "email", "b@x.example"), Record: []string{"2", "b@x.example  ", "", "", ""}},
		},
	}, {
		name: "quoted newlines move the next records down",
		csv:  header + "1,\"a@x.example\",,\"MQL\",\"Web\nsite\"\n\"2\",b@x.example,,,\"two\n\nblank lines\"\n3,c@x.example,,,\n",
		want: []item{
			{Line: 2, Fields: lead("external_id", "1", "email", "a@x.example", "stage", "mql", "origin", "web_site"), Record: []string{"1", "a@x.example", "", "MQL", "Web\nsite"}},
			{Line: 4, Fields: lead("external_id", "2", "email", "b@x.example", "origin", "two_blank_lines"), Record: []string{"2", "b@x.example", "", "", "two\n\nblank lines"}},
			{Line: 7, Fields: lead("external_id", "3", "email", "c@x.example"), Record: []string{"3", "c@x.example", "", "", ""}},
		},
	}, {
		name: "blank lines and empty records are skipped",
		csv:  header + "\n1,a@x.example,,,\n\n,,,,\n  , ,,,\n2,b@x.example,,,\n\n",
		want: []item{
			{Line: 3, Fields: lead("external_id", "1", "email", "a@x.example"), Record: []string{"1", "a@x.example", "", "", ""}},
			{Line: 7, Fields: lead("external_id", "2", "email", "b@x.example"), Record: []string{"2", "b@x.example", "", "", ""}},
		},
	}, {
		name: "values not in the map",
		csv:  header + "1,a@x.example,,SQL,\n",
		want: []item{{Line: 2, Column: "Stage", Reason: `"SQL" is not one of the values the mapping knows: "Customer", "MQL"`,
			Record: []string{"1", "a@x.example", "", "SQL", ""}}},
	}, {
		name: "bad date",
		csv:  header + "1,a@x.example,14/03/2024,,\n2,b@x.example,2024-02-30,,\n",
		want: []item{
			{Line: 2, Column: "Created", Reason: `"14/03/2024" is not a time in any of the formats "2006-01-02 15:04", "2006-01-02"`,
				Record: []string{"1", "a@x.example", "14/03/2024", "", ""}},
			{Line: 3, Column: "Created", Reason: `"2024-02-30" is not a time in any of the formats "2006-01-02 15:04", "2006-01-02"`,
				Record: []string{"2", "b@x.example", "2024-02-30", "", ""}},
		},
	}, {
		name: "wrong number of columns",
		csv:  header + "1,a@x.example,\n2,b@x.example,,,,\n3,c@x.example,,,\n",
		want: []item{
			{Line: 2, Reason: "has 3 columns; the header has 5", Record: []string{"1", "a@x.example", ""}},
			{Line: 3, Reason: "has 6 columns; the header has 5", Record: []string{"2", "b@x.example", "", "", "", ""}},
			{Line: 4, Fields: lead("external_id", "3", "email", "c@x.example"), Record: []string{"3", "c@x.example", "", "", ""}},
		},
	}, {
		name: "invalid UTF-8",
		csv:  header + "1,a@x.example,,,R\xe9gion Sud\n2,b@x.example,,,\n",
		want: []item{
			{Line: 2, Column: "Origin", Reason: "is not valid UTF-8 (byte 0xe9 at byte 2); save the file as CSV UTF-8",
				Record: []string{"1", "a@x.example", "", "", "R\xe9gion Sud"}},
			{Line: 3, Fields: lead("external_id", "2", "email", "b@x.example"), Record: []string{"2", "b@x.example", "", "", ""}},
		},
	}, {
		name: "a bare quote, then the next record",
		csv:  header + "1,a@x.example,,,Say \"hi\"\n2,b@x.example,,,\n",
		want: []item{
			{Line: 2, Column: "Origin", Reason: `a quote (") in a field that does not start with one; quote the whole field and double the quotes inside ("") (line 2, byte 21)`,
				Record: []string{`1,a@x.example,,,Say "hi"`}},
			{Line: 3, Fields: lead("external_id", "2", "email", "b@x.example"), Record: []string{"2", "b@x.example", "", "", ""}},
		},
	}, {
		name: "a stray quote after a quoted field",
		csv:  header + "1,\"a@x.example\"x,,,\n2,b@x.example,,,\n",
		want: []item{
			{Line: 2, Column: "Email", Reason: `a quoted field is not closed properly; a quote inside quotes must be doubled ("") (line 2, byte 15)`,
				Record: []string{`1,"a@x.example"x,,,`}},
			{Line: 3, Fields: lead("external_id", "2", "email", "b@x.example"), Record: []string{"2", "b@x.example", "", "", ""}},
		},
	}, {
		name: "a quote never closed ends at the end of its line",
		csv:  header + "1,a@x.example,,,\n2,\"b@x.example,,,\n3,c@x.example,,,\n",
		want: []item{
			{Line: 2, Fields: lead("external_id", "1", "email", "a@x.example"), Record: []string{"1", "a@x.example", "", "", ""}},
			{Line: 3, Column: "Email", Reason: "a quoted field is not closed on its line (read on to the end of the file, it is still not closed properly); the record ends at the end of its line",
				Record: []string{`2,"b@x.example,,,`}},
			{Line: 4, Fields: lead("external_id", "3", "email", "c@x.example"), Record: []string{"3", "c@x.example", "", "", ""}},
		},
	}, {
		name: "a quote never closed, then a quoted field further down",
		csv:  header + "1,a@x.example,,,\"Web\n2,b@x.example,,,\n\n3,c@x.example,,MQL,\"Web site\"\n4,d@x.example,,,\n",
		want: []item{
			{Line: 2, Column: "Origin", Reason: "a quoted field is not closed on its line (read on to line 5, it is still not closed properly); the record ends at the end of its line",
				Record: []string{`1,a@x.example,,,"Web`}},
			{Line: 3, Fields: lead("external_id", "2", "email", "b@x.example"), Record: []string{"2", "b@x.example", "", "", ""}},
			{Line: 5, Fields: lead("external_id", "3", "email", "c@x.example", "stage", "mql", "origin", "web_site"),
				Record: []string{"3", "c@x.example", "", "MQL", "Web site"}},
			{Line: 6, Fields: lead("external_id", "4", "email", "d@x.example"), Record: []string{"4", "d@x.example", "", "", ""}},
		},
	}, {
		name: "a record over lines with the wrong number of columns ends at the end of its first line",
		csv:  header + "1,\"a@x.example,,,\n2,b@x.example,,,\n3,c\",x,,,\n4,d@x.example,,,\n",
		want: []item{
			{Line: 2, Column: "Email", Reason: "a quoted field is not closed on its line (read on to line 4, the record has 6 columns; the header has 5); the record ends at the end of its line",
				Record: []string{`1,"a@x.example,,,`}},
			{Line: 3, Fields: lead("external_id", "2", "email", "b@x.example"), Record: []string{"2", "b@x.example", "", "", ""}},
			{Line: 4, Column: "Email", Reason: `a quote (") in a field that does not start with one; quote the whole field and double the quotes inside ("") (line 4, byte 4)`,
				Record: []string{`3,c",x,,,`}},
			{Line: 5, Fields: lead("external_id", "4", "email", "d@x.example"), Record: []string{"4", "d@x.example", "", "", ""}},
		},
	}, {
		name: "header only",
		csv:  header,
	}, {
		name: "empty file",
		csv:  "",
	}, {
		name: "blank lines only",
		csv:  "\n\r\n\n",
	}, {
		name: "byte order mark only",
		csv:  "\xef\xbb\xbf",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewReader(strings.NewReader(tt.csv), mustMapping(t, testMapping))
			if err != nil {
				t.Fatalf("NewReader: %v", err)
			}
			got, fatal := readAll(t, r)
			if fatal != nil {
				t.Fatalf("Next: %v", fatal)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("rows mismatch (-want +got):\n%s", diff)
			}
			if n := r.BytesRead(); n != int64(len(tt.csv)) {
				t.Errorf("BytesRead() = %d at the end; want %d", n, len(tt.csv))
			}
			if _, err := r.Next(); err != io.EOF {
				t.Errorf("Next after the end = %v; want io.EOF", err)
			}
		})
	}
}

func TestReaderCandidates(t *testing.T) {
	m := mustMapping(t, testMapping)
	for _, tt := range []struct{ header, want string }{
		{"ID,E-mail,Created", "E-mail"},
		{"ID,E-mail,Created,EMAIL", "EMAIL"}, // the mapping's order wins, not the file's
	} {
		cells := strings.Repeat(",", strings.Count(tt.header, ","))
		r, err := NewReader(strings.NewReader(tt.header+"\n"+cells+"\n"), m)
		if err != nil {
			t.Fatalf("NewReader(%q): %v", tt.header, err)
		}
		if got := r.Column("email"); got != tt.want {
			t.Errorf("header %q: Column(email) = %q; want %q", tt.header, got, tt.want)
		}
		if got := r.Column("stage"); got != "" {
			t.Errorf("header %q: Column(stage) = %q; want \"\"", tt.header, got)
		}
	}
}

func TestReaderOptionalDefault(t *testing.T) {
	// Stage is optional and absent: its default still applies.
	r, err := NewReader(strings.NewReader("ID,Email,Created\n1,,\n"), mustMapping(t, testMapping))
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	got, fatal := readAll(t, r)
	want := []item{{Line: 2, Fields: lead("external_id", "1"), Record: []string{"1", "", ""}}}
	if diff := cmp.Diff(want, got); diff != "" || fatal != nil {
		t.Errorf("rows mismatch (-want +got):\n%s\nfatal: %v", diff, fatal)
	}
}

func TestReaderDelimiter(t *testing.T) {
	for _, tt := range []struct{ delim, csv string }{
		{";", "ID;Email;Created\n1;\"a;b@x.example\";2024-01-02\n"},
		{"tab", "ID\tEmail\tCreated\n1\ta;b@x.example\t2024-01-02\n"},
	} {
		m := mustMapping(t, strings.Replace(testMapping, "fields:", "delimiter: \""+tt.delim+"\"\nfields:", 1))
		if tt.delim == "tab" {
			m = mustMapping(t, strings.Replace(testMapping, "fields:", "delimiter: tab\nfields:", 1))
		}
		r, err := NewReader(strings.NewReader(tt.csv), m)
		if err != nil {
			t.Fatalf("delimiter %s: NewReader: %v", tt.delim, err)
		}
		got, fatal := readAll(t, r)
		if fatal != nil || len(got) != 1 || got[0].Fields["email"] != "a;b@x.example" || got[0].Fields["created_at"] != "2024-01-01T23:00:00Z" {
			t.Errorf("delimiter %s: got %+v, %v", tt.delim, got, fatal)
		}
	}
}

func TestReaderAttributes(t *testing.T) {
	m := mustMapping(t, strings.Replace(testMapping, "fields:", "unmapped: attributes\nfields:", 1))
	r, err := NewReader(strings.NewReader("ID,Email,E-mail,Created,Lead Score (%),,Região\n1,a@x.example,other@x.example,, 42 ,x,\n"), m)
	if err == nil {
		t.Fatal("NewReader with a non-ASCII column kept as an attribute: no error")
	}
	if want := `column "Região" cannot be kept as an attribute`; !strings.Contains(err.Error(), want) {
		t.Errorf("NewReader: %v; want %q", err, want)
	}
	r, err = NewReader(strings.NewReader("ID,Email,E-mail,Created,Lead Score (%),,Region\n1,a@x.example,other@x.example,, 42 ,x,\n"), m)
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	got, fatal := readAll(t, r)
	// E-mail is named by the mapping, so it is not kept; the unnamed column
	// has no name to keep; Region is empty on this row.
	want := []item{{Line: 2, Fields: lead("external_id", "1", "email", "a@x.example", "attributes.lead_score", "42"),
		Record: []string{"1", "a@x.example", "other@x.example", "", "42 ", "x", ""}}}
	if diff := cmp.Diff(want, got); diff != "" || fatal != nil {
		t.Errorf("rows mismatch (-want +got):\n%s\nfatal: %v", diff, fatal)
	}
	if got := r.Column("attributes.lead_score"); got != "Lead Score (%)" {
		t.Errorf("Column(attributes.lead_score) = %q", got)
	}

	for _, tt := range []struct{ mapping, header, want string }{
		{"", "ID,Email,Created,Lead Score,lead_score", `column "lead_score" would become attributes.lead_score, which column "Lead Score" fills already`},
		{"  attributes.tier: Level\n", "ID,Email,Created,Level,Tier", `column "Tier" would become attributes.tier, which the mapping fills already`},
	} {
		m := mustMapping(t, strings.Replace(testMapping, "fields:\n", "unmapped: attributes\nfields:\n"+tt.mapping, 1))
		_, err := NewReader(strings.NewReader(tt.header+"\n"), m)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("header %q: NewReader = %v; want %q", tt.header, err, tt.want)
		}
	}
}

func TestReaderHeaderErrors(t *testing.T) {
	tests := []struct {
		name, csv string
		code      string
		want      string
	}{
		{"missing column", "ID,Mail,Created\n", tandem.EINVALID,
			"line 1: the header does not fit the mapping:\n  field email (test.yaml:6): no column named \"Email\" or \"E-mail\" in the header"},
		{"missing columns", "\nIdentifier,Email\n", tandem.EINVALID,
			"line 2: the header does not fit the mapping:\n  field external_id (test.yaml:5): no column \"ID\" in the header\n  field created_at (test.yaml:7): no column \"Created\" in the header"},
		{"column twice", "ID,Email,Created,email\n", tandem.EINVALID,
			"line 1: the header does not fit the mapping:\n  column \"Email\" appears 2 times in the header (columns 2 and 4); field email cannot tell which to read"},
		{"wrong delimiter", "ID;Email;Created\n1;a@x.example;\n", tandem.EINVALID,
			"line 1: the header does not fit the mapping:\n  field external_id (test.yaml:5): no column \"ID\" in the header\n  field email (test.yaml:6): no column named \"Email\" or \"E-mail\" in the header\n  field created_at (test.yaml:7): no column \"Created\" in the header\n  the header has one column, \"ID;Email;Created\": is the delimiter \";\"? set delimiter in the mapping"},
		{"no names", ",,\n1,2,3\n", tandem.EMALFORMED, "line 1: the header has no column names"},
		{"xlsx", "PK\x03\x04\x14\x00\x06\x00", tandem.EMALFORMED, "not a CSV file: it is a ZIP archive, perhaps an Excel .xlsx workbook; export the sheet as CSV"},
		{"gzip", "\x1f\x8b\x08\x00", tandem.EMALFORMED, "not a CSV file: it is gzip-compressed; decompress it first"},
		{"utf-16", "\xff\xfeI\x00D\x00", tandem.EMALFORMED, "not a CSV file: it is UTF-16 text; save it as CSV UTF-8"},
		{"png", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", tandem.EMALFORMED, "not a CSV file: it holds binary data (the byte 0x1a at offset 6); is it a spreadsheet, an archive or an image?"},
		{"nul", "ID,Em\x00ail\n", tandem.EMALFORMED, "not a CSV file: it holds binary data (the byte 0x00 at offset 5)"},
		{"control byte after 512 bytes", "ID,Email,Created,X" + strings.Repeat("y", 600) + "\x01\n", tandem.EMALFORMED, "line 1 is not a CSV header: it holds the control byte 0x01 at byte 619; is this a binary file?"},
		{"latin-1", "ID,Email,Created,R\xe9gion\n", tandem.EMALFORMED, "line 1 is not a CSV header: it is not valid UTF-8; save the file as CSV UTF-8"},
		{"CR line endings", "ID,Email,Created\r1,a@x.example,\r", tandem.EMALFORMED, "line 1 is not a CSV header: it holds a carriage return alone"},
		{"bad quoting", "ID,\"Email\"x,Created\n", tandem.EMALFORMED, "line 1: the header cannot be read as CSV: a quoted field is not closed properly"},
		{"header too long", "ID,Email," + strings.Repeat("C", DefaultMaxLineBytes) + "\n", tandem.ETOOLARGE, "line 1 is longer than 1 MiB; is this a CSV file?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewReader(strings.NewReader(tt.csv), mustMapping(t, testMapping))
			if err == nil {
				t.Fatalf("NewReader = %+v; want an error", r)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("NewReader error = %q; want it to start %q", err, tt.want)
			}
			if code := tandem.ErrorCode(err); code != tt.code {
				t.Errorf("NewReader error code = %q; want %q", code, tt.code)
			}
		})
	}
}

// repeatReader yields n copies of a byte, counting what it handed out.
type repeatReader struct {
	b    byte
	n    int64
	read int64
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.read >= r.n {
		return 0, io.EOF
	}
	k := int(min(int64(len(p)), r.n-r.read))
	for i := range k {
		p[i] = r.b
	}
	r.read += int64(k)
	return k, nil
}

func TestReaderHugeLine(t *testing.T) {
	const n = 100 << 20
	long := &repeatReader{b: 'x', n: n}
	in := io.MultiReader(
		strings.NewReader("ID,Email,Created\n1,a@x.example,\n2,"),
		long,
		strings.NewReader(",\n3,c@x.example,\n"),
	)
	r, err := NewReader(in, mustMapping(t, testMapping))
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	got, fatal := readAll(t, r)
	if len(got) != 1 || got[0].Line != 2 {
		t.Errorf("rows before the long line = %+v; want line 2", got)
	}
	if want := "line 3 is longer than 1 MiB; is this a CSV file?"; fatal == nil || fatal.Error() != want {
		t.Fatalf("Next = %v; want %q", fatal, want)
	}
	if tandem.ErrorCode(fatal) != tandem.ETOOLARGE {
		t.Errorf("code = %q; want %q", tandem.ErrorCode(fatal), tandem.ETOOLARGE)
	}
	if long.read > 2<<20 {
		t.Errorf("read %d bytes of the long line; want at most about the 1 MiB limit", long.read)
	}
	if _, err := r.Next(); err != fatal {
		t.Errorf("Next after a fatal error = %v; want the same error", err)
	}
}

func TestReaderLimits(t *testing.T) {
	m := mustMapping(t, testMapping)
	// A limit set after NewReader applies to the rows, even to those that
	// arrived in the same read as the header.
	csv := "ID,Email,Created\n1,a@x.example,\n2,0123456789012345678901234567890@x.example,\n"
	r, err := NewReader(strings.NewReader(csv), m)
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	r.MaxLineBytes = 20
	got, fatal := readAll(t, r)
	if len(got) != 1 || fatal == nil || fatal.Error() != "line 3 is longer than 20 bytes; is this a CSV file?" {
		t.Errorf("MaxLineBytes 20: rows %+v, error %v", got, fatal)
	}

	// A line exactly at the limit passes, CR LF not counted.
	r, err = NewReader(strings.NewReader("ID,Email,Created\r\n1,a@x.example,\r\n"), m)
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	r.MaxLineBytes = int64(len("1,a@x.example,"))
	if got, fatal := readAll(t, r); len(got) != 1 || fatal != nil {
		t.Errorf("a line at the limit: rows %+v, error %v", got, fatal)
	}

	// An unclosed quote stops at MaxRecordBytes instead of reading the
	// whole file into one field: the record ends at the end of its line,
	// and the rows after it are read.
	rest := &repeatReader{b: '\n', n: 1 << 20}
	in := io.MultiReader(strings.NewReader("ID,Email,Created\n1,a@x.example,\n\n2,\"b@x.example,\n"), rest,
		strings.NewReader("3,c@x.example,\n"))
	r, err = NewReader(in, m)
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	r.MaxRecordBytes = 1 << 10
	if row, err := r.Next(); err != nil || row.Line != 2 {
		t.Fatalf("Next = line %d, %v; want the row on line 2", row.Line, err)
	}
	_, err = r.Next()
	want := &RowError{Line: 4, Column: "Email", Record: []string{`2,"b@x.example,`},
		Reason: "a quoted field is not closed on its line (read on, the record would be longer than 1 KiB); the record ends at the end of its line"}
	if diff := cmp.Diff(error(want), err); diff != "" {
		t.Errorf("the unclosed quote (-want +got):\n%s", diff)
	}
	if rest.read > 64<<10 {
		t.Errorf("read %d bytes after the unclosed quote before refusing it; want about the 1 KiB limit", rest.read)
	}
	got, fatal = readAll(t, r)
	if len(got) != 1 || got[0].Line != 1<<20+5 || got[0].Fields["external_id"] != "3" || fatal != nil {
		t.Errorf("after the unclosed quote: rows %+v, error %v; want the row on line %d", got, fatal, 1<<20+5)
	}
}

func TestReaderIOError(t *testing.T) {
	boom := errors.New("disk on fire")
	in := io.MultiReader(strings.NewReader("ID,Email,Created\n1,a@x.example,\n"), iotest.ErrReader(boom))
	r, err := NewReader(in, mustMapping(t, testMapping))
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	got, fatal := readAll(t, r)
	if len(got) != 1 || !errors.Is(fatal, boom) {
		t.Errorf("rows %+v, error %v; want one row, then %v", got, fatal, boom)
	}
	if _, err := NewReader(iotest.ErrReader(boom), mustMapping(t, testMapping)); !errors.Is(err, boom) {
		t.Errorf("NewReader on a failing reader = %v; want %v", err, boom)
	}
	// One byte at a time, or data with io.EOF, changes nothing.
	r, err = NewReader(iotest.OneByteReader(iotest.DataErrReader(strings.NewReader("ID,Email,Created\n1,\"a\n\",\n"))), mustMapping(t, testMapping))
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	if got, fatal := readAll(t, r); len(got) != 1 || got[0].Fields["email"] != "a" || fatal != nil {
		t.Errorf("one byte at a time: rows %+v, error %v", got, fatal)
	}
}

func TestNewReaderChecksMapping(t *testing.T) {
	m := mustMapping(t, testMapping)
	m.Fields = append(m.Fields, Field{Target: "nickname", Columns: []string{"Nick"}})
	m.Delimiter = '\n'
	_, err := NewReader(strings.NewReader("ID\n"), m)
	want := "test.yaml: delimiter: '\\n' cannot separate columns\ntest.yaml: fields: lead records have no field \"nickname\""
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("NewReader with a broken mapping = %v; want %q", err, want)
	}
}

func TestRejectWriter(t *testing.T) {
	in := "ID,Email,Created\n1,a@x.example,yesterday\n2,\"b\"x,\n3,c@x.example\n"
	r, err := NewReader(strings.NewReader(in), mustMapping(t, testMapping))
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	var out bytes.Buffer
	w := NewRejectWriter(&out, r.Header())
	for {
		_, err := r.Next()
		if err == io.EOF {
			break
		}
		var re *RowError
		if !errors.As(err, &re) {
			t.Fatalf("Next: %v", err)
		}
		if err := w.Write(re); err != nil {
			t.Fatalf("Write: %v", err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	want := `line,column,reason,ID,Email,Created
2,Created,"""yesterday"" is not a time in any of the formats ""2006-01-02 15:04"", ""2006-01-02""",1,a@x.example,yesterday
3,Email,"a quoted field is not closed properly; a quote inside quotes must be doubled ("""") (line 3, byte 5)","2,""b""x,"
4,,has 2 columns; the header has 3,3,c@x.example
`
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("rejects mismatch (-want +got):\n%s", diff)
	}

	out.Reset()
	w = NewRejectWriter(&out, []string{"a", "b"})
	if err := w.Flush(); err != nil || out.String() != "line,column,reason,a,b\n" {
		t.Errorf("no rejects: %q, %v; want the header alone", out.String(), err)
	}
}

func TestRowErrorMessage(t *testing.T) {
	for _, tt := range []struct {
		e    RowError
		want string
	}{
		{RowError{Line: 7, Column: "Email", Reason: "is not valid UTF-8"}, `line 7: column "Email": is not valid UTF-8`},
		{RowError{Line: 8, Reason: "has 2 columns; the header has 3"}, "line 8: has 2 columns; the header has 3"},
	} {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("%+v.Error() = %q; want %q", tt.e, got, tt.want)
		}
	}
}

// TestInitial checks that constants and defaults are values for a new
// record only (Row.Initial), so a re-import never moves a lead back, while
// the constant source, which identifies a lead, stays in Fields.
func TestInitial(t *testing.T) {
	m, err := ParseMapping("m.yaml", []byte(`kind: leads
source: web
fields:
  external_id: ID
  stage: {column: Stage, default: lead}
constants:
  attributes.batch: "7"
`))
	if err != nil {
		t.Fatalf("ParseMapping: %v", err)
	}
	r, err := NewReader(strings.NewReader("ID,Stage\n1,\n2,mql\n"), m)
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	var got []Row
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		row.Record = nil
		got = append(got, row)
	}
	want := []Row{
		{Line: 2, Fields: map[string]string{"source": "web", "external_id": "1"}, Initial: map[string]string{"stage": "lead", "attributes.batch": "7"}},
		{Line: 3, Fields: map[string]string{"source": "web", "external_id": "2", "stage": "mql"}, Initial: map[string]string{"attributes.batch": "7"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

// TestRejectsImportAgain writes a reject whose cells a spreadsheet would
// run as formulas, then reads the rejects file, without its first three
// columns, through the same mapping: the values are the file's own again.
func TestRejectsImportAgain(t *testing.T) {
	in := "ID,Email,Created\n=1+1,-a@x.example,yesterday\n"
	r, err := NewReader(strings.NewReader(in), mustMapping(t, testMapping))
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	_, err = r.Next()
	var re *RowError
	if !errors.As(err, &re) {
		t.Fatalf("Next = %v; want the bad date rejected", err)
	}
	var out bytes.Buffer
	w := NewRejectWriter(&out, r.Header())
	if err := w.Write(re); err != nil || w.Flush() != nil {
		t.Fatalf("Write: %v", err)
	}
	want := "line,column,reason,ID,Email,Created\n" +
		`2,Created,"""yesterday"" is not a time in any of the formats ""2006-01-02 15:04"", ""2006-01-02""",'=1+1,'-a@x.example,yesterday` + "\n"
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Fatalf("rejects (-want +got):\n%s", diff)
	}
	// The fixed file: the first three columns deleted, the date mended.
	var fixed strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		cells := strings.SplitN(line, ",", 4)
		last := cells[len(cells)-1]
		if i := strings.LastIndex(last, `",`); i >= 0 {
			last = last[i+2:]
		}
		fixed.WriteString(strings.Replace(last, "yesterday", "2024-03-14", 1) + "\n")
	}
	r, err = NewReader(strings.NewReader(fixed.String()), mustMapping(t, testMapping))
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	got, fatal := readAll(t, r)
	wantRows := []item{{Line: 2, Fields: lead("external_id", "=1+1", "email", "-a@x.example", "created_at", "2024-03-13T23:00:00Z"),
		Record: []string{"'=1+1", "'-a@x.example", "2024-03-14"}}}
	if diff := cmp.Diff(wantRows, got); diff != "" || fatal != nil {
		t.Errorf("the fixed rejects read again (-want +got), error %v:\n%s", fatal, diff)
	}
}
