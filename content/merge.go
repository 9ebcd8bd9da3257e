package content

import (
	"fmt"
	"strings"

	"github.com/tandemhq/tandem"
)

// The merge fields a template may name, written {{name}} (spaces inside the
// braces allowed). The set is fixed so that a typing mistake is an error
// when the template is saved, not a blank in an email a lead reads.
const (
	FieldFirstName = "first_name"
	FieldLastName  = "last_name"
	FieldFullName  = "full_name"
	FieldCompany   = "company"
	FieldTitle     = "title"
	FieldEmail     = "email"
	FieldCountry   = "country"
	FieldSegment   = "segment"
	FieldRepName   = "rep_name"
	FieldRepEmail  = "rep_email"
	// FieldLink is the item's tracked link for this lead (/c/CODE/TOKEN),
	// which redirects to the item's URL.
	FieldLink = "link"
)

// Fields lists the merge fields, in the order docs/content.md gives them.
var Fields = []string{FieldFirstName, FieldLastName, FieldFullName, FieldCompany, FieldTitle, FieldEmail,
	FieldCountry, FieldSegment, FieldRepName, FieldRepEmail, FieldLink}

func known(name string) bool {
	for _, f := range Fields {
		if f == name {
			return true
		}
	}
	return false
}

// MergeFields returns the merge fields text names, each once, in the order
// they first appear. An unknown field, an empty {{}} or a {{ never closed is
// an error naming it.
func MergeFields(text string) ([]string, error) {
	var names []string
	err := scan(text, func(lit string) {}, func(name string) {
		for _, n := range names {
			if n == name {
				return
			}
		}
		names = append(names, name)
	})
	return names, err
}

// scan walks text, calling lit for literal text and field for each merge
// field, and stops at the first mistake.
func scan(text string, lit, field func(string)) error {
	for {
		i := strings.Index(text, "{{")
		if i < 0 {
			lit(text)
			return nil
		}
		lit(text[:i])
		rest := text[i+2:]
		j := strings.Index(rest, "}}")
		if j < 0 {
			return fmt.Errorf("a merge field is opened with {{ and never closed with }}: %q", clip(text[i:]))
		}
		name := strings.TrimSpace(rest[:j])
		switch {
		case name == "":
			return fmt.Errorf("an empty merge field {{}}: name one of %s", strings.Join(Fields, ", "))
		case !known(name):
			return fmt.Errorf("unknown merge field {{%s}} (the fields are %s)", clip(name), strings.Join(Fields, ", "))
		}
		field(name)
		text = rest[j+2:]
	}
}

func clip(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}

// Values are the merge fields' values for one lead and one rep.
type Values map[string]string

// ValuesFor gives the merge fields of a lead, the rep who writes to it, and
// the item's tracked link for the lead ("" when the item has no URL).
func ValuesFor(l tandem.Lead, rep tandem.User, link string) Values {
	return Values{
		FieldFirstName: l.FirstName,
		FieldLastName:  l.LastName,
		FieldFullName:  strings.TrimSpace(l.FirstName + " " + l.LastName),
		FieldCompany:   l.Company,
		FieldTitle:     l.Title,
		FieldEmail:     l.Email,
		FieldCountry:   l.Country,
		FieldSegment:   l.Segment,
		FieldRepName:   rep.Label(),
		FieldRepEmail:  rep.Email,
		FieldLink:      link,
	}
}

// Fill writes text with each merge field replaced by its value (a field
// with no value becomes empty). A template that does not scan (it was
// saved before a rule changed, say) comes back as it is, with its error.
func Fill(text string, v Values) (string, error) {
	var b strings.Builder
	err := scan(text, func(s string) { b.WriteString(s) }, func(name string) { b.WriteString(v[name]) })
	if err != nil {
		return text, err
	}
	return b.String(), nil
}

// Filled is an item filled in for one lead.
type Filled struct {
	Item    Item
	Subject string
	Body    string
	Link    string // the tracked link, "" for an item without a URL
}

// FillItem fills an item's subject and body for a lead.
func FillItem(it Item, v Values) Filled {
	f := Filled{Item: it, Link: v[FieldLink]}
	f.Subject, _ = Fill(it.Subject, v)
	f.Body, _ = Fill(it.Body, v)
	return f
}

// Mailto returns a mailto: URL that opens the rep's mail client with the
// message to address to, its subject and body: every part percent-encoded
// (RFC 6068), spaces as %20 and line breaks as %0D%0A, so that no mail
// client reads a + as a space or an & in the text as a new header.
func Mailto(to, subject, body string) string {
	body = strings.ReplaceAll(strings.ReplaceAll(body, "\r\n", "\n"), "\n", "\r\n")
	var b strings.Builder
	b.WriteString("mailto:")
	b.WriteString(escape(to, true))
	b.WriteString("?subject=")
	b.WriteString(escape(subject, false))
	b.WriteString("&body=")
	b.WriteString(escape(body, false))
	return b.String()
}

// escape percent-encodes every byte but the unreserved ones (and '@' in an
// address).
func escape(s string, addr bool) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' || addr && c == '@' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
