package csvimport

import (
	"strings"
	"testing"
)

// TestTextRefused reads cells that are not UTF-8 text, each kind a lead
// of the API refuses too (issue 11, item 7): a stray byte, the UTF-8 of a
// surrogate half (CESU-8), an overlong encoding, a sequence cut short.
// Each row is refused naming its line and column; the rows around it are
// read.
func TestTextRefused(t *testing.T) {
	const csv = "ID,Email,Created,Stage,Origin\n" +
		"1,a@x.example,,,ok\n" +
		"2,b@x.example,,,\xed\xa0\x80\n" +
		"3,c\xc0\xafx@x.example,,,\n" +
		"4,d@x.example,,,web\xe2\x82\n" +
		"5,e@x.example,,,\xff\n" +
		"6,f@x.example,,,ok\n"
	r, err := NewReader(strings.NewReader(csv), mustMapping(t, testMapping))
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	items, fatal := readAll(t, r)
	if fatal != nil {
		t.Fatalf("readAll = %v; want every row read", fatal)
	}
	type got struct {
		Line   int
		Column string
		OK     bool
	}
	var have []got
	for _, it := range items {
		have = append(have, got{it.Line, it.Column, it.Reason == ""})
		if it.Reason != "" && !strings.Contains(it.Reason, "not valid UTF-8") {
			t.Errorf("line %d: reason %q; want it to say the text is not valid UTF-8", it.Line, it.Reason)
		}
	}
	want := []got{{2, "", true}, {3, "Origin", false}, {4, "Email", false}, {5, "Origin", false}, {6, "Origin", false}, {7, "", true}}
	if len(have) != len(want) {
		t.Fatalf("rows = %+v; want %+v", have, want)
	}
	for i := range want {
		if have[i] != want[i] {
			t.Errorf("row %d = %+v; want %+v", i, have[i], want[i])
		}
	}
}
