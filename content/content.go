// Package content is marketing's content library as sales uses it: email
// templates, call scripts and links to assets, each with versions, the
// merge fields a template may name (a fixed set, [Fields]), filling a
// template for one lead, and the figures of a content item's effect
// (effect.go). It is pure: no SQL, no HTTP, no clock; the store gathers the
// rows and calls it. docs/content.md defines every rule and figure.
package content

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tandemhq/tandem"
)

// Kinds of content.
const (
	KindEmail      = "email"       // an email template: subject and body
	KindCallScript = "call_script" // what to say on a call: body
	KindLink       = "link"        // a link to an asset (a case study): URL
)

// Kinds lists the kinds in the order forms offer them.
var Kinds = []string{KindEmail, KindCallScript, KindLink}

// Statuses of an item. Only live content is offered to sales, and only live
// content may be named by a cadence step.
const (
	StatusDraft   = "draft"
	StatusLive    = "live"
	StatusRetired = "retired"
)

// Statuses lists the statuses in their usual order.
var Statuses = []string{StatusDraft, StatusLive, StatusRetired}

// Limits of an item's text.
const (
	MaxCodeBytes  = 100
	MaxTitleLen   = 200
	MaxSubjectLen = 500
	MaxBodyLen    = 20000
	MaxURLBytes   = 2000
	MaxNoteLen    = 2000
)

// Item is one piece of content. Subject, Body and URL are those of its
// current Version: each change of one of them makes a new version.
type Item struct {
	Code     string `json:"code"`
	Kind     string `json:"kind"`
	Title    string `json:"title"`
	Subject  string `json:"subject,omitempty"`
	Body     string `json:"body,omitempty"`
	URL      string `json:"url,omitempty"`
	Owner    string `json:"owner,omitempty"`    // who keeps it: an email address
	Campaign string `json:"campaign,omitempty"` // the campaign it belongs to
	Segment  string `json:"segment,omitempty"`  // the lead segment it fits; "" fits every segment
	Status   string `json:"status"`
	Version  int    `json:"version"`
	// CreatedAt and UpdatedAt are set by the store.
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Version is one version of an item's subject, body and URL.
type Version struct {
	Code      string    `json:"code"`
	Version   int       `json:"version"`
	Subject   string    `json:"subject,omitempty"`
	Body      string    `json:"body,omitempty"`
	URL       string    `json:"url,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
}

// Changed reports whether next's subject, body or URL differ from it: a
// change that makes a new version.
func (it Item) Changed(next Item) bool {
	return it.Subject != next.Subject || it.Body != next.Body || it.URL != next.URL
}

// Fits reports whether the item is live and fits a lead of the segment.
func (it Item) Fits(segment string) bool {
	return it.Status == StatusLive && (it.Segment == "" || strings.EqualFold(it.Segment, segment))
}

// Validate returns an EINVALID error naming each field that breaks a rule:
// a code (a key: letters, digits, '-', '_', '.'), a known kind and status,
// a title, text within its limits, merge fields from [Fields] only, a URL
// that is http or https, and what each kind needs (an email a subject and a
// body, a call script a body, a link a URL).
func (it *Item) Validate() error {
	var errs []tandem.FieldError
	bad := func(field, format string, args ...any) {
		errs = append(errs, tandem.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if err := CheckCode(it.Code); err != nil {
		bad("code", "%v", err)
	}
	if !slices.Contains(Kinds, it.Kind) {
		bad("kind", "%q is not a kind of content (want one of %s)", it.Kind, strings.Join(Kinds, ", "))
	}
	if !slices.Contains(Statuses, it.Status) {
		bad("status", "%q is not a status (want one of %s)", it.Status, strings.Join(Statuses, ", "))
	}
	if strings.TrimSpace(it.Title) == "" {
		bad("title", "is required: what people see in lists")
	}
	for _, f := range []struct {
		field, value string
		max          int
	}{{"title", it.Title, MaxTitleLen}, {"subject", it.Subject, MaxSubjectLen}, {"body", it.Body, MaxBodyLen},
		{"owner", it.Owner, MaxTitleLen}, {"campaign", it.Campaign, MaxTitleLen}, {"segment", it.Segment, MaxTitleLen}} {
		if err := tandem.CheckTextLen(f.value, f.max); err != nil {
			bad(f.field, "%v", err)
		}
	}
	if strings.ContainsAny(it.Subject, "\r\n") {
		bad("subject", "holds a line break: a subject is one line")
	}
	for _, f := range []struct{ field, value string }{{"subject", it.Subject}, {"body", it.Body}} {
		names, err := MergeFields(f.value)
		if err != nil {
			bad(f.field, "%v", err)
			continue
		}
		if slices.Contains(names, FieldLink) && it.URL == "" {
			bad(f.field, "uses {{%s}}, the tracked link to the item's URL, and the item has no url", FieldLink)
		}
	}
	if it.URL != "" {
		if err := CheckURL(it.URL); err != nil {
			bad("url", "%v", err)
		}
	}
	switch it.Kind {
	case KindEmail:
		if strings.TrimSpace(it.Subject) == "" {
			bad("subject", "is required for an email template")
		}
		if strings.TrimSpace(it.Body) == "" {
			bad("body", "is required for an email template")
		}
	case KindCallScript:
		if strings.TrimSpace(it.Body) == "" {
			bad("body", "is required for a call script")
		}
	case KindLink:
		if it.URL == "" {
			bad("url", "is required for a link: the asset's address, http or https")
		}
	}
	if len(errs) > 0 {
		return tandem.Invalid(errs...)
	}
	return nil
}

// CheckCode says why s cannot be a content code, or returns nil. A code
// appears in agreement files and in tracked links, so it is short and
// plain: letters, digits, '-', '_' and '.'.
func CheckCode(s string) error {
	switch {
	case s == "":
		return fmt.Errorf("is required: the name cadence steps use, like first-follow-up")
	case len(s) > MaxCodeBytes:
		return fmt.Errorf("longer than %d bytes", MaxCodeBytes)
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return fmt.Errorf("%q holds %q: use letters, digits, '-', '_' and '.'", s, r)
		}
	}
	return nil
}

// CheckURL says why s cannot be a content item's link, or returns nil: it
// must be an absolute http or https URL with a host, since the tracked
// redirect sends a lead's browser there.
func CheckURL(s string) error {
	if len(s) > MaxURLBytes {
		return fmt.Errorf("longer than %d bytes", MaxURLBytes)
	}
	if strings.ContainsAny(s, " \t\r\n") || !utf8.ValidString(s) {
		return fmt.Errorf("%q holds spaces or is not valid text", s)
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%q is not a URL", s)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%q is not an http or https link: the tracked redirect sends a lead's browser only to a web page", s)
	}
	if u.Host == "" || u.Hostname() == "" {
		return fmt.Errorf("%q has no host", s)
	}
	if u.User != nil {
		return fmt.Errorf("%q holds a user name or password", s)
	}
	return nil
}

// Rating is a rep's word on an item: useful or not, with a note.
type Rating struct {
	ID        int64     `json:"id,omitempty"`
	Code      string    `json:"code"`
	Version   int       `json:"version"` // the item's version when rated
	UserID    int64     `json:"user_id"`
	User      string    `json:"user,omitempty"` // their name, for pages
	Useful    bool      `json:"useful"`
	Note      string    `json:"note,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Validate checks the rating's note.
func (r *Rating) Validate() error {
	if err := tandem.CheckTextLen(r.Note, MaxNoteLen); err != nil {
		return tandem.Invalid(tandem.FieldError{Field: "note", Message: err.Error()})
	}
	return nil
}
