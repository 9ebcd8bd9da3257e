package http

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
)

// TestDecodeJSONText checks which bodies decodeJSON takes and, for those
// whose text it refuses, the path it names.
func TestDecodeJSONText(t *testing.T) {
	for _, tc := range []struct {
		body string
		path string // "" when the body is taken
	}{
		{`{"company": "Acme"}`, ""},
		{`{"company": "Äcme 😀 \u00e9 \ud83d\ude00 \uD83D\uDE00"}`, ""},
		{`{"company": "\\ud800"}`, ""},        // an escaped backslash, then text
		{`{"company": "\\\ud83d\ude00"}`, ""}, // a backslash, then a pair
		{`{"company": "\ufffd"}`, ""},         // U+FFFD itself is text
		{"{\"company\": \"\xef\xbf\xbd\"}", ""},
		{`[1, "two", {"three": [true, null, 4.5]}]`, ""},
		{"{\"company\": \"\xff\"}", "company"},
		{`{"company": "\ud800"}`, "company"},
		{`{"company": "\udc00"}`, "company"},
		{`{"company": "\ud800\ud800"}`, "company"},
		{`{"company": "\ud800\u0041"}`, "company"},
		{`{"company": "\ud800x"}`, "company"},
		{`{"a": 1, "b": [1, {"c": "ok"}, {"d": "\uDFFF"}]}`, "b[2].d"},
		{"[{\"email\": \"a@example.com\"}, {\"company\": \"\xc3\"}]", "[1].company"},
		{"[\"ok\", \"\xff\"]", "[1]"},
		{"\"\xff\"", ""},
		{"{\"attributes\": {\"plan\": \"\xed\xa0\x80\"}}", "attributes.plan"},
		{"{\"a\": {\"b\": 1}, \"c\": [[], [\"\xff\"]]}", "c[1][0]"},
		{"{\"\xff\": 1}", `"\ufffd"`},
		{"{\"a\": {\"\xff\": 1}}", `a."\ufffd"`},
	} {
		var v any
		err := decodeJSON([]byte(tc.body), &v, exactNumbers)
		if tc.path == "" && tc.body != "\"\xff\"" {
			if err != nil {
				t.Errorf("decodeJSON(%q) = %v; want it taken", tc.body, err)
			}
			continue
		}
		want := tc.path
		if tc.body == "\"\xff\"" {
			want = "" // the document itself is the string
		}
		if tandem.ErrorCode(err) != tandem.EINVALID {
			t.Errorf("decodeJSON(%q) = %v; want EINVALID naming %q", tc.body, err, want)
			continue
		}
		if diff := cmp.Diff([]string{want}, fieldNames(tandem.ErrorFields(err))); diff != "" {
			t.Errorf("decodeJSON(%q) fields (-want +got):\n%s", tc.body, diff)
		}
	}
}

// FuzzDecodeJSON checks decodeJSON on any bytes: it never panics; what it
// takes is valid UTF-8 and decodes to no U+FFFD the body did not hold;
// what it refuses for its text is JSON that encoding/json would have
// taken mangled.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`{"company": "Acme"}`, `[{"a": "b"}, {"c": ["d", "\ud83d\ude00"]}]`, "{\"a\": \"\xff\"}",
		`{"a": "\ud800"}`, `{"a": "\\ud800"}`, `{"a": "\ufffd"}`, `{"a": "\ud800\u0041"}`, `"\udc00"`,
		"{\"\xed\xa0\x80\": 1}", `{"a": [1, 2, {"b": null}]}`, `{"a": "x\\\\\ud800"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var v any
		err := decodeJSON(body, &v, exactNumbers)
		if err == nil {
			if !utf8.Valid(body) {
				t.Fatalf("decodeJSON(%q) took a body that is not UTF-8", body)
			}
			out, merr := json.Marshal(v)
			if merr != nil {
				t.Fatalf("decodeJSON(%q) gave %#v, which does not encode: %v", body, v, merr)
			}
			if bytes.Contains(out, []byte("\ufffd")) && !bytes.Contains(body, []byte("\ufffd")) &&
				!strings.Contains(strings.ToLower(string(body)), `\ufffd`) {
				t.Fatalf("decodeJSON(%q) took it and made U+FFFD of it: %s", body, out)
			}
			return
		}
		var any2 any
		stdErr := json.Unmarshal(body, &any2)
		fields := tandem.ErrorFields(err)
		if tandem.ErrorCode(err) == tandem.EINVALID && len(fields) == 1 && strings.Contains(fields[0].Message, "UTF-8") && stdErr != nil {
			t.Fatalf("decodeJSON(%q) refused its text, but it is not JSON: %v", body, stdErr)
		}
		if stdErr == nil && tandem.ErrorCode(err) != tandem.EINVALID {
			t.Fatalf("decodeJSON(%q) = %v; encoding/json takes it, so only its text may be refused (EINVALID)", body, err)
		}
	})
}

// BenchmarkDecodeJSON decodes a batch of 1,000 leads as POST /api/v1/leads
// does, with the text check ("checked") and without it ("plain"), and a
// batch with a lone surrogate in its last lead, whose text is walked token
// by token ("walked").
func BenchmarkDecodeJSON(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("[")
	for i := range 1000 {
		if i > 0 {
			sb.WriteString(",")
		}
		sb.WriteString(`{"external_id": "` + strings.Repeat("7", 6) + `", "email": "lena.park@example.com", "first_name": "Léna", "company": "Acme Ünited \u00e9", "score": 70, "attributes": {"plan": "gold"}}`)
	}
	sb.WriteString("]")
	good := []byte(sb.String())
	bad := append(bytes.TrimSuffix(bytes.Clone(good), []byte("}]")), []byte(`, "note": "\ud800"}]`)...)
	for _, bc := range []struct {
		name string
		body []byte
		run  func([]byte) error
	}{
		{"checked", good, func(body []byte) error { var v any; return decodeJSON(body, &v, exactNumbers) }},
		{"plain", good, func(body []byte) error {
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.UseNumber()
			var v any
			return dec.Decode(&v)
		}},
		{"walked", bad, func(body []byte) error {
			var v any
			if err := decodeJSON(body, &v, exactNumbers); tandem.ErrorCode(err) != tandem.EINVALID {
				return err
			}
			return nil
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.body)))
			for b.Loop() {
				if err := bc.run(bc.body); err != nil {
					b.Fatalf("run: %v", err)
				}
			}
		})
	}
}
