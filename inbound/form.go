package inbound

import (
	"fmt"
	"html"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/csvimport"
)

// Form is a website form: the company's own site posts it to
// POST /f/{Name}, and each post is one lead input (docs/integrations.md,
// "Website forms").
type Form struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// Mapping is the YAML of a leads mapping (docs/import.md) whose
	// columns are the form's field names.
	Mapping string `json:"mapping"`
	// Origins are the sites allowed to post the form from a browser, each
	// a scheme, host and optional port ("https://www.example.com").
	Origins []string `json:"origins"`
	// Redirect is where a browser goes after a post the form took; when
	// empty, Thanks is shown.
	Redirect string `json:"redirect,omitempty"`
	Thanks   string `json:"thanks,omitempty"`
	// Campaign and the UTM fields are stamped on the leads the form
	// creates when the post does not give them (UTM keys: utm_source,
	// utm_medium, utm_campaign, utm_term, utm_content).
	Campaign string            `json:"campaign,omitempty"`
	UTM      map[string]string `json:"utm,omitempty"`
	// Honeypot names a field people never fill (it is hidden); a post
	// that fills it is refused, while the browser is shown success.
	Honeypot string `json:"honeypot,omitempty"`
	// PerMinute is how many posts one client address may make a minute.
	PerMinute int       `json:"per_minute"`
	CreatedAt time.Time `json:"created_at"`
}

// SubmissionField is the name of the field (or the Idempotency-Key
// header) that carries a submission's id, by which a post sent twice is
// taken once.
const SubmissionField = "submission_id"

// UTMFields are the UTM fields a form may stamp.
var UTMFields = []string{"utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"}

// DefaultFormMapping is the mapping a new form starts from: the usual
// field names of a contact form, all but email optional, each other
// field kept as an attribute.
const DefaultFormMapping = `kind: leads
unmapped: attributes
fields:
  email: email
  first_name: {column: first_name, optional: true}
  last_name: {column: last_name, optional: true}
  company: {column: company, optional: true}
  title: {column: title, optional: true}
  phone: {column: phone, optional: true}
  country: {column: country, optional: true}
  landing_page: {column: landing_page, optional: true}
  utm_source: {column: utm_source, optional: true}
  utm_medium: {column: utm_medium, optional: true}
  utm_campaign: {column: utm_campaign, optional: true}
  utm_term: {column: utm_term, optional: true}
  utm_content: {column: utm_content, optional: true}
`

// Limits of a form's settings.
const (
	DefaultPerMinute = 10
	MaxPerMinute     = 10000
)

var formName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)

// Source is the lead source of a form whose mapping names none:
// "form-NAME".
func (f Form) Source() string { return "form-" + f.Name }

