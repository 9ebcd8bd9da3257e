package csvimport

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/calendar"
)

// ParseMapping reads a mapping file. file names it in errors, which are
// EINVALID errors with one "FILE:LINE: message" line per problem.
func ParseMapping(file string, data []byte) (*Mapping, error) {
	p := &parser{file: file}
	m, ok := p.parse(data)
	if ok {
		// Report what compile finds too, except on lines that already have
		// a problem, where it would only repeat it in other words.
		seen := map[int]bool{}
		for _, pr := range p.probs {
			seen[pr.line] = true
		}
		_, probs := m.compile()
		for _, pr := range probs {
			if !seen[pr.line] {
				p.probs = append(p.probs, pr)
			}
		}
	}
	if len(p.probs) > 0 {
		return nil, problemError(file, p.probs)
	}
	return m, nil
}

// problem is one thing wrong with a mapping, at a line of its file (0 when
// the line is not known, as for a mapping built in code).
type problem struct {
	line int
	msg  string
}

// maxProblems caps the problems reported at once: past a few, the rest are
// usually consequences of the first.
const maxProblems = 20

func problemError(file string, probs []problem) error {
	slices.SortStableFunc(probs, func(a, b problem) int { return a.line - b.line })
	var b strings.Builder
	for i, p := range probs {
		if i == maxProblems {
			fmt.Fprintf(&b, "\n%s: and %d more problems", file, len(probs)-i)
			break
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		if p.line > 0 {
			fmt.Fprintf(&b, "%s:%d: %s", file, p.line, p.msg)
		} else {
			fmt.Fprintf(&b, "%s: %s", file, p.msg)
		}
	}
	return tandem.Errorf(tandem.EINVALID, "%s", b.String())
}

// parser reads the YAML structure of a mapping; compile then checks what
// the values mean.
type parser struct {
	file  string
	probs []problem
}

func (p *parser) errorf(line int, format string, args ...any) {
	p.probs = append(p.probs, problem{line, fmt.Sprintf(format, args...)})
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func (p *parser) yamlError(err error) {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		for _, msg := range te.Errors {
			p.yamlError(errors.New("yaml: " + msg))
		}
		return
	}
	if sm := yamlLine.FindStringSubmatch(err.Error()); sm != nil {
		line, _ := strconv.Atoi(sm[1])
		p.errorf(line, "%s", sm[2])
		return
	}
	p.errorf(0, "%s", strings.TrimPrefix(err.Error(), "yaml: "))
}

var topKeys = []string{"kind", "source", "delimiter", "time_zone", "unmapped", "fields", "constants"}
var fieldKeys = []string{"column", "optional", "formats", "values", "passthrough", "normalize", "default"}

// parse reads the structure of the mapping; ok is false when there is
// nothing to compile.
func (p *parser) parse(data []byte) (m *Mapping, ok bool) {
	m = &Mapping{File: p.file, lines: map[string]int{}}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err == io.EOF {
		p.errorf(1, "the mapping is empty: it needs at least kind and fields")
		return m, false
	} else if err != nil {
		p.yamlError(err)
		return m, false
	}
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		p.errorf(next.Line, "a mapping file holds one YAML document; remove the second")
		return m, false
	} else if err != io.EOF {
		p.yamlError(err)
		return m, false
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = resolve(root.Content[0])
	}
	if root.Kind != yaml.MappingNode {
		p.errorf(root.Line, "the mapping must be a YAML mapping of keys (%s), not %s", strings.Join(topKeys, ", "), describe(root))
		return m, false
	}
	p.pairs(root, "", topKeys, func(key string, k, v *yaml.Node) {
		m.lines[key] = k.Line
		switch key {
		case "kind":
			m.Kind, _ = p.scalar(v, key)
		case "source":
			m.Source, _ = p.scalar(v, key)
		case "unmapped":
			m.Unmapped, _ = p.scalar(v, key)
		case "delimiter":
			s, ok := p.scalar(v, key)
			switch {
			case !ok:
			case s == "tab":
				m.Delimiter = '\t'
			case utf8.RuneCountInString(s) != 1:
				p.errorf(v.Line, `delimiter: want one character, like "," or ";" or tab, not %q`, s)
			default:
				m.Delimiter, _ = utf8.DecodeRuneInString(s)
			}
		case "time_zone":
			s, ok := p.scalar(v, key)
			if !ok {
				break
			}
			loc, err := loadLocation(s)
			if err != nil {
				p.errorf(v.Line, "time_zone: %v", err)
			}
			m.Location = loc
		case "fields":
			p.fields(m, v)
		case "constants":
			p.constants(m, v)
		}
	})
	return m, true
}

