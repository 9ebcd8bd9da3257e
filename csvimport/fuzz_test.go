package csvimport

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
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
			f.Fatalf("os.ReadFile: %v", err)
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
			f.Fatalf("PresetFile: %v", err)
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

// quoteMapping reads three text columns, so that only the CSV itself can
// make a row bad.
const quoteMapping = `kind: leads
source: fuzz
fields:
  external_id: id
  company: {column: company, optional: true}
  title: {column: title, optional: true}
`

// FuzzUnclosedQuote puts one line of any text (an unclosed quote, say)
// among rows that are valid on their own, and checks the promise of
// docs/import.md: every line that is a valid row on its own is either
// imported or named by a reject, and nothing panics. A record that cannot
// be read ends at the end of its line, so the line of text cannot swallow
// the rows after it.
//
//	go test ./csvimport -run '^$' -fuzz FuzzUnclosedQuote -fuzztime 1m
func FuzzUnclosedQuote(f *testing.F) {
	for _, seed := range []struct {
		bad   string
		cells string
		rows  uint8
		at    uint8
	}{
		{`2,"Bolt, Inc,CEO`, "Acme|Cyan|Dot|Echo|Fig", 5, 0},
		{`2,"Bolt, Inc,CEO`, `Acme|"Quoted" Co|x,y|Dot`, 3, 1},
		{`9,x"y,z`, "a|b", 2, 1},
		{`"`, "a", 1, 0},
		{`2,"",""""`, ` spaced|""|,|"`, 4, 2},
		{`3,"a""b`, `,|","|","`, 6, 3},
		{`4,Dot",CTO`, "a|b|c", 3, 0},
		{"", "a|b", 2, 1},
		{"\xff,\"", "a", 2, 1},
	} {
		f.Add(seed.bad, seed.cells, seed.rows, seed.at)
	}
	m := mustMapping(f, quoteMapping)
	const header = "id,company,title\n"
	// alone says whether a line is a valid row on its own.
	alone := func(t *testing.T, line string) bool {
		r, err := NewReader(strings.NewReader(header+line+"\n"), m)
		if err != nil {
			t.Fatalf("NewReader(%q): %v", line, err)
		}
		row, err := r.Next()
		return err == nil && row.Line == 2
	}
	f.Fuzz(func(t *testing.T, bad, cells string, rows, at uint8) {
		// One line of text: no line breaks, and no control bytes, which
		// make the file binary rather than CSV.
		clean := func(s string) string {
			return strings.Map(func(r rune) rune {
				if r < ' ' && r != '\t' || r == 0x7f {
					return -1
				}
				return r
			}, s)
		}
		texts := strings.Split(clean(cells), "|")
		var lines []string
		for i := range int(rows%8) + 1 {
			rec := []string{fmt.Sprint(i + 1), texts[i%len(texts)], texts[(i+1)%len(texts)]}
			var b strings.Builder
			w := csv.NewWriter(&b)
			w.Write(rec)
			w.Flush()
			lines = append(lines, strings.TrimSuffix(b.String(), "\n"))
		}
		pos := int(at) % (len(lines) + 1)
		lines = slices.Insert(lines, pos, clean(bad))
		file := header + strings.Join(lines, "\n") + "\n"

		r, err := NewReader(strings.NewReader(file), m)
		if err != nil {
			t.Fatalf("NewReader: %v", err)
		}
		named := map[int]bool{}
		for range len(lines) + 2 {
			row, err := r.Next()
			var re *RowError
			if err == io.EOF {
				break
			} else if errors.As(err, &re) {
				named[re.Line] = true
			} else if err != nil {
				t.Fatalf("Next: %v (file %q)", err, file)
			} else {
				named[row.Line] = true
			}
		}
		for i, line := range lines {
			if n := i + 2; !named[n] && alone(t, line) {
				t.Errorf("line %d, %q, is a valid row on its own and is neither read nor rejected in:\n%s", n, line, file)
			}
		}
	})
}
