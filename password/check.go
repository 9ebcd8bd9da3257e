package password

import (
	_ "embed"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The rules for a new password follow NIST SP 800-63B (section 3.1.1.2):
// a minimum length, no composition rules (no "one digit, one capital"),
// and a refusal of the passwords a guesser tries first: the most common
// ones, runs of keys or letters, repeated characters, and the user's own
// email. Every place a password is set calls [Check]: the setup and
// account pages, the CLI's user commands; the admin's reset and the demo
// use [Generate], whose passwords pass it.

// Check says what is wrong with p as the new password of the user with
// the given email ("" when there is none yet), or returns nil. Its
// messages name the password and say why, for the person choosing it.
func Check(p, email string) error {
	switch {
	case !utf8.ValidString(p):
		return errors.New("the password is not valid text (UTF-8)")
	case utf8.RuneCountInString(p) < MinLen:
		return fmt.Errorf("the password must be at least %d characters long (it has %d)", MinLen, utf8.RuneCountInString(p))
	case len(p) > MaxLen:
		return fmt.Errorf("the password must be at most %d bytes long", MaxLen)
	}
	s := squeeze(p)
	if name, ok := ofEmail(s, email); ok {
		return fmt.Errorf("the password must not contain the user's email address or its name before @ (%s)", name)
	}
	if isRun(s) {
		return errors.New("the password is a run of keys, letters or digits in order, or repeats a few characters: choose another")
	}
	if isCommon(s) {
		return errors.New("the password is one of the most common passwords (or one with digits or symbols around it): choose another")
	}
	return nil
}

// squeeze lower-cases p and drops its spaces: "Pass Word" is "password".
func squeeze(p string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return unicode.ToLower(r)
	}, p)
}

// ofEmail reports whether the squeezed password s contains the email, or
// holds the name before @: equal to it around digits and symbols, or
// containing it when it has four characters or more (with or without its
// dots, dashes, underscores and pluses). It returns what it found.
func ofEmail(s, email string) (string, bool) {
	email = squeeze(email)
	local, _, found := strings.Cut(email, "@")
	if email == "" || local == "" {
		return "", false
	}
	if found && strings.Contains(s, email) {
		return email, true
	}
	bare := strings.Map(func(r rune) rune {
		if strings.ContainsRune(".-_+", r) {
			return -1
		}
		return r
	}, local)
	for _, name := range []string{local, bare} {
		if name == "" {
			continue
		}
		if core(s) == name || utf8.RuneCountInString(name) >= 4 && strings.Contains(s, name) {
			return name, true
		}
	}
	return "", false
}

//go:embed common.txt
var commonText string

// common is the set of common passwords, each as [core] leaves it.
var common = func() map[string]bool {
	set := map[string]bool{}
	for line := range strings.Lines(commonText) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if c := core(squeeze(line)); c != "" {
			set[c] = true
		}
	}
	return set
}()

// isCommon reports whether the squeezed password s is a common password
// once the digits and symbols around it are dropped and l33t spelling is
// undone ("P@ssw0rd2024!" is "password"), or one repeated
// ("qwertyqwerty").
func isCommon(s string) bool {
	for _, c := range variants(s) {
		if common[c] {
			return true
		}
		if u, n := unit(c); n >= 2 && common[u] {
			return true
		}
	}
	return false
}

// variants are the forms of s compared with the common passwords: its core
// as typed, and its core with l33t spelling undone (1 read as i and as l).
func variants(s string) []string {
	// @ and $ stand for letters even at the ends, where digits and other
	// symbols are dropped.
	letters := strings.NewReplacer("@", "a", "$", "s").Replace(s)
	c := core(letters)
	return []string{core(s), c,
		strings.NewReplacer("0", "o", "1", "i", "3", "e", "4", "a", "5", "s", "7", "t", "8", "b", "!", "i", "|", "l").Replace(c),
		strings.NewReplacer("0", "o", "1", "l", "3", "e", "4", "a", "5", "s", "7", "t", "8", "b", "!", "i", "|", "l").Replace(c)}
}

// core is s from its first letter to its last: without the digits and
// symbols people add around a word. A string without letters has no core.
func core(s string) string {
	i := strings.IndexFunc(s, unicode.IsLetter)
	if i < 0 {
		return ""
	}
	j := strings.LastIndexFunc(s, unicode.IsLetter)
	_, size := utf8.DecodeRuneInString(s[j:])
	return s[i : j+size]
}

// unit returns the shortest string whose n repetitions make s ("ab", 3 for
// "ababab"); s itself and 1 when it repeats nothing.
func unit(s string) (string, int) {
	for size := 1; size <= len(s)/2; size++ {
		if len(s)%size == 0 && strings.Repeat(s[:size], len(s)/size) == s {
			return s[:size], len(s) / size
		}
	}
	return s, 1
}

// walks are the orders a guesser walks through: the alphabet, the digits,
// and rows and columns of the common keyboards. A run is any part of one,
// forwards or backwards.
var walks = []string{
	"abcdefghijklmnopqrstuvwxyz",
	strings.Repeat("0123456789", 5),
	"1234567890-=qwertyuiop[]asdfghjkl;'zxcvbnm,./",
	"!@#$%^&*()_+",
	"qwertyuiopasdfghjklzxcvbnm",
	"qwertzuiopasdfghjklyxcvbnm",
	"azertyuiopqsdfghjklmwxcvbn",
	"1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/",
	"zaq12wsxcde34rfvbgt56yhnmju78ik,.lo90p;/",
	"1q2w3e4r5t6y7u8i9o0p",
	"q1w2e3r4t5y6u7i8o9p0",
	"qazwsxedcrfvtgbyhnujmikolp",
	"qweasdzxcrtyfghvbnuiojklm",
}

// isRun reports whether the squeezed password s is nothing but runs: the
// digits and symbols before its first letter, its core and those after its
// last letter are each a part of a walk (forwards or backwards) or repeat
// at most four characters ("abcdef123456", "qwerty!!!!!!", "aaaaaa111111").
func isRun(s string) bool {
	if run(s) {
		return true
	}
	c := core(s)
	if c == "" {
		return false
	}
	i := strings.Index(s, c)
	for _, part := range []string{s[:i], c, s[i+len(c):]} {
		if part != "" && !run(part) {
			return false
		}
	}
	return true
}

// run reports whether s is part of a walk or repeats at most four
// characters.
func run(s string) bool {
	if u, n := unit(s); n >= 2 && utf8.RuneCountInString(u) <= 4 {
		return true
	}
	r := reverse(s)
	for _, w := range walks {
		if strings.Contains(w, s) || strings.Contains(w, r) {
			return true
		}
	}
	return false
}

func reverse(s string) string {
	rs := []rune(s)
	for i, j := 0, len(rs)-1; i < j; i, j = i+1, j-1 {
		rs[i], rs[j] = rs[j], rs[i]
	}
	return string(rs)
}