func loadLocation(name string) (*time.Location, error) {
	switch name {
	case "":
		return nil, fmt.Errorf("empty; name an IANA zone such as UTC or Europe/Paris")
	case "Local":
		return nil, fmt.Errorf("name an IANA zone such as UTC or Europe/Paris, not Local, so the import means the same on every machine")
	}
	loc, err := calendar.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q; name an IANA zone such as UTC or Europe/Paris", name)
	}
	return loc, nil
}

// pairs calls fn for each key of a mapping node, in order, after checking
// the key is known and not repeated. where prefixes messages ("fields.email").
func (p *parser) pairs(n *yaml.Node, where string, known []string, fn func(key string, k, v *yaml.Node)) {
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			p.errorf(k.Line, "%skeys must be plain names, not %s", prefix(where), describe(k))
			continue
		}
		key := k.Value
		if line, ok := seen[key]; ok {
			p.errorf(k.Line, "%s%q is given twice (first on line %d)", prefix(where), key, line)
			continue
		}
		seen[key] = k.Line
		if known != nil && !slices.Contains(known, key) {
			p.errorf(k.Line, "%sunknown key %q (want one of %s)", prefix(where), key, strings.Join(known, ", "))
			continue
		}
		fn(key, k, v)
	}
}

func prefix(where string) string {
	if where == "" {
		return ""
	}
	return where + ": "
}

// resolve follows YAML aliases (*name) to the node they stand for.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; i < 8 && n.Kind == yaml.AliasNode && n.Alias != nil; i++ {
		n = n.Alias
	}
	return n
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "nothing"
}

// scalar returns a single value as written; null is "".
func (p *parser) scalar(n *yaml.Node, where string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		p.errorf(n.Line, "%s: want a single value, not %s", where, describe(n))
		return "", false
	}
	if n.Tag == "!!null" {
		return "", true
	}
	return n.Value, true
}

// list returns a single value or a list of single values.
func (p *parser) list(n *yaml.Node, where string) ([]string, bool) {
	if n.Kind == yaml.ScalarNode {
		s, ok := p.scalar(n, where)
		if !ok || s == "" {
			return nil, ok
		}
		return []string{s}, true
	}
	if n.Kind != yaml.SequenceNode {
		p.errorf(n.Line, "%s: want a value or a list of values, not %s", where, describe(n))
		return nil, false
	}
	var out []string
	for _, c := range n.Content {
		s, ok := p.scalar(resolve(c), where)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

func (p *parser) boolean(n *yaml.Node, where string) bool {
	var b bool
	if n.Kind != yaml.ScalarNode || n.Decode(&b) != nil {
		p.errorf(n.Line, "%s: want true or false, not %s", where, describe(n))
	}
	return b
}

func (p *parser) fields(m *Mapping, n *yaml.Node) {
	if n.Kind != yaml.MappingNode {
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			return // compile says that no field is mapped
		}
		p.errorf(n.Line, "fields: want a mapping of field: column, not %s", describe(n))
		return
	}
	p.pairs(n, "fields", nil, func(target string, k, v *yaml.Node) {
		f := Field{Target: target, Line: k.Line}
		where := "fields." + target
		switch v.Kind {
		case yaml.ScalarNode, yaml.SequenceNode:
			f.Columns, _ = p.list(v, where)
		case yaml.MappingNode:
			p.pairs(v, where, fieldKeys, func(key string, k, v *yaml.Node) {
				where := where + "." + key
				switch key {
				case "column":
					f.Columns, _ = p.list(v, where)
				case "optional":
					f.Optional = p.boolean(v, where)
				case "passthrough":
					f.Passthrough = p.boolean(v, where)
				case "formats":
					f.Formats, _ = p.list(v, where)
				case "normalize":
					f.Normalize, _ = p.scalar(v, where)
				case "default":
					f.Default, _ = p.scalar(v, where)
				case "values":
					f.Values = p.values(v, where)
				}
			})
		default:
			p.errorf(v.Line, "%s: want a column, a list of columns or a mapping, not %s", where, describe(v))
		}
		m.Fields = append(m.Fields, f)
	})
}

func (p *parser) values(n *yaml.Node, where string) map[string]string {
	if n.Kind != yaml.MappingNode {
		p.errorf(n.Line, "%s: want a mapping of cell value: field value, not %s", where, describe(n))
		return nil
	}
	values := map[string]string{}
	p.pairs(n, where, nil, func(key string, k, v *yaml.Node) {
		s, ok := p.scalar(v, where+"."+key)
		if ok {
			values[key] = s
		}
	})
	return values
}

func (p *parser) constants(m *Mapping, n *yaml.Node) {
	if n.Kind != yaml.MappingNode {
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			return
		}
		p.errorf(n.Line, "constants: want a mapping of field: value, not %s", describe(n))
		return
	}
	p.pairs(n, "constants", nil, func(target string, k, v *yaml.Node) {
		s, ok := p.scalar(v, "constants."+target)
		if ok {
			m.Constants = append(m.Constants, Constant{Target: target, Value: s, Line: k.Line})
		}
	})
}

