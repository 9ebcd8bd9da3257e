package csvout

import (
	"bytes"
	"encoding/csv"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCells(t *testing.T) {
	tests := []struct {
		cell Cell
		want string
	}{
		{Text("acme"), "acme"},
		{Text(""), ""},
		{Text("=HYPERLINK(\"http://x.example\",\"click\")"), "'=HYPERLINK(\"http://x.example\",\"click\")"},
		{Text("+1+1"), "'+1+1"},
		{Text("-2+3+cmd|' /C calc'!A0"), "'-2+3+cmd|' /C calc'!A0"},
		{Text("@SUM(A1:A9)"), "'@SUM(A1:A9)"},
		{Text("\t=1"), "'\t=1"},
		{Text("\r=1"), "'\r=1"},
		{Text("a=b"), "a=b"},
		{Text(" =1"), " =1"},
		{Text("'=1"), "'=1"},
		// A text cell that looks like a number is still text: a campaign
		// code "-5" is neutralised.
		{Text("-5"), "'-5"},
		{Number("-5"), "-5"},
		{Number("-0.2204"), "-0.2204"},
		{Number("12"), "12"},
		{Number(""), ""},
		// Anything but a plain decimal number is text, neutralised.
		{Number("-1e5"), "'-1e5"},
		{Number("-"), "'-"},
		{Number("-.5"), "'-.5"},
		{Number("5."), "5."},
		{Number("-5+1"), "'-5+1"},
		{Number("=1"), "'=1"},
		{Number("+5"), "'+5"},
	}
	for _, tt := range tests {
		if got := tt.cell.String(); got != tt.want {
			t.Errorf("%#v.String() = %q; want %q", tt.cell, got, tt.want)
		}
	}
}

func TestUnquote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"'=1", "=1"}, {"'+1", "+1"}, {"'-5", "-5"}, {"'@x", "@x"}, {"'\tx", "\tx"}, {"'\rx", "\rx"},
		{"'abc", "'abc"}, {"'", "'"}, {"", ""}, {"=1", "=1"}, {"''=1", "''=1"},
	}
	for _, tt := range tests {
		if got := Unquote(tt.in); got != tt.want {
			t.Errorf("Unquote(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestWriter(t *testing.T) {
	var b bytes.Buffer
	w := NewWriter(&b)
	if err := w.WriteText("campaign", "=cost"); err != nil {
		t.Fatalf("WriteText: %v", err)
	}
	if err := w.Write(Text("=1+1"), Number("-12.5"), Text("a,\"b\"")); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if err := w.Flush(); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	want := "campaign,'=cost\n'=1+1,-12.5,\"a,\"\"b\"\"\"\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("CSV (-want +got):\n%s", diff)
	}
}

// FuzzWriter writes any string as a text cell and as a number cell, and
// reads the CSV back with encoding/csv: no cell starts with a formula
// character, and every cell reads back as it was given, with a single
// quote before it where it started with one; a plain decimal number as it
// was; and Unquote gives back what was written, unless the string itself
// started with a quote and a formula character.
//
//	go test ./csvout -run '^$' -fuzz FuzzWriter -fuzztime 1m
func FuzzWriter(f *testing.F) {
	for _, s := range []string{"", "acme", "=1+1", "+1", "-1", "-0.25", "@x", "\t=1", "\r=1", "'=1", "a,b", "\"=1\"", "\n=1", "=\r\n1", "\\.", "-1e5", "12"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var b bytes.Buffer
		w := NewWriter(&b)
		if err := w.Write(Text(s), Number(s), Text("x")); err != nil {
			t.Fatalf("Write: %v", err)
		}
		if err := w.Flush(); err != nil {
			t.Fatalf("Flush: %v", err)
		}
		rec, err := csv.NewReader(&b).Read()
		if err != nil {
			t.Fatalf("the CSV of %q does not read back: %v (%q)", s, err, b.String())
		}
		if len(rec) != 3 || rec[2] != "x" {
			t.Fatalf("the CSV of %q reads back as %q; want 3 cells", s, rec)
		}
		// encoding/csv reads CR LF inside a quoted cell as LF.
		want := strings.ReplaceAll(s, "\r\n", "\n")
		if s != "" && strings.IndexByte(formulaStart, s[0]) >= 0 {
			want = "'" + want
		}
		for i, got := range rec[:2] {
			if got != "" && strings.IndexByte(formulaStart, got[0]) >= 0 && !(i == 1 && plainNumber(s)) {
				t.Errorf("cell %d of %q reads back as %q, which starts with a formula character", i, s, got)
			}
		}
		if rec[0] != want {
			t.Errorf("Text(%q) reads back as %q; want %q", s, rec[0], want)
		}
		if plainNumber(s) && rec[1] != s {
			t.Errorf("Number(%q) reads back as %q; want it as it is", s, rec[1])
		} else if !plainNumber(s) && rec[1] != want {
			t.Errorf("Number(%q), not a plain number, reads back as %q; want %q", s, rec[1], want)
		}
		if !strings.Contains(s, "\r\n") && !(len(s) >= 2 && s[0] == '\'' && strings.IndexByte(formulaStart, s[1]) >= 0) {
			if got := Unquote(rec[0]); got != s {
				t.Errorf("Unquote(%q) = %q; want %q", rec[0], got, s)
			}
		}
	})
}

// TestOneWriter keeps this package the one CSV writer: no other Go file of
// the module (tests aside) makes an encoding/csv Writer, so a new export
// cannot bypass the neutralisation.
func TestOneWriter(t *testing.T) {
	root := ".."
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") || path == filepath.Join(root, "csvout")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(src, []byte("csv.NewWriter(")) {
			t.Errorf("%s makes its own encoding/csv Writer; write CSV through csvout.NewWriter", path)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("filepath.WalkDir: %v", err)
	}
}
