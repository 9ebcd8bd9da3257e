package notify

import (
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNewSMTP(t *testing.T) {
	for _, tc := range []struct {
		url  string
		want SMTP
	}{
		{"smtp://localhost:1025?from=tandem@example.com&tls=none",
			SMTP{host: "localhost", port: "1025", tls: "none", from: "tandem@example.com", domain: "example.com"}},
		{"smtp://mail.example.com?from=tandem@example.com",
			SMTP{host: "mail.example.com", port: "587", tls: "starttls", from: "tandem@example.com", domain: "example.com"}},
		{"smtp://mail.example.com/?from=tandem@example.com&tls=tls",
			SMTP{host: "mail.example.com", port: "465", tls: "tls", from: "tandem@example.com", domain: "example.com"}},
		{"smtp://relay?from=tandem@example.com&tls=none",
			SMTP{host: "relay", port: "25", tls: "none", from: "tandem@example.com", domain: "example.com"}},
		{"smtp://apikey:p%40ss%3Aword@[2001:db8::1]:2525?tls=starttls&from=Tandem+%3Calerts@Mail.Example.COM%3E",
			SMTP{host: "2001:db8::1", port: "2525", tls: "starttls", user: "apikey", pass: "p@ss:word",
				from: "Tandem <alerts@Mail.Example.COM>", domain: "Mail.Example.COM"}},
	} {
		got, err := NewSMTP(tc.url)
		if err != nil {
			t.Errorf("NewSMTP(%q): %v", tc.url, err)
			continue
		}
		if diff := cmp.Diff(tc.want, *got, cmp.AllowUnexported(SMTP{})); diff != "" {
			t.Errorf("NewSMTP(%q) (-want +got):\n%s", tc.url, diff)
		}
	}
}

func TestNewSMTPErrors(t *testing.T) {
	for _, tc := range []struct {
		url  string
		want string // a phrase the error must contain
	}{
		{"", `scheme is ""`},
		{"mail.example.com:587", `scheme is "mail.example.com"`},
		{"http://mail.example.com?from=a@example.com", `scheme is "http"`},
		{"smtps://mail.example.com?from=a@example.com", `scheme is "smtps"`},
		{"smtp://?from=a@example.com", "missing host"},
		{"smtp://:25?from=a@example.com", "missing host"},
		{"smtp://u:s3cret@:25?from=a@example.com", "missing host"},
		{"smtp:mail.example.com?from=a@example.com", "missing host"},
		{"smtp://mail.example.com:smtp?from=a@example.com", "port"},
		{"smtp://u:s3cret@mail.example.com:x25?from=a@example.com", "port"},
		{"smtp://mail.example.com:0?from=a@example.com", `bad port "0"`},
		{"smtp://mail.example.com:65536?from=a@example.com", `bad port "65536"`},
		{"smtp://mail.example.com:99999999999999999999?from=a@example.com", "bad port"},
		{"smtp://mail.example.com:587", "missing from"},
		{"smtp://mail.example.com:587?from=", "missing from"},
		{"smtp://mail.example.com:587?tls=none", "missing from"},
		{"smtp://mail.example.com:587?from=tandem", `invalid from "tandem"`},
		{"smtp://mail.example.com:587?from=tandem@", `invalid from "tandem@"`},
		{"smtp://mail.example.com:587?from=a@example.com,b@example.com", "invalid from"},
		{"smtp://mail.example.com:587?from=a@b%C3%BCcher.example", "ASCII"},
		{"smtp://mail.example.com:587?from=a@example.com&tls=ssl", `unknown tls value "ssl"`},
		{"smtp://mail.example.com:587?from=a@example.com&tls=STARTTLS", `unknown tls value "STARTTLS"`},
		{"smtp://mail.example.com:587?from=a@example.com&tls=", `unknown tls value ""`},
		{"smtp://mail.example.com:587?form=a@example.com", `unknown parameter "form"`},
		{"smtp://mail.example.com:587?from=a@example.com&from=b@example.com", `"from" is given more than once`},
		{"smtp://mail.example.com:587?from=a@example.com&x=%zz", "query"},
		{"smtp://mail.example.com:587/mail?from=a@example.com", "unexpected path"},
		{"smtp://mail.example.com:587?from=a@example.com#frag", "unexpected path"},
		{"smtp://user@mail.example.com:587?from=a@example.com", "user name without a password"},
		{"smtp://user:@mail.example.com:587?from=a@example.com", "user name without a password"},
		{"smtp://:s3cret@mail.example.com:587?from=a@example.com", "password without a user name"},
		{"smtp://u:s3cret@mail.example.com:587?from=nobody", "invalid from"},
		{"smtp://u:s3cr%zzet@mail.example.com:587?from=a@example.com", "escape"},
		{"smtp://[::1?from=a@example.com", "missing ']'"},
		{"smtp://mail example.com?from=a@example.com", "invalid character"},
	} {
		_, err := NewSMTP(tc.url)
		if err == nil {
			t.Errorf("NewSMTP(%q) = nil error; want one containing %q", tc.url, tc.want)
			continue
		}
		if !strings.HasPrefix(err.Error(), "smtp url: ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewSMTP(%q) = %q; want smtp url: ...%s...", tc.url, err, tc.want)
		}
		if strings.Contains(err.Error(), "s3cr") {
			t.Errorf("NewSMTP(%q) = %q; the error shows the password", tc.url, err)
		}
	}
}

// FuzzNewSMTP checks that no URL makes NewSMTP panic, and that what it
// accepts is complete enough to send with.
//
//	go test ./notify -run '^$' -fuzz FuzzNewSMTP -fuzztime 60s
func FuzzNewSMTP(f *testing.F) {
	for _, seed := range []string{
		"smtp://localhost:1025?from=tandem@example.com&tls=none",
		"smtp://apikey:p%40ss@[2001:db8::1]:2525?tls=tls&from=Tandem+%3Calerts@example.com%3E",
		"smtp://mail.example.com?from=a@[192.0.2.1]",
		"smtp://mail.example.com?from=%22a+b%22@example.com",
		"smtp://:25?from=a@example.com", "smtp:x?from=a@b", "smtp://h:0?from=a@b",
		"smtp://h?from=a@b&tls=x", "smtp://h?from=@", "smtp://%zz", "", "smtp://", "smtp://[::1",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, rawURL string) {
		s, err := NewSMTP(rawURL)
		if err != nil {
			return
		}
		if s.host == "" || s.from == "" || s.domain == "" {
			t.Errorf("NewSMTP(%q) = %+v; want host, from and domain", rawURL, *s)
		}
		if n, err := strconv.Atoi(s.port); err != nil || n < 1 || n > 65535 {
			t.Errorf("NewSMTP(%q) port = %q; want 1 to 65535", rawURL, s.port)
		}
		if _, ok := defaultPort(s.tls); !ok {
			t.Errorf("NewSMTP(%q) tls = %q", rawURL, s.tls)
		}
	})
}