// plan is a checked mapping, ready to be matched to a header.
type plan struct {
	kind   kind
	delim  rune
	loc    *time.Location
	keep   bool // keep unmapped columns as attributes
	fields []fieldPlan
	consts []Constant // values converted, source included
}

// fieldPlan is a checked Field; col is set once the header is read.
type fieldPlan struct {
	Field
	time    bool
	values  map[string]string // folded (and normalized) key → value
	allowed string            // the values' keys, for messages
	snake   bool
	deflt   string // Default, converted
	col     int    // index in the header, -1 when absent
}

// compile checks what a mapping means, as far as that can be known without
// the file's header.
func (m *Mapping) compile() (*plan, []problem) {
	var probs []problem
	errorf := func(line int, format string, args ...any) {
		probs = append(probs, problem{line, fmt.Sprintf(format, args...)})
	}
	pl := &plan{delim: m.Delimiter, loc: m.Location}
	k, ok := kinds[m.Kind]
	switch {
	case m.Kind == "":
		errorf(1, "kind is missing (want %s)", strings.Join(kindNames(), ", "))
		return nil, probs
	case !ok:
		errorf(m.lines["kind"], "kind: unknown kind %q (want %s)", m.Kind, strings.Join(kindNames(), ", "))
		return nil, probs
	}
	pl.kind = k
	if pl.delim == 0 {
		pl.delim = ','
	}
	if !validDelim(pl.delim) {
		errorf(m.lines["delimiter"], "delimiter: %q cannot separate columns", pl.delim)
	}
	switch m.Unmapped {
	case "", UnmappedIgnore:
	case UnmappedAttributes:
		pl.keep = true
		if _, ok := k.field(tandem.AttributePrefix + "x"); !ok {
			errorf(m.lines["unmapped"], "unmapped: %s records have no attributes; use ignore", k.noun)
		}
	default:
		errorf(m.lines["unmapped"], "unmapped: want %s or %s, not %q", UnmappedIgnore, UnmappedAttributes, m.Unmapped)
	}

	if len(m.Fields) == 0 {
		errorf(m.lines["fields"], "fields: no field is mapped from a column")
	}
	targets := map[string]int{}
	for _, f := range m.Fields {
		where := "fields." + f.Target
		if line, ok := targets[f.Target]; ok {
			errorf(f.Line, "%s: mapped twice (first on line %d)", where, line)
			continue
		}
		targets[f.Target] = f.Line
		fk, ok := k.field(f.Target)
		if !ok {
			errorf(f.Line, "fields: %s", unknownField(k, f.Target))
			continue
		}
		fp := fieldPlan{Field: f, time: fk == tandem.KindTime, col: -1}
		if len(f.Columns) == 0 {
			errorf(f.Line, "%s: no column given", where)
		}
		for _, c := range f.Columns {
			if strings.TrimSpace(c) == "" {
				errorf(f.Line, "%s: a column name is empty", where)
			}
		}
		switch f.Normalize {
		case "":
		case NormalizeSnakeCase:
			fp.snake = true
		default:
			errorf(f.Line, "%s.normalize: want %s, not %q", where, NormalizeSnakeCase, f.Normalize)
		}
		if len(f.Formats) > 0 && !fp.time {
			errorf(f.Line, "%s.formats: only time fields have formats; %s is a %s field", where, f.Target, fk)
		}
		for _, layout := range f.Formats {
			if err := checkLayout(layout); err != nil {
				errorf(f.Line, "%s.formats: %v", where, err)
			}
		}
		if f.Passthrough && len(f.Values) == 0 {
			errorf(f.Line, "%s.passthrough: only matters with values", where)
		}
		if f.Values != nil {
			fp.values = map[string]string{}
			from := map[string]string{}
			for _, key := range slices.Sorted(maps.Keys(f.Values)) {
				fkey := fp.foldValue(key)
				if fkey == "" {
					errorf(f.Line, "%s.values: the key %q never matches a cell; use default for empty cells", where, key)
					continue
				}
				if prev, ok := fp.values[fkey]; ok && prev != f.Values[key] {
					errorf(f.Line, "%s.values: %q and %q match the same cells but give %q and %q", where, from[fkey], key, prev, f.Values[key])
					continue
				}
				fp.values[fkey], from[fkey] = f.Values[key], key
			}
			fp.allowed = quoteList(slices.Sorted(maps.Keys(f.Values)))
		}
		if d := strings.TrimSpace(f.Default); d != "" {
			fp.deflt = d
			if fp.time {
				var err error
				if fp.deflt, err = parseTime(d, fp.Formats, pl.loc); err != nil {
					errorf(f.Line, "%s.default: %v", where, err)
				}
			}
		}
		pl.fields = append(pl.fields, fp)
	}

	consts := slices.Clone(m.Constants)
	if m.Source != "" {
		if _, ok := k.field("source"); !ok {
			errorf(m.lines["source"], "source: %s records have no source field", k.noun)
		} else {
			for _, c := range consts {
				if c.Target == "source" {
					errorf(c.Line, "constants.source: the source is given twice, here and on line %d", m.lines["source"])
				}
			}
			consts = append(consts, Constant{Target: "source", Value: m.Source, Line: m.lines["source"]})
		}
	}
	for i, c := range consts {
		where := "constants." + c.Target
		fk, ok := k.field(c.Target)
		if !ok {
			errorf(c.Line, "constants: %s", unknownField(k, c.Target))
			continue
		}
		v := strings.TrimSpace(c.Value)
		if v == "" {
			errorf(c.Line, "%s: no value", where)
			continue
		}
		if fk == tandem.KindTime {
			var err error
			if v, err = parseTime(v, nil, pl.loc); err != nil {
				errorf(c.Line, "%s: %v", where, err)
			}
		}
		consts[i].Value = v
	}
	pl.consts = consts
	if len(probs) > 0 {
		return nil, probs
	}
	return pl, nil
}

