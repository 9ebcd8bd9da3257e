package content

import (
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
)

func TestMergeFields(t *testing.T) {
	for _, tc := range []struct {
		text    string
		want    []string
		wantErr string
	}{
		{"Hi {{first_name}} at {{ company }}, {{first_name}}!", []string{"first_name", "company"}, ""},
		{"no fields", nil, ""},
		{"Hi {{firstname}}", nil, "unknown merge field {{firstname}}"},
		{"Hi {{first_name}", nil, "never closed"},
		{"Hi {{ }}", nil, "empty merge field"},
		{"{{rep_name}} {{link}}", []string{"rep_name", "link"}, ""},
	} {
		got, err := MergeFields(tc.text)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("MergeFields(%q) error = %v; want one saying %q", tc.text, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("MergeFields(%q) error = %v", tc.text, err)
		}
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("MergeFields(%q) (-want +got):\n%s", tc.text, d)
		}
	}
}

func TestFill(t *testing.T) {
	l := tandem.Lead{FirstName: "Ines", LastName: "Müller", Company: "Acme & Co", Email: "ines@acme.example", Segment: "smb"}
	rep := tandem.User{Name: "Rita Rep", Email: "rita@tandem.example"}
	v := ValuesFor(l, rep, "https://t.example/c/x/tok")
	got, err := Fill("Dear {{first_name}} {{ last_name }} ({{full_name}}) of {{company}}: see {{link}}. {{rep_name}} <{{rep_email}}>", v)
	want := "Dear Ines Müller (Ines Müller) of Acme & Co: see https://t.example/c/x/tok. Rita Rep <rita@tandem.example>"
	if err != nil || got != want {
		t.Errorf("Fill = %q, %v; want %q", got, err, want)
	}
	if got, err := Fill("{{nope}}", v); err == nil || got != "{{nope}}" {
		t.Errorf("Fill of an unknown field = %q, %v; want the text back and an error", got, err)
	}
}

func TestMailto(t *testing.T) {
	subject, body := "Hi & welcome + more?", "Line 1\nLine 2 = 100%"
	m := Mailto("ines@acme.example", subject, body)
	if strings.ContainsAny(strings.TrimPrefix(m, "mailto:"), " +\n\r") {
		t.Errorf("Mailto = %q holds a raw space, plus or line break", m)
	}
	u, err := url.Parse(m)
	if err != nil {
		t.Fatalf("Mailto = %q does not parse: %v", m, err)
	}
	if u.Opaque != "ines@acme.example" {
		t.Errorf("Mailto address = %q", u.Opaque)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		t.Fatal(err)
	}
	if q.Get("subject") != subject || q.Get("body") != "Line 1\r\nLine 2 = 100%" {
		t.Errorf("Mailto query = %q, %q; want %q and the body with CRLF", q.Get("subject"), q.Get("body"), subject)
	}
}

func TestValidate(t *testing.T) {
	good := Item{Code: "first-follow-up", Kind: KindEmail, Title: "First follow-up", Subject: "Hi {{first_name}}",
		Body: "Read {{link}}", URL: "https://acme.example/case", Status: StatusLive}
	if err := good.Validate(); err != nil {
		t.Fatalf("Validate(good) = %v", err)
	}
	for _, tc := range []struct {
		name  string
		edit  func(*Item)
		field string
		says  string
	}{
		{"unknown field", func(it *Item) { it.Body = "Hi {{frist_name}}" }, "body", "{{frist_name}}"},
		{"unknown field in subject", func(it *Item) { it.Subject = "{{ceo}}" }, "subject", "{{ceo}}"},
		{"javascript link", func(it *Item) { it.URL = "javascript:alert(1)" }, "url", "not an http or https link"},
		{"ftp link", func(it *Item) { it.URL = "ftp://acme.example/x" }, "url", "not an http or https link"},
		{"relative link", func(it *Item) { it.URL = "//evil.example/x" }, "url", "not an http or https link"},
		{"no host", func(it *Item) { it.URL = "https:///x" }, "url", "no host"},
		{"link without url", func(it *Item) { it.URL = "" }, "body", "has no url"},
		{"bad code", func(it *Item) { it.Code = "a b" }, "code", "use letters"},
		{"no code", func(it *Item) { it.Code = "" }, "code", "required"},
		{"kind", func(it *Item) { it.Kind = "fax" }, "kind", "not a kind"},
		{"status", func(it *Item) { it.Status = "on" }, "status", "not a status"},
		{"title", func(it *Item) { it.Title = " " }, "title", "required"},
		{"email subject", func(it *Item) { it.Subject = "" }, "subject", "required"},
		{"subject line", func(it *Item) { it.Subject = "a\nb" }, "subject", "line break"},
	} {
		it := good
		tc.edit(&it)
		err := it.Validate()
		found := false
		for _, f := range tandem.ErrorFields(err) {
			if f.Field == tc.field && strings.Contains(f.Message, tc.says) {
				found = true
			}
		}
		if !found || tandem.ErrorCode(err) != tandem.EINVALID {
			t.Errorf("%s: Validate() = %v; want EINVALID on %s saying %q", tc.name, err, tc.field, tc.says)
		}
	}
	link := Item{Code: "case", Kind: KindLink, Title: "Case study", Status: StatusDraft}
	if err := link.Validate(); err == nil {
		t.Errorf("Validate(link without URL) = nil")
	}
}

func TestFits(t *testing.T) {
	for _, tc := range []struct {
		status, segment, lead string
		want                  bool
	}{{StatusLive, "", "smb", true}, {StatusLive, "smb", "SMB", true}, {StatusLive, "enterprise", "smb", false},
		{StatusDraft, "", "smb", false}, {StatusRetired, "", "", false}} {
		it := Item{Status: tc.status, Segment: tc.segment}
		if got := it.Fits(tc.lead); got != tc.want {
			t.Errorf("Item{%s, segment %q}.Fits(%q) = %v; want %v", tc.status, tc.segment, tc.lead, got, tc.want)
		}
	}
}

func FuzzMergeFields(f *testing.F) {
	for _, s := range []string{"", "Hi {{first_name}}", "{{", "}}{{", "{{ link }}{{x}}", "{{{{first_name}}}}", "a{{company}}b{{"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		names, err := MergeFields(s)
		if err != nil {
			return
		}
		for _, n := range names {
			if !known(n) {
				t.Fatalf("MergeFields(%q) gave unknown field %q", s, n)
			}
		}
		out, err := Fill(s, Values{})
		if err != nil {
			t.Fatalf("Fill(%q) = %v after MergeFields accepted it", s, err)
		}
		if len(out) > len(s) {
			t.Fatalf("Fill(%q) with no values grew to %q", s, out)
		}
	})
}

func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{"https://a.example/x", "javascript:alert(1)", "http://", "//x", "HTTPS://A.EXAMPLE", "http://u:p@a.example"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if CheckURL(s) != nil {
			return
		}
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			t.Fatalf("CheckURL(%q) accepted a URL that is not http(s) with a host", s)
		}
	})
}
