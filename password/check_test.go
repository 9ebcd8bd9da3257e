package password

import (
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	const email = "ada.lovelace@example.com"
	for _, tc := range []struct {
		p     string
		email string
		why   string // a word of the error; "" when the password is good
	}{
		// Length: 12 characters (runes), at most 1024 bytes, valid text.
		{"short", "", "at least 12"},
		{"elevenchars", "", "at least 12"},
		{"twelve chars", "", ""},
		{"été à la mer", "", ""}, // twelve characters, fifteen bytes
		{"ééééééééééé", "", "at least 12"},
		{strings.Repeat("wxyz kq", MaxLen/7+1), "", "at most 1024 bytes"},
		{"\xff\xfe invalid utf8 text", "", "not valid text"},
		// No composition rules: lower case words and spaces are fine.
		{"correct horse battery", "", ""},
		{"a long walk in the park", "", ""},
		{"mn4k-2qsa-zz7h-pp3x-9kcd", "", ""},
		// The email and the name before @.
		{"ada.lovelace@example.com", email, "email"},
		{"my ADA.LOVELACE@example.com!", email, "email"},
		{"ada.lovelace1815", email, "email"},
		{"lovelace-ada.lovelace", email, "email"},
		{"adalovelace!!!!", email, "email"},
		{"lovelace rules ok", email, ""}, // a part of the name: allowed
		{"al1234567890", "al@example.com", "email"},
		{"al is the best of us", "al@example.com", ""}, // a short name is only refused alone
		{"bo's long password", "bo@example.com", ""},
		{"ada.lovelace1815", "", ""}, // no email given: nothing to compare
		// Common passwords, with digits and symbols around them, l33t,
		// capitals, spaces, repeated.
		{"password1234", "", "common"},
		{"Password123!", "", "common"},
		{"P@ssw0rd2024", "", "common"},
		{"p@55w0rd!!!!", "", "common"},
		{"Pass Word 2024", "", "common"},
		{"passwordpassword", "", "common"},
		{"@dmin12345678", "", "common"},
		{"iloveyou1234", "", "common"},
		{"1l0v3y0u2024", "", "common"},
		{"Summer2024!!", "", "common"},
		{"Liverpool1892", "", "common"},
		{"tandem2026!!!", "", "common"},
		{"correct horse battery staple", "", "common"},
		{"qwertyqwerty", "", "common"},
		{"trustno1trustno1", "", ""}, // core "trustno1trustno": not a repetition
		{"password is long", "", ""},
		// Runs and repetitions.
		{"123456789012", "", "run"},
		{"098765432109", "", "run"},
		{"abcdefghijkl", "", "run"},
		{"lkjihgfedcba", "", "run"},
		{"qwertyuiopas", "", "run"},
		{"1qaz2wsx3edc", "", "run"},
		{"1q2w3e4r5t6y", "", "run"},
		{"aaaaaaaaaaaa", "", "run"},
		{"abcabcabcabc", "", "run"},
		{"abcdef123456", "", "run"},
		{"zxcvbnm!!!!!", "", "run"},
		{"ab1938475610", "", ""},
		{"x9k2m7p4q8r3", "", ""},
		{"839201746553", "", ""},
		{"wxyzwxyzwxyzq", "", ""},
	} {
		err := Check(tc.p, tc.email)
		switch {
		case tc.why == "" && err != nil:
			t.Errorf("Check(%q, %q) = %v; want nil", tc.p, tc.email, err)
		case tc.why != "" && (err == nil || !strings.Contains(err.Error(), tc.why)):
			t.Errorf("Check(%q, %q) = %v; want an error saying %q", tc.p, tc.email, err, tc.why)
		case err != nil && !strings.HasPrefix(err.Error(), "the password "):
			t.Errorf("Check(%q, %q) = %v; want a message naming the password", tc.p, tc.email, err)
		}
	}
}

// TestCheckCommonList: every listed password, as typed, with capitals and
// with digits after it to reach the minimum length, is refused.
func TestCheckCommonList(t *testing.T) {
	n := 0
	for line := range strings.Lines(commonText) {
		w := strings.TrimSpace(line)
		if w == "" || strings.HasPrefix(w, "#") {
			continue
		}
		n++
		p := strings.ToUpper(w[:1]) + w[1:] + "2024"
		for len(p) < MinLen {
			p += "!"
		}
		if err := Check(p, ""); err == nil {
			t.Errorf("Check(%q) = nil; want it refused (common password %q)", p, w)
		}
	}
	if n < 300 {
		t.Errorf("common.txt lists %d passwords; want a few hundred", n)
	}
}

func TestGenerateForEmails(t *testing.T) {
	// A four-letter name from Generate's alphabet could be drawn; the
	// password returned never holds it.
	emails := []string{"abcd@example.com", "kmnp@example.com", "rex@example.com"}
	for range 200 {
		p := Generate(emails...)
		for _, e := range emails {
			if err := Check(p, e); err != nil {
				t.Fatalf("Check(Generate(%q) = %q, %q) = %v; want nil", emails, p, e, err)
			}
		}
	}
}

func FuzzCheck(f *testing.F) {
	for _, s := range []string{"password1234", "correct horse battery", "ada.lovelace1815", "P@ssw0rd2024", "éé", "\xff"} {
		f.Add(s, "ada.lovelace@example.com")
	}
	f.Fuzz(func(t *testing.T, p, email string) {
		err := Check(p, email)
		if err == nil && (len([]rune(p)) < MinLen || len(p) > MaxLen) {
			t.Errorf("Check(%q, %q) = nil; want a length error", p, email)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "the password ") {
			t.Errorf("Check(%q, %q) = %v; want a message naming the password", p, email, err)
		}
	})
}