func unknownField(k kind, name string) string {
	_, attrs := k.field(tandem.AttributePrefix + "x")
	if strings.HasPrefix(name, tandem.AttributePrefix) && attrs {
		return fmt.Sprintf("%q is not a valid attribute name: after %q write lower-case letters, digits, _ and - (at most %d)",
			name, tandem.AttributePrefix, tandem.MaxAttributeKey)
	}
	if !attrs {
		return fmt.Sprintf("%s records have no field %q (fields: %s)", k.noun, name, strings.Join(k.names(), ", "))
	}
	return fmt.Sprintf("%s records have no field %q (fields: %s; and %sNAME for any other value)",
		k.noun, name, strings.Join(k.names(), ", "), tandem.AttributePrefix)
}

func validDelim(r rune) bool {
	return r != 0 && r != '"' && r != '\r' && r != '\n' && utf8.ValidRune(r) && r != utf8.RuneError
}

// checkLayout rejects a format that is not a Go layout, such as YYYY-MM-DD,
// which would otherwise match only itself.
func checkLayout(layout string) error {
	ref := time.Date(2017, 11, 23, 19, 45, 33, 0, time.UTC)
	t, err := time.ParseInLocation(layout, ref.Format(layout), time.UTC)
	if err != nil || t.Year() != 2017 {
		return fmt.Errorf("%q is not a Go time layout with a year: write it with Go's reference time, "+
			`like "2006-01-02 15:04" for 2017-11-23 19:45 or "02/01/2006" for 23/11/2017`, layout)
	}
	return nil
}

// parseTime reads a time cell through calendar.ParseTime, the one reader of
// written dates, and returns the value the row gives its field. In a
// mapping without a time zone it is calendar.Wall's form: a date or a
// wall-clock time stays without a zone until the store reads it in the
// zone of the agreement in force (sqldb.DB.Import); a value with an offset
// is its instant. In a mapping with a time zone, it is the instant.
func parseTime(s string, layouts []string, loc *time.Location) (string, error) {
	if loc == nil {
		return calendar.Wall(s, layouts...)
	}
	t, err := calendar.ParseTime(s, loc, layouts...)
	if err != nil {
		return "", err
	}
	return tandem.FormatTime(t), nil
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}

// fold is how column names and values are compared: case-insensitively,
// after trimming spaces.
func fold(s string) string {
	return strings.ToLower(strings.TrimSpace(s))
}

func (f *fieldPlan) foldValue(s string) string {
	if f.snake {
		return snakeCase(s)
	}
	return fold(s)
}

// snakeCase lower-cases s and turns every run of characters other than
// letters and digits into one underscore, dropping them at either end:
// "Organic Search" and "ORGANIC_SEARCH" both give "organic_search".
func snakeCase(s string) string {
	var b strings.Builder
	gap := false
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			gap = true
			continue
		}
		if gap && b.Len() > 0 {
			b.WriteByte('_')
		}
		gap = false
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// convert turns a trimmed cell into the field's value; "" means no value.
func (f *fieldPlan) convert(cell string, loc *time.Location) (string, error) {
	v := cell
	if f.snake {
		v = snakeCase(v)
	}
	if v == "" {
		return f.deflt, nil
	}
	if f.values != nil {
		if out, ok := f.values[f.foldValue(v)]; ok {
			v = out
		} else if !f.Passthrough {
			return "", fmt.Errorf("%q is not one of the values the mapping knows: %s", cell, f.allowed)
		}
	}
	if f.time && v != "" {
		t, err := parseTime(v, f.Formats, loc)
		if err != nil {
			return "", err
		}
		v = t
	}
	return v, nil
}
