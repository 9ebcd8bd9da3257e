package csvimport

import (
	"bytes"
	"io"
	"slices"
	"strings"

	"github.com/tandemhq/tandem"
)

// SniffDelimiter picks the separator the first line of head (the start of
// a file) uses most: a comma, a semicolon or a tab; a comma when it has
// none of them. `tandem import` and the import page call it for a mapping
// that names no delimiter.
func SniffDelimiter(head []byte) rune {
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	line, _, _ := bytes.Cut(head, []byte("\n"))
	best, delim := 0, ','
	for _, c := range []rune{',', ';', '\t'} {
		if n := bytes.Count(line, []byte(string(c))); n > best {
			best, delim = n, c
		}
	}
	return delim
}

// aliases are column names, in snake case, that mean a lead field.
var aliases = map[string]string{
	"id": "external_id", "record_id": "external_id", "lead_id": "external_id", "contact_id": "external_id",
	"e_mail": "email", "email_address": "email", "mail": "email",
	"firstname": "first_name", "given_name": "first_name", "lastname": "last_name", "surname": "last_name", "family_name": "last_name",
	"company_name": "company", "organization": "company", "organisation": "company", "account": "company",
	"job_title": "title", "phone_number": "phone", "mobile": "phone", "telephone": "phone",
	"created": "created_at", "create_date": "created_at", "created_date": "created_at", "date": "created_at",
	"lead_score": "score", "lifecycle_stage": "stage", "status": "stage",
	"country_region": "country", "region": "territory",
}

// GuessTarget is the field of kind a column's name suggests, or "": the
// field itself in any case and spacing ("First Name" is first_name), and
// for leads the usual other names of a field ("E-mail", "Surname",
// "Lifecycle Stage").
func GuessTarget(kind, column string) string {
	key := snakeCase(column)
	if slices.Contains(Fields(kind), key) {
		return key
	}
	if kind == "leads" {
		return aliases[key]
	}
	return ""
}

// AttributeOf is the attribute a column is kept as when a mapping keeps
// the columns it does not map (unmapped: attributes), or "" if the column's
// name makes no valid attribute name or kind has no attributes.
func AttributeOf(kind, column string) string {
	key := snakeCase(column)
	if key == "" || !IsField(kind, tandem.AttributePrefix+key) {
		return ""
	}
	return tandem.AttributePrefix + key
}

// Guess returns a mapping of kind that reads each column of header whose
// name suggests a field (see [GuessTarget]), the first such column of a
// field winning; source is the lead's or deal's source, "" for none. It
// fails with EINVALID when no column suggests a field.
func Guess(kind string, header []string, source string, delim rune) (*Mapping, error) {
	if _, ok := kinds[kind]; !ok {
		return nil, tandem.Errorf(tandem.EINVALID, "%q is not a kind of import (kinds: %s)", kind, quoteList(Kinds()))
	}
	m := &Mapping{File: "the guessed mapping", Kind: kind, Source: source, Delimiter: delim}
	taken := map[string]bool{}
	for _, col := range header {
		target := GuessTarget(kind, col)
		if target == "" || taken[target] {
			continue
		}
		taken[target] = true
		m.Fields = append(m.Fields, Field{Target: target, Columns: []string{col}})
	}
	if len(m.Fields) == 0 {
		return nil, tandem.Errorf(tandem.EINVALID, "no column of the header (%s) names a field of %s: write a mapping (docs/import.md)",
			quoteList(header), kind)
	}
	return m, nil
}

// ReadHeader reads the header of a CSV file separated by delim, as
// [NewReader] does, for [Guess].
func ReadHeader(r io.Reader, delim rune) ([]string, error) {
	// A mapping that reads nothing: the reader checks the file's shape.
	m := &Mapping{File: "the header", Kind: "leads", Delimiter: delim,
		Fields: []Field{{Target: "external_id", Columns: []string{"\x00"}, Optional: true}}}
	rd, err := NewReader(r, m)
	if err != nil {
		return nil, err
	}
	if len(rd.Header()) == 0 {
		return nil, tandem.Errorf(tandem.EMALFORMED, "the file has no header row")
	}
	return rd.Header(), nil
}

// MatchPreset returns the name of the built-in mapping of kind (as
// [PresetFor] takes it) that fits a file with this header, or "" when none
// does. A preset fits when every field it requires has one of its columns
// in the header; of the presets that fit, the one that finds the most of
// its columns wins (the first by name on a tie). Names match as a mapping
// matches them: case-insensitively, after trimming spaces.
func MatchPreset(kind string, header []string) string {
	have := map[string]bool{}
	for _, h := range header {
		have[strings.ToLower(strings.TrimSpace(h))] = true
	}
	best, bestFound := "", 0
	for _, name := range PresetsFor(kind) {
		m, err := PresetFor(kind, name)
		if err != nil {
			continue
		}
		found, fits := 0, true
		for _, f := range m.Fields {
			in := slices.ContainsFunc(f.Columns, func(c string) bool { return have[strings.ToLower(strings.TrimSpace(c))] })
			switch {
			case in:
				found++
			case !f.Optional && f.Default == "":
				fits = false
			}
		}
		if fits && found > bestFound {
			best, bestFound = name, found
		}
	}
	return best
}
