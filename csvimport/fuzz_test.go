package csvimport

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tandemhq/tandem"
)

// fuzzMapping uses every kind of conversion.
const fuzzMapping = `kind: leads
source: fuzz
time_zone: America/Sao_Paulo
unmapped: attributes
fields:
  external_id: [id, ID]
  email: {column: email, optional: true}
  created_at: {column: created, optional: true, formats: ["2006-01-02", "02/01/2006 15:04"]}
  stage: {column: stage, optional: true, values: {a: mql, b: sql}, default: lead}
  origin: {column: origin, optional: true, normalize: snake_case, values: {x: organic_search}, passthrough: true}
`

func FuzzReader(f *testing.F) {
	for _, name := range []string{"hubspot.csv", "olist.csv", "salesforce_api.csv"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"",
		"id\n",
		"\xef\xbb\xbfid,email,created,stage,origin,other\n1,a@b.example,2020-01-02,A,X,y\n2,,,c,,\n",
		"id,created\n1,\"2020-01-02\n\"\n2,\"unclosed\n3,x\n",
		"id,other\n1,a\"b\n\"2\"x,c\n,,\n\n1\n1,2,3\n",
		"id,Other thing\r\n1,\xff\r\n",
		"id,\n1,\"" + strings.Repeat("a\n", 300) + "\"\n",
		"id\r1\r2\r",
		"PK\x03\x04",
	} {
		f.Add([]byte(s))
	}
	m := mustMapping(f, fuzzMapping)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data), m)
		if err != nil {
			if tandem.ErrorCode(err) == tandem.EINTERNAL {
				t.Fatalf("NewReader: an internal error from a bytes.Reader: %v", err)
			}
			return
		}
		r.MaxLineBytes = 200
		r.MaxRecordBytes = 1000
		lastLine, lastRead := 1, r.BytesRead()
		// Each call consumes at least one byte, so this many calls must
		// reach the end.
		for range len(data) + 2 {
			row, err := r.Next()
			if n := r.BytesRead(); n < lastRead || n > int64(len(data)) {
				t.Fatalf("BytesRead() = %d after %d, of %d bytes", n, lastRead, len(data))
			} else {
				lastRead = n
			}
			var re *RowError
			line := row.Line
			switch {
			case err == io.EOF:
				if lastRead != int64(len(data)) {
					t.Fatalf("io.EOF after %d bytes of %d", lastRead, len(data))
				}
				fallthrough
			case err != nil && !errors.As(err, &re):
				if _, again := r.Next(); again != err {
					t.Fatalf("Next after %v = %v", err, again)
				}
				return
			case re != nil:
				line = re.Line
				if re.Reason == "" {
					t.Fatalf("a RowError without a reason: %+v", re)
				}
			default:
				for name, v := range row.Fields {
					if _, ok := tandem.LookupLeadField(name); !ok || v == "" || !utf8.ValidString(v) {
						t.Fatalf("line %d: field %q = %q", row.Line, name, v)
					}
				}
				if row.Fields["source"] != "fuzz" {
					t.Fatalf("line %d: source %q", row.Line, row.Fields["source"])
				}
			}
			if line < 2 || line <= lastLine {
				t.Fatalf("a row on line %d after line %d (err %v)", line, lastLine, err)
			}
			lastLine = line
		}
		t.Fatalf("Next did not reach the end of %d bytes", len(data))
	})
}

func FuzzParseMapping(f *testing.F) {
	for _, name := range PresetNames() {
		data, err := PresetFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{briefExample, testMapping, fuzzMapping, "", "kind: leads\nfields: {a: &x [b, *x]}\n",
		"kind: leads\nfields:\n  email: {column: E, values: {a: b}, passthrough: yes, default: ~}\n---\n", "[", "{kind: 1, fields: {2: 3}}",
		"kind: deals\nsource: crm\nunmapped: attributes\nfields:\n  lead_external_id: Lead\n  amount: {column: Amount, default: \"0\"}\n  stage: {column: Stage, values: {Closed Won: won, Closed Lost: lost}}\n",
		"kind: users\nfields:\n  email: Email\n  role: {column: Role, normalize: snake_case}\n  manager: {column: Manager, optional: true}\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMapping("m.yaml", data)
		if err != nil {
			if m != nil {
				t.Fatalf("ParseMapping returned a mapping and %v", err)
			}
			if tandem.ErrorCode(err) != tandem.EINVALID {
				t.Fatalf("ParseMapping error code %q: %v", tandem.ErrorCode(err), err)
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "m.yaml:") {
					t.Fatalf("ParseMapping error line %q does not start with the file", line)
				}
			}
			return
		}
		// A mapping that parses reads a file that has its columns.
		var header []string
		for _, fm := range m.Fields {
			header = append(header, fm.Columns...)
		}
		delim := m.Delimiter
		if delim == 0 {
			delim = ','
		}
		var csv strings.Builder
		for i, h := range header {
			if i > 0 {
				csv.WriteRune(delim)
			}
			csv.WriteString(`"` + strings.ReplaceAll(h, `"`, `""`) + `"`)
		}
		csv.WriteString("\n")
		r, err := NewReader(strings.NewReader(csv.String()), m)
		if err != nil {
			return // duplicate or blank column names, say
		}
		if _, err := r.Next(); err != io.EOF {
			t.Fatalf("Next on a header-only file = %v", err)
		}
	})
}