// Check returns an EINVALID error naming every setting that is wrong, and
// the form's compiled mapping otherwise, with the form's campaign and UTM
// stamps as constants.
func (f Form) Check() (*csvimport.Mapping, error) {
	var errs []tandem.FieldError
	bad := func(field, format string, args ...any) {
		errs = append(errs, tandem.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if !formName.MatchString(f.Name) {
		bad("name", "%q is not a form name: 1 to 40 lower-case letters, digits, - or _, starting with a letter or digit", f.Name)
	}
	for _, o := range f.Origins {
		if err := CheckOrigin(o); err != nil {
			bad("origins", "%v", err)
		}
	}
	if f.Redirect != "" {
		if u, err := url.Parse(f.Redirect); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad("redirect", "%q is not an http or https address", f.Redirect)
		}
	}
	if len(f.Thanks) > 2000 {
		bad("thanks", "at most 2,000 characters; this has %d", len(f.Thanks))
	}
	if f.PerMinute < 1 || f.PerMinute > MaxPerMinute {
		bad("per_minute", "%d is not between 1 and %d", f.PerMinute, MaxPerMinute)
	}
	if f.Honeypot != "" && (strings.TrimSpace(f.Honeypot) != f.Honeypot || f.Honeypot == SubmissionField) {
		bad("honeypot", "%q is not a usable field name", f.Honeypot)
	}
	var l tandem.Lead
	if f.Campaign != "" {
		if err := setLeadField(&l, "campaign", f.Campaign); err != nil {
			bad("campaign", "%v", err)
		}
	}
	for k, v := range f.UTM {
		if !slices.Contains(UTMFields, k) {
			bad("utm", "%q is not a UTM field (%s)", k, strings.Join(UTMFields, ", "))
		} else if err := setLeadField(&l, k, v); err != nil {
			bad(k, "%v", err)
		}
	}
	m, err := csvimport.ParseMapping("form "+f.Name, []byte(f.Mapping))
	if err != nil {
		bad("mapping", "%s", tandem.ErrorMessage(err))
	} else if m.Kind != "leads" {
		bad("mapping", "a form's mapping is of kind leads, not %q", m.Kind)
	}
	if len(errs) > 0 {
		return nil, tandem.Invalid(errs...)
	}
	if m.Source == "" {
		m.Source = f.Source()
	}
	stamp := func(target, value string) {
		if value == "" || slices.ContainsFunc(m.Constants, func(c csvimport.Constant) bool { return c.Target == target }) {
			return
		}
		m.Constants = append(m.Constants, csvimport.Constant{Target: target, Value: value})
	}
	stamp("campaign", f.Campaign)
	for _, k := range UTMFields {
		stamp(k, f.UTM[k])
	}
	return m, nil
}

func setLeadField(l *tandem.Lead, name, value string) error {
	fd, ok := tandem.LookupLeadField(name)
	if !ok {
		return fmt.Errorf("%s is not a lead field", name)
	}
	return fd.Set(l, value)
}

// CheckOrigin says why o is not an origin as a browser sends it
// (scheme://host[:port], nothing after), or nil.
func CheckOrigin(o string) error {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" ||
		u.Fragment != "" || u.User != nil || strings.ToLower(o) != o {
		return fmt.Errorf("%q is not an origin: write the scheme, host and port only, in lower case, like https://www.example.com", o)
	}
	return nil
}

// Allows reports whether a browser on the origin may post the form.
func (f Form) Allows(origin string) bool { return origin != "" && slices.Contains(f.Origins, origin) }

// Snippet is the HTML a company pastes in its site to post the form to
// Tandem at base (Tandem's public URL): the mapping's fields as inputs,
// the honeypot hidden, and a script that gives each post a fresh
// submission id, so that a post sent twice is taken once.
func (f Form) Snippet(base string, m *csvimport.Mapping) string {
	var b strings.Builder
	esc := html.EscapeString
	fmt.Fprintf(&b, "<form method=\"post\" action=\"%s/f/%s\" id=\"tandem-%s\">\n", esc(strings.TrimRight(base, "/")), esc(f.Name), esc(f.Name))
	for _, fd := range m.Fields {
		if len(fd.Columns) == 0 || strings.HasPrefix(fd.Target, "utm_") || fd.Target == "landing_page" {
			continue
		}
		name := fd.Columns[0]
		typ := "text"
		switch fd.Target {
		case "email":
			typ = "email"
		case "phone":
			typ = "tel"
		}
		req := ""
		if !fd.Optional && fd.Default == "" {
			req = " required"
		}
		fmt.Fprintf(&b, "  <label>%s <input type=\"%s\" name=\"%s\"%s></label>\n", esc(label(name)), typ, esc(name), req)
	}
	if f.Honeypot != "" {
		fmt.Fprintf(&b, "  <input type=\"text\" name=\"%s\" tabindex=\"-1\" autocomplete=\"off\" style=\"position:absolute;left:-9999px\" aria-hidden=\"true\">\n", esc(f.Honeypot))
	}
	fmt.Fprintf(&b, "  <input type=\"hidden\" name=\"%s\">\n", SubmissionField)
	b.WriteString("  <button type=\"submit\">Send</button>\n</form>\n")
	// The script gives the page's form one submission id when it loads
	// (a double click or a resend posts the same id, taken once) and adds
	// the page's address and its UTM parameters; without it the form
	// still posts, each post a new submission.
	fmt.Fprintf(&b, `<script>
(function () {
  var f = document.getElementById("tandem-%s"), q = new URLSearchParams(location.search);
  function set(n, v) {
    if (!v) return;
    var e = f.elements[n];
    if (e) { if (!e.value) e.value = v; return; }
    e = document.createElement("input"); e.type = "hidden"; e.name = n; e.value = v; f.appendChild(e);
  }
  set("%s", crypto.randomUUID ? crypto.randomUUID() : Date.now() + "-" + Math.random());
  set("landing_page", location.origin + location.pathname);
  ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"].forEach(function (n) { set(n, q.get(n)); });
})();
</script>
`, esc(f.Name), SubmissionField)
	return b.String()
}

// label turns a field name into words for its label: "first_name" gives
// "First name".
func label(name string) string {
	s := strings.NewReplacer("_", " ", "-", " ").Replace(name)
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// ParseRecord reads a form posted as JSON: one object of names to
// strings, numbers, booleans or null (no value). Anything else is an
// EMALFORMED error naming the name.
func ParseRecord(body []byte) (Record, error) {
	var obj map[string]any
	if err := decode(body, &obj); err != nil {
		return nil, err
	}
	if obj == nil {
		return nil, tandem.Errorf(tandem.EMALFORMED, "the body is not a JSON object of names to values")
	}
	if len(obj) > maxRecordFields {
		return nil, tandem.Errorf(tandem.ETOOLARGE, "the form has %d names; at most %d are taken", len(obj), maxRecordFields)
	}
	rec := make(Record, len(obj))
	for k, v := range obj {
		s, err := scalar(v)
		if err != nil {
			return nil, tandem.Errorf(tandem.EMALFORMED, "%s: %v", k, err)
		}
		rec[k] = s
	}
	return rec, nil
}

// FormLead maps one post of a form as [Leads] does, and refuses a post
// that leaves a field the mapping requires empty: a form's required field
// needs a value, not just its name (a browser sends every field, filled
// or not).
func FormLead(m *csvimport.Mapping, rec Record) (tandem.LeadInput, error) {
	ins, errs := Leads(m, []Record{rec})
	if errs[0] != nil {
		return ins[0], errs[0]
	}
	var missing []tandem.FieldError
	for _, fd := range m.Fields {
		if fd.Optional || fd.Default != "" || len(fd.Columns) == 0 {
			continue
		}
		if strings.TrimSpace(ins[0].Fields[fd.Target]) == "" && strings.TrimSpace(ins[0].Initial[fd.Target]) == "" {
			missing = append(missing, tandem.FieldError{Field: fd.Columns[0], Message: "required: fill it in"})
		}
	}
	if len(missing) > 0 {
		return ins[0], tandem.Invalid(missing...)
	}
	return ins[0], nil
}
