package agreement

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/calendar"
)

// Limits on an agreement file.
const (
	MaxFileSize   = 1 << 20 // bytes
	maxStages     = 30      // intake follows at most 32 rule moves in a row
	maxListLen    = 100     // reject reasons, cadence steps, escalation steps, closed dates
	maxNameLen    = 200     // names, codes, templates, segments
	maxTextLen    = 10_000  // descriptions and definitions
	maxCount      = 1_000_000_000
	maxIdentLen   = 64
	maxMoneyValue = 1e15
)

// Parse reads and checks an agreement file. It returns the agreement, or a
// *Problems listing every problem found, sorted by line then column. A YAML
// syntax error stops the reading at that point, so it is the only problem
// reported. Parse never panics.
func Parse(file string, data []byte) (*Agreement, error) {
	p := &parser{name: file}
	a := p.file(data)
	if len(p.problems) > 0 {
		ps := &Problems{File: file, List: p.problems}
		ps.sort()
		return nil, ps
	}
	return a, nil
}

// parser collects problems while it reads.
type parser struct {
	name     string // the file, as Parse was given it
	problems []Problem
	// templates records where each cadence step's template is written,
	// for [Agreement.CheckContent].
	templates []templateAt
}

func (p *parser) addAt(line, col int, msg string) {
	p.problems = append(p.problems, Problem{Line: max(line, 1), Col: max(col, 0), Message: msg})
}

// errorf records a problem at n, prefixed with the path of the key it
// concerns ("sales.cadence[2].offset").
func (p *parser) errorf(n *yaml.Node, path, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if path != "" {
		msg = path + ": " + msg
	}
	p.addAt(n.Line, n.Column, msg)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func item(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i+1) }

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// decode reads the YAML document; it reports a syntax error as the one
// problem.
func (p *parser) decode(data []byte) (root *yaml.Node) {
	defer func() {
		// The YAML library is not ours; a file must never bring Tandem down.
		if v := recover(); v != nil {
			root = nil
			p.addAt(1, 0, fmt.Sprintf("the file cannot be read as YAML: %v", v))
		}
	}()
	syntax := func(err error) {
		line, msg := syntaxProblem(err.Error(), data)
		p.addAt(line, 0, "YAML syntax: "+msg)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		p.addAt(1, 1, "the file is empty: an agreement starts with format: 1")
		return nil
	} else if err != nil {
		syntax(err)
		return nil
	}
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		p.addAt(next.Line, next.Column, "the file holds more than one YAML document: an agreement is one document, with no ---")
	} else if !errors.Is(err, io.EOF) {
		syntax(err)
		return nil
	}
	if len(doc.Content) == 0 || isNull(doc.Content[0]) {
		p.addAt(1, 1, "the file is empty: an agreement starts with format: 1")
		return nil
	}
	return doc.Content[0]
}

// syntaxHints explain the YAML library's most common messages; the ones
// with a true second field come from its parser, which counts lines from 0.
var syntaxHints = map[string]struct {
	hint     string
	fromZero bool
}{
	"did not find expected ',' or ']'":                       {"a list opened with [ on this line is not closed with ]", true},
	"did not find expected ',' or '}'":                       {"a mapping opened with { on this line is not closed with }", true},
	"did not find expected key":                              {"check the indentation: keys of one mapping line up", true},
	"did not find expected '-' indicator":                    {"check the indentation: the items of a list line up, each starting with -", true},
	"did not find expected node content":                     {"a value is missing", true},
	"did not find expected <document start>":                 {"", true},
	"mapping values are not allowed in this context":         {"quote a value that holds \": \", or check the indentation", false},
	"found character that cannot start any token":            {"YAML is indented with spaces, not tabs, and a value cannot start with @ or `", false},
	"found unexpected end of stream":                         {"a quote opened on this line is not closed", false},
	"could not find expected ':'":                            {"a key must be followed by a colon", false},
	"block sequence entries are not allowed in this context": {"check the indentation of the list", false},
}

var yamlAnchor = regexp.MustCompile(`^yaml: unknown anchor '(.*)' referenced$`)

// syntaxProblem turns the YAML library's error into a line and a message.
func syntaxProblem(msg string, data []byte) (int, string) {
	line := 1
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else if m := yamlAnchor.FindStringSubmatch(msg); m != nil {
		if i := bytes.Index(data, []byte("*"+m[1])); i >= 0 {
			line = 1 + bytes.Count(data[:i], []byte("\n"))
		}
		return line, fmt.Sprintf("the alias *%s names no anchor; aliases are not allowed in an agreement file anyway: write the value out", m[1])
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	if h, ok := syntaxHints[msg]; ok {
		if h.fromZero {
			line++
		}
		if h.hint != "" {
			msg += " (" + h.hint + ")"
		}
	}
	return line, msg
}

func (p *parser) file(data []byte) *Agreement {
	if len(data) > MaxFileSize {
		p.addAt(1, 1, fmt.Sprintf("the file is %d bytes; an agreement file holds at most %d", len(data), MaxFileSize))
		return nil
	}
	if !utf8.Valid(data) {
		line := 1 + bytes.Count(data[:invalidUTF8At(data)], []byte("\n"))
		p.addAt(line, 0, "the file is not valid UTF-8 text")
		return nil
	}
	root := p.decode(data)
	if root == nil {
		return nil
	}
	m := p.mapping(root, nil, "", topKeys)
	if m == nil {
		return nil
	}
	a := &Agreement{}
	if n := m.require("format"); n != nil {
		if v, ok := p.integer(n, "format", 0, maxCount); ok {
			if v != FormatVersion {
				p.errorf(n, "format", "format %d is not one this Tandem reads: write format: %d", v, FormatVersion)
			}
			a.Format = FormatVersion
		}
	}
	if n := m.require("name"); n != nil {
		a.Name, _ = p.text(n, "name", maxNameLen)
	}
	if n := m.get("description"); n != nil {
		a.Description, _ = p.text(n, "description", maxTextLen)
	}
	if n := m.require("marketing_mission"); n != nil {
		a.MarketingMission, _ = oneOf(p, n, "marketing_mission", Missions)
	}
	st := p.stages(m.require("stages"), a)
	if n := m.require("reject_reasons"); n != nil {
		a.RejectReasons = p.rejectReasons(n, "reject_reasons")
	}
	dayMinutes := 8 * 60 // for comparing spans when business_hours is wrong
	if n := m.require("business_hours"); n != nil {
		if p.businessHours(n, m.keys["business_hours"], &a.BusinessHours) {
			dayMinutes = a.BusinessHours.DayMinutes()
		}
	}
	if n := m.require("sales"); n != nil {
		a.at.cadence = p.sales(n, m.keys["sales"], dayMinutes, &a.Sales)
		a.at.templates = p.templates
	}
	if n := m.require("marketing"); n != nil {
		p.marketing(n, m.keys["marketing"], &a.Marketing)
	}
	if n := m.get("escalation"); n != nil {
		a.Escalation, a.at.notify = p.escalation(n, dayMinutes)
	}
	a.Routing = Routing{Method: RoundRobin}
	if n := m.get("routing"); n != nil {
		p.routing(n, m.keys["routing"], &a.Routing)
	}
	a.Pipeline = DefaultPipeline()
	if n := m.get("pipeline"); n != nil {
		p.pipeline(n, m.keys["pipeline"], &a.Pipeline)
	}
	a.Funnel = Funnel{AverageDealSize: FromHistory, CloseRate: FromHistory, SalesCycleDays: FromHistory, Tolerance: DefaultTolerance}
	if n := m.get("funnel"); n != nil {
		p.funnel(n, m.keys["funnel"], st, &a.Funnel)
	}
	if n := m.require("goal"); n != nil {
		p.goal(n, m.keys["goal"], &a.Goal)
	}
	return a
}

func invalidUTF8At(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return len(data)
}

var topKeys = []string{"format", "name", "description", "marketing_mission", "stages", "reject_reasons",
	"business_hours", "sales", "marketing", "escalation", "routing", "pipeline", "funnel", "goal"}

// mapping is a YAML mapping whose keys have been checked.
type mapping struct {
	p    *parser
	at   *yaml.Node // where a missing key is reported: the section's key, or the mapping
	path string
	keys map[string]*yaml.Node
	vals map[string]*yaml.Node
}

// mapping checks that n is a mapping with no unknown or repeated keys. key
// is the node naming the section (nil at the top), for missing keys.
func (p *parser) mapping(n, key *yaml.Node, path string, allowed []string) *mapping {
	if !p.kind(n, path, yaml.MappingNode, "a mapping of keys and values") {
		return nil
	}
	m := &mapping{p: p, at: key, path: path, keys: map[string]*yaml.Node{}, vals: map[string]*yaml.Node{}}
	if key == nil {
		m.at = n
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			p.errorf(k, path, "a key must be a plain name, not %s", describe(k))
			continue
		}
		if !slices.Contains(allowed, k.Value) {
			where := ""
			if path != "" {
				where = " in " + path
			}
			p.errorf(k, "", "unknown key %q%s (allowed: %s)", k.Value, where, strings.Join(allowed, ", "))
			continue
		}
		if prev, dup := m.keys[k.Value]; dup {
			p.errorf(k, join(path, k.Value), "repeats the key at line %d", prev.Line)
			continue
		}
		m.keys[k.Value], m.vals[k.Value] = k, v
	}
	return m
}

// get returns the value of key, or nil if it is absent or empty.
func (m *mapping) get(key string) *yaml.Node {
	if v := m.vals[key]; v != nil && !isNull(v) {
		return v
	}
	return nil
}

// require returns the value of key, or reports that it is missing.
func (m *mapping) require(key string) *yaml.Node {
	if v := m.get(key); v != nil {
		return v
	}
	if k := m.keys[key]; k != nil {
		m.p.errorf(k, join(m.path, key), "has no value")
	} else if m.path == "" {
		m.p.errorf(m.at, "", "missing required key %q", key)
	} else {
		m.p.errorf(m.at, m.path, "missing required key %q", key)
	}
	return nil
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	if isNull(n) {
		return "nothing"
	}
	v := n.Value
	if utf8.RuneCountInString(v) > 40 {
		v = string([]rune(v)[:40]) + "..."
	}
	return strconv.Quote(v)
}

// kind checks n's kind; want says what was expected, in words.
func (p *parser) kind(n *yaml.Node, path string, k yaml.Kind, want string) bool {
	if n.Kind == yaml.AliasNode {
		p.errorf(n, path, "aliases (*%s) are not allowed in an agreement file: write the value out", n.Value)
		return false
	}
	if n.Kind != k || k == yaml.ScalarNode && isNull(n) {
		p.errorf(n, path, "expected %s, got %s", want, describe(n))
		return false
	}
	return true
}

func (p *parser) list(n *yaml.Node, path string, maxLen int) ([]*yaml.Node, bool) {
	if !p.kind(n, path, yaml.SequenceNode, "a list") {
		return nil, false
	}
	if len(n.Content) > maxLen {
		p.errorf(n, path, "has %d items; at most %d are allowed", len(n.Content), maxLen)
		return nil, false
	}
	return n.Content, true
}

// text reads a non-empty single-line-or-more text.
func (p *parser) text(n *yaml.Node, path string, maxLen int) (string, bool) {
	if !p.kind(n, path, yaml.ScalarNode, "text") {
		return "", false
	}
	v := strings.TrimSpace(n.Value)
	switch {
	case v == "":
		p.errorf(n, path, "is empty")
		return "", false
	case utf8.RuneCountInString(v) > maxLen:
		p.errorf(n, path, "is longer than %d characters", maxLen)
		return "", false
	case strings.IndexByte(v, 0) >= 0:
		p.errorf(n, path, "contains a NUL character")
		return "", false
	}
	return v, true
}

var identRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// ident reads a lowercase identifier: a letter, then letters, digits and _.
func (p *parser) ident(n *yaml.Node, path string) (string, bool) {
	if !p.kind(n, path, yaml.ScalarNode, "a name") {
		return "", false
	}
	v := n.Value
	if !identRE.MatchString(v) || len(v) > maxIdentLen {
		p.errorf(n, path, "%s is not a name: use lowercase letters, digits and _, starting with a letter (at most %d), like no_budget",
			describe(n), maxIdentLen)
		return "", false
	}
	return v, true
}

// oneOf reads one of a fixed set of words.
func oneOf[T ~string](p *parser, n *yaml.Node, path string, allowed []T) (T, bool) {
	words := make([]string, len(allowed))
	for i, w := range allowed {
		words[i] = string(w)
	}
	want := "one of " + strings.Join(words, ", ")
	if !p.kind(n, path, yaml.ScalarNode, want) {
		return "", false
	}
	if !slices.Contains(words, n.Value) {
		p.errorf(n, path, "expected %s, got %s", want, describe(n))
		return "", false
	}
	return T(n.Value), true
}

// integer reads a whole number in [lo, hi].
func (p *parser) integer(n *yaml.Node, path string, lo, hi int) (int, bool) {
	if !p.kind(n, path, yaml.ScalarNode, "a whole number") {
		return 0, false
	}
	var v int64
	if n.ShortTag() != "!!int" || n.Decode(&v) != nil {
		p.errorf(n, path, "expected a whole number, got %s", describe(n))
		return 0, false
	}
	if v < int64(lo) || v > int64(hi) {
		p.errorf(n, path, "%s", rangeMessage(float64(v), float64(lo), float64(hi)))
		return 0, false
	}
	return int(v), true
}

func rangeMessage(v, lo, hi float64) string {
	switch {
	case v < lo && hi >= maxCount:
		return fmt.Sprintf("%s is less than %s", formatNumber(v), formatNumber(lo))
	case hi >= maxCount:
		return fmt.Sprintf("%s is too large (at most %s)", formatNumber(v), formatNumber(hi))
	}
	return fmt.Sprintf("%s is not between %s and %s", formatNumber(v), formatNumber(lo), formatNumber(hi))
}

// number reads a finite number.
func (p *parser) number(n *yaml.Node, path string) (float64, bool) {
	if !p.kind(n, path, yaml.ScalarNode, "a number") {
		return 0, false
	}
	var v float64
	if tag := n.ShortTag(); tag != "!!int" && tag != "!!float" || n.Decode(&v) != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		p.errorf(n, path, "expected a number, got %s", describe(n))
		return 0, false
	}
	return v, true
}

// bounded is a number check: it returns the problem with v, or "".
type bounded func(v float64) string

func between(lo, hi float64) bounded {
	return func(v float64) string {
		if v < lo || v > hi {
			return rangeMessage(v, lo, hi)
		}
		return ""
	}
}

// rate is in (0, 1].
func rate(v float64) string {
	if v <= 0 || v > 1 {
		return fmt.Sprintf("%s is not a rate: give a number above 0 and at most 1 (0.25 is 25%%)", formatNumber(v))
	}
	return ""
}

func positive(v float64) string {
	if v <= 0 {
		return fmt.Sprintf("%s is not above 0", formatNumber(v))
	}
	if v > maxMoneyValue {
		return fmt.Sprintf("%s is too large", formatNumber(v))
	}
	return ""
}

func (p *parser) numberIn(n *yaml.Node, path string, check bounded) (float64, bool) {
	v, ok := p.number(n, path)
	if !ok {
		return 0, false
	}
	if msg := check(v); msg != "" {
		p.errorf(n, path, "%s", msg)
		return 0, false
	}
	return v, true
}

func (p *parser) boolean(n *yaml.Node, path string) (bool, bool) {
	if !p.kind(n, path, yaml.ScalarNode, "true or false") {
		return false, false
	}
	var v bool
	if n.ShortTag() != "!!bool" || n.Decode(&v) != nil {
		p.errorf(n, path, "expected true or false, got %s", describe(n))
		return false, false
	}
	return v, true
}

func (p *parser) span(n *yaml.Node, path string) (Span, bool) {
	if !p.kind(n, path, yaml.ScalarNode, "a span like 10m, 4h, 1d or 2d4h") {
		return Span{}, false
	}
	s, err := ParseSpan(n.Value)
	if err != nil {
		p.errorf(n, path, "%v", err)
		return Span{}, false
	}
	return s, true
}

// stageInfo is what the later sections need to know of the stages.
type stageInfo struct {
	ok    bool // the stages are usable for cross-checks
	path  []string
	exits []string
	// written holds every stage name written in the file, good or bad, so
	// that a reference to a stage with problems of its own is not a second
	// problem. It is nil when the stages could not be read at all.
	written map[string]bool
}

var stageKeys = []string{"name", "definition", "entry", "exit", "final", "moves_to"}

func (p *parser) stages(n *yaml.Node, a *Agreement) stageInfo {
	if n == nil {
		return stageInfo{}
	}
	items, ok := p.list(n, "stages", maxStages)
	if !ok {
		return stageInfo{}
	}
	info := stageInfo{ok: true, written: map[string]bool{}}
	byName := map[string]*yaml.Node{}
	var nodes []stageNodes
	for i, sn := range items {
		path := item("stages", i)
		m := p.mapping(sn, nil, path, stageKeys)
		if m == nil {
			info.ok = false
			continue
		}
		var s Stage
		sv := stageNodes{path: path}
		if v := m.get("name"); v != nil && v.Kind == yaml.ScalarNode {
			info.written[v.Value] = true
		}
		if v := m.require("name"); v != nil {
			if name, ok := p.ident(v, join(path, "name")); ok {
				if prev, dup := byName[name]; dup {
					p.errorf(v, join(path, "name"), "stage %s is already defined at line %d", name, prev.Line)
					info.ok = false
				} else {
					byName[name] = v
					s.Name = name
				}
			} else {
				info.ok = false
			}
		} else {
			info.ok = false
		}
		sv.node = m.vals["name"]
		if sv.node == nil {
			sv.node = sn
		}
		if v := m.require("definition"); v != nil {
			s.Definition, _ = p.text(v, join(path, "definition"), maxTextLen)
		}
		if v := m.get("exit"); v != nil {
			s.Exit, _ = p.boolean(v, join(path, "exit"))
		}
		if v := m.get("final"); v != nil {
			s.Final, _ = p.boolean(v, join(path, "final"))
		}
		if v := m.get("entry"); v != nil {
			s.Entry, s.rule = p.entry(v, join(path, "entry"))
			if s.Exit && s.Entry != "" {
				p.errorf(v, join(path, "entry"), "%s is an exit stage: entry rules belong to path stages, and no rule moves a lead out to an exit", s.Name)
			}
		}
		if v, present := m.vals["moves_to"]; present {
			if s.Final {
				p.errorf(m.keys["moves_to"], join(path, "moves_to"), "%s is final: no lead leaves it, so it has no moves", s.Name)
			} else if isNull(v) {
				s.MovesTo = []string{}
			} else if list, ok := p.list(v, join(path, "moves_to"), maxStages); ok {
				s.MovesTo = []string{}
				for j, t := range list {
					mp := item(join(path, "moves_to"), j)
					if name, ok := p.ident(t, mp); ok {
						s.MovesTo = append(s.MovesTo, name)
						sv.moves = append(sv.moves, t)
						sv.movePaths = append(sv.movePaths, mp)
					}
				}
			}
		}
		if !s.Exit {
			info.path = append(info.path, s.Name)
		} else {
			info.exits = append(info.exits, s.Name)
		}
		a.Stages = append(a.Stages, s)
		nodes = append(nodes, sv)
	}
	p.moves(a.Stages, nodes, byName, info.written)
	if !info.ok {
		return info
	}
	// The lifecycle as a whole.
	if len(info.path) < 2 {
		p.errorf(n, "stages", "the lifecycle needs at least two path stages (stages that are not exits), like lead and customer; it has %d", len(info.path))
		info.ok = false
	}
	finalSeen := ""
	for i, s := range a.Stages {
		if s.Exit {
			continue
		}
		if finalSeen != "" {
			p.errorf(nodes[i].node, nodes[i].path, "%s can never be reached: %s before it is final", s.Name, finalSeen)
			finalSeen = "" // say it once
			continue
		}
		if s.Final {
			finalSeen = s.Name
		}
	}
	return info
}

// stageNodes holds where a stage is written, for problems found later.
type stageNodes struct {
	path      string       // "stages[3]"
	node      *yaml.Node   // the stage's name, or the stage
	moves     []*yaml.Node // the items of moves_to that are names
	movePaths []string
}

// moves checks the stages named in moves_to.
func (p *parser) moves(stages []Stage, nodes []stageNodes, byName map[string]*yaml.Node, written map[string]bool) {
	for i, s := range stages {
		seen := map[string]bool{}
		for j, to := range s.MovesTo {
			at := nodes[i].moves[j]
			path := nodes[i].movePaths[j]
			switch {
			case byName[to] == nil && written[to]:
				// That stage has a problem of its own.
			case byName[to] == nil:
				p.errorf(at, path, "no stage %s in this agreement", to)
			case to == s.Name:
				p.errorf(at, path, "%s cannot move to itself", to)
			case seen[to]:
				p.errorf(at, path, "%s is listed twice", to)
			}
			seen[to] = true
		}
	}
}

// entry compiles an entry rule and reports a compile error at the rule's
// position, at the error's own column when the rule is on one line.
func (p *parser) entry(n *yaml.Node, path string) (string, *Rule) {
	src, ok := p.text(n, path, MaxRuleLen)
	if !ok {
		return "", nil
	}
	r, err := CompileRule(src)
	if err == nil {
		r.at = RulePosition{File: p.name, Line: n.Line, Col: n.Column, Path: path}
		return r.String(), r
	}
	var re *RuleError
	if !errors.As(err, &re) {
		p.errorf(n, path, "the rule does not compile: %v", err)
		return src, nil
	}
	line, col := n.Line, n.Column
	oneLine := !strings.Contains(n.Value, "\n") && re.Line <= 1 &&
		(n.Style == 0 || n.Style == yaml.FlowStyle || n.Style == yaml.SingleQuotedStyle || n.Style == yaml.DoubleQuotedStyle)
	msg := re.Message
	switch {
	case oneLine && n.Style == 0 || oneLine && n.Style == yaml.FlowStyle:
		col += leadingSpace(n.Value) + re.Column
	case oneLine && n.Style == yaml.DoubleQuotedStyle && !strings.Contains(n.Value, `"`) && !strings.Contains(n.Value, `\`):
		col += 1 + leadingSpace(n.Value) + re.Column
	case oneLine && n.Style == yaml.SingleQuotedStyle && !strings.Contains(n.Value, `'`):
		col += 1 + leadingSpace(n.Value) + re.Column
	case re.Line > 0:
		msg = fmt.Sprintf("%s (line %d, column %d of the rule)", msg, re.Line, re.Column+1)
	}
	p.addAt(line, col, path+": the rule does not compile: "+msg)
	return src, nil
}

func leadingSpace(s string) int { return len(s) - len(strings.TrimLeft(s, " \t")) }

var rejectKeys = []string{"code", "description", "after_cadence"}

func (p *parser) rejectReasons(n *yaml.Node, path string) []RejectReason {
	items, ok := p.list(n, path, maxListLen)
	if !ok {
		return nil
	}
	if len(items) == 0 {
		p.errorf(n, path, "give at least one reason a rep may reject a lead for, like not_a_fit")
		return nil
	}
	var out []RejectReason
	codes := map[string]*yaml.Node{}
	for i, rn := range items {
		ip := item(path, i)
		m := p.mapping(rn, nil, ip, rejectKeys)
		if m == nil {
			continue
		}
		var r RejectReason
		if v := m.require("code"); v != nil {
			if code, ok := p.ident(v, join(ip, "code")); ok {
				if prev, dup := codes[code]; dup {
					p.errorf(v, join(ip, "code"), "reason %s is already defined at line %d", code, prev.Line)
				}
				codes[code] = v
				r.Code = code
			}
		}
		if v := m.require("description"); v != nil {
			r.Description, _ = p.text(v, join(ip, "description"), maxTextLen)
		}
		r.AfterCadence = true
		if v := m.get("after_cadence"); v != nil {
			r.AfterCadence, _ = p.boolean(v, join(ip, "after_cadence"))
		}
		out = append(out, r)
	}
	return out
}

var (
	hoursKeys = []string{"time_zone", "days", "open", "close", "holidays", "closed_dates"}
	dayNames  = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"} // by time.Weekday
	clockRE   = regexp.MustCompile(`^([01][0-9]|2[0-4]):([0-5][0-9])$`)
	countryRE = regexp.MustCompile(`^[A-Z]{2}$`)
	dateRE    = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
)

// businessHours reads the calendar; it reports whether open and close are
// good, so that day-long spans can be compared.
func (p *parser) businessHours(n, key *yaml.Node, b *BusinessHours) bool {
	const path = "business_hours"
	m := p.mapping(n, key, path, hoursKeys)
	if m == nil {
		return false
	}
	if v := m.require("time_zone"); v != nil {
		if tz, ok := p.text(v, join(path, "time_zone"), maxNameLen); ok {
			// LoadLocation reads "" and "UTC" and "Local"; only IANA names
			// belong in a file that must mean the same on every server.
			loc, err := calendar.LoadLocation(tz)
			if err != nil || tz == "Local" || strings.HasPrefix(tz, "/") {
				p.errorf(v, join(path, "time_zone"), "%s is not a time zone name: use an IANA name like America/New_York or Europe/Berlin", describe(v))
			} else {
				b.TimeZone, b.Location = tz, loc
			}
		}
	}
	if v := m.require("days"); v != nil {
		if list, ok := p.list(v, join(path, "days"), 7); ok {
			have := map[time.Weekday]bool{}
			for i, d := range list {
				dp := item(join(path, "days"), i)
				if !p.kind(d, dp, yaml.ScalarNode, "a day") {
					continue
				}
				wd := slices.Index(dayNames, d.Value)
				if wd < 0 {
					p.errorf(d, dp, "expected a day (mon, tue, wed, thu, fri, sat, sun), got %s", describe(d))
					continue
				}
				if have[time.Weekday(wd)] {
					p.errorf(d, dp, "%s is listed twice", d.Value)
				}
				have[time.Weekday(wd)] = true
			}
			if len(list) == 0 {
				p.errorf(v, join(path, "days"), "give at least one working day")
			}
			for _, wd := range []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday} {
				if have[wd] {
					b.Days = append(b.Days, wd)
				}
			}
		}
	}
	var openOK, closeOK bool
	if v := m.require("open"); v != nil {
		b.Open, openOK = p.timeOfDay(v, join(path, "open"))
	}
	if v := m.require("close"); v != nil {
		b.Close, closeOK = p.timeOfDay(v, join(path, "close"))
	}
	if openOK && closeOK && b.Open >= b.Close {
		p.errorf(m.vals["close"], join(path, "close"), "%s is not after open (%s)", b.Close, b.Open)
		openOK = false
	}
	if openOK && b.Open == 24*60 {
		p.errorf(m.vals["open"], join(path, "open"), "a day opens before 24:00")
		openOK = false
	}
	if v := m.get("holidays"); v != nil {
		if p.kind(v, join(path, "holidays"), yaml.ScalarNode, "a country code") {
			if !countryRE.MatchString(v.Value) {
				p.errorf(v, join(path, "holidays"), "expected a two-letter country code in capitals, like US or DE, got %s", describe(v))
			} else if !slices.Contains(calendar.Countries(), v.Value) {
				p.errorf(v, join(path, "holidays"), "no holiday calendar for %s (known: %s)", v.Value, strings.Join(calendar.Countries(), ", "))
			} else {
				b.Holidays = v.Value
			}
		}
	}
	if v := m.get("closed_dates"); v != nil {
		if list, ok := p.list(v, join(path, "closed_dates"), 366); ok {
			seen := map[Date]bool{}
			for i, d := range list {
				dp := item(join(path, "closed_dates"), i)
				if !p.kind(d, dp, yaml.ScalarNode, "a date") {
					continue
				}
				t, err := time.Parse("2006-01-02", d.Value)
				if !dateRE.MatchString(d.Value) || err != nil {
					p.errorf(d, dp, "expected a date written YYYY-MM-DD, like 2026-12-24, got %s", describe(d))
					continue
				}
				date := Date{t.Year(), t.Month(), t.Day()}
				if seen[date] {
					p.errorf(d, dp, "%s is listed twice", date)
					continue
				}
				seen[date] = true
				b.ClosedDates = append(b.ClosedDates, date)
			}
			slices.SortFunc(b.ClosedDates, Date.compare)
		}
	}
	return openOK && closeOK
}

func (p *parser) timeOfDay(n *yaml.Node, path string) (TimeOfDay, bool) {
	if !p.kind(n, path, yaml.ScalarNode, "a time like 09:00") {
		return 0, false
	}
	m := clockRE.FindStringSubmatch(n.Value)
	if m == nil || m[1] == "24" && m[2] != "00" {
		p.errorf(n, path, "expected a time written HH:MM, like 09:00 or 17:30, got %s", describe(n))
		return 0, false
	}
	h, _ := strconv.Atoi(m[1])
	mm, _ := strconv.Atoi(m[2])
	return TimeOfDay(h*60 + mm), true
}

var (
	salesKeys = []string{"first_touch_within", "accept_within", "hot_lead_first_touch_within",
		"min_touches_before_recycle", "cadence", "connected_cadence"}
	stepKeys = []string{"channel", "offset", "template"}
)

// sales reads what sales promises; it returns where the cadence key is
// written, for [Agreement.CheckStaff].
func (p *parser) sales(n, key *yaml.Node, dayMinutes int, s *Sales) (cadenceAt position) {
	const path = "sales"
	m := p.mapping(n, key, path, salesKeys)
	if m == nil {
		return position{}
	}
	if k := m.keys["cadence"]; k != nil {
		cadenceAt = position{k.Line, k.Column}
	}
	nonZero := func(key string) (Span, bool) {
		v := m.require(key)
		if v == nil {
			return Span{}, false
		}
		sp, ok := p.span(v, join(path, key))
		if ok && sp.IsZero() {
			p.errorf(v, join(path, key), "must be more than no time")
			ok = false
		}
		return sp, ok
	}
	var firstOK bool
	s.FirstTouchWithin, firstOK = nonZero("first_touch_within")
	s.AcceptWithin, _ = nonZero("accept_within")
	s.HotLeadFirstTouchWithin = s.FirstTouchWithin
	if v := m.get("hot_lead_first_touch_within"); v != nil {
		hot, ok := p.span(v, join(path, "hot_lead_first_touch_within"))
		switch {
		case ok && hot.IsZero():
			p.errorf(v, join(path, "hot_lead_first_touch_within"), "must be more than no time")
		case ok && firstOK && hot.BusinessMinutes(dayMinutes) > s.FirstTouchWithin.BusinessMinutes(dayMinutes):
			p.errorf(v, join(path, "hot_lead_first_touch_within"), "%s is longer than first_touch_within (%s): a hot lead is touched sooner, not later",
				hot, s.FirstTouchWithin)
		case ok:
			s.HotLeadFirstTouchWithin = hot
		}
	}
	minOK := false
	if v := m.get("min_touches_before_recycle"); v != nil {
		s.MinTouchesBeforeRecycle, minOK = p.integer(v, join(path, "min_touches_before_recycle"), 0, 1000)
	}
	if v := m.require("cadence"); v != nil {
		s.Cadence = p.cadence(v, join(path, "cadence"), dayMinutes)
		if s.Cadence != nil && len(s.Cadence) == 0 {
			p.errorf(v, join(path, "cadence"), "give at least one step, like a call at 0m")
		}
		if minOK && len(s.Cadence) > 0 && s.MinTouchesBeforeRecycle > len(s.Cadence) {
			mv := m.vals["min_touches_before_recycle"]
			p.errorf(mv, join(path, "min_touches_before_recycle"), "%d is more than the %d steps of the cadence: a rep could never recycle a lead",
				s.MinTouchesBeforeRecycle, len(s.Cadence))
		}
	}
	if v := m.get("connected_cadence"); v != nil {
		s.ConnectedCadence = p.cadence(v, join(path, "connected_cadence"), dayMinutes)
	}
	return cadenceAt
}

// cadence reads a list of steps; it returns nil when the list itself is
// wrong, and an empty list for an empty one.
func (p *parser) cadence(n *yaml.Node, path string, dayMinutes int) []Step {
	items, ok := p.list(n, path, maxListLen)
	if !ok {
		return nil
	}
	steps := []Step{}
	var prev *Span
	prevStep := 0
	for i, sn := range items {
		ip := item(path, i)
		m := p.mapping(sn, nil, ip, stepKeys)
		if m == nil {
			continue
		}
		var st Step
		if v := m.require("channel"); v != nil {
			st.Channel, _ = oneOf(p, v, join(ip, "channel"), Channels)
		}
		if v := m.require("offset"); v != nil {
			if off, ok := p.span(v, join(ip, "offset")); ok {
				if prev != nil && off.BusinessMinutes(dayMinutes) < prev.BusinessMinutes(dayMinutes) {
					p.errorf(v, join(ip, "offset"), "%s comes before the %s of step %d: offsets count from the start and never go down", off, *prev, prevStep)
				}
				st.Offset = off
				prev, prevStep = &st.Offset, i+1
			}
		}
		if v := m.require("template"); v != nil {
			st.Template, _ = p.text(v, join(ip, "template"), maxNameLen)
			p.templates = append(p.templates, templateAt{path: join(ip, "template"), code: st.Template, at: position{v.Line, v.Column}})
		}
		steps = append(steps, st)
	}
	return steps
}

var marketingKeys = []string{"qualified_leads_per_month", "qualified_leads_by_segment", "min_acceptance_rate", "min_average_rating", "sales_sourced"}

func (p *parser) marketing(n, key *yaml.Node, mk *Marketing) {
	const path = "marketing"
	m := p.mapping(n, key, path, marketingKeys)
	if m == nil {
		return
	}
	var totalOK bool
	if v := m.require("qualified_leads_per_month"); v != nil {
		mk.QualifiedLeadsPerMonth, totalOK = p.integer(v, join(path, "qualified_leads_per_month"), 1, maxCount)
	}
	if v := m.get("qualified_leads_by_segment"); v != nil {
		sp := join(path, "qualified_leads_by_segment")
		if p.kind(v, sp, yaml.MappingNode, "a mapping of segment names to counts") {
			segs := map[string]int{}
			keys := map[string]*yaml.Node{}
			sum, sumOK := 0, true
			for i := 0; i+1 < len(v.Content); i += 2 {
				k, c := v.Content[i], v.Content[i+1]
				seg, ok := p.text(k, sp, maxNameLen)
				if !ok {
					sumOK = false
					continue
				}
				if prev, dup := keys[seg]; dup {
					p.errorf(k, join(sp, seg), "repeats the segment at line %d", prev.Line)
					sumOK = false
					continue
				}
				keys[seg] = k
				cnt, ok := p.integer(c, join(sp, seg), 0, maxCount)
				if !ok {
					sumOK = false
					continue
				}
				segs[seg] = cnt
				sum += cnt
			}
			if len(v.Content) == 0 {
				p.errorf(v, sp, "name at least one segment, or leave the key out")
			}
			if sumOK && totalOK && len(segs) > 0 && sum != mk.QualifiedLeadsPerMonth {
				p.errorf(m.keys["qualified_leads_by_segment"], sp, "the segments add up to %d, but qualified_leads_per_month is %d: they must add up to exactly the monthly total",
					sum, mk.QualifiedLeadsPerMonth)
			}
			if len(segs) > 0 {
				mk.QualifiedLeadsBySegment = segs
			}
		}
	}
	if v := m.get("min_acceptance_rate"); v != nil {
		mk.MinAcceptanceRate, _ = p.numberIn(v, join(path, "min_acceptance_rate"), between(0, 1))
	}
	if v := m.get("min_average_rating"); v != nil {
		mk.MinAverageRating, _ = p.numberIn(v, join(path, "min_average_rating"), between(1, 5))
	}
	mk.SalesSourced = DefaultSalesSourced
	if v := m.get("sales_sourced"); v != nil {
		mk.SalesSourced, mk.salesSourced = p.entry(v, join(path, "sales_sourced"))
	}
}

var escalationKeys = []string{"after", "notify"}

// escalation reads the escalation steps, with where each step's notify
// value is written, for [Agreement.CheckStaff].
func (p *parser) escalation(n *yaml.Node, dayMinutes int) ([]EscalationStep, []position) {
	const path = "escalation"
	items, ok := p.list(n, path, maxListLen)
	if !ok {
		return nil, nil
	}
	var out []EscalationStep
	var notifyAt []position
	var prev *Span
	prevStep := 0
	for i, en := range items {
		ip := item(path, i)
		m := p.mapping(en, nil, ip, escalationKeys)
		if m == nil {
			continue
		}
		var e EscalationStep
		if v := m.require("after"); v != nil {
			if after, ok := p.span(v, join(ip, "after")); ok {
				if prev != nil && after.BusinessMinutes(dayMinutes) < prev.BusinessMinutes(dayMinutes) {
					p.errorf(v, join(ip, "after"), "%s comes before the %s of step %d: each step comes at the same time as the one before or later", after, *prev, prevStep)
				}
				e.After = after
				prev, prevStep = &e.After, i+1
			}
		}
		var at position
		if v := m.require("notify"); v != nil {
			e.Notify, _ = oneOf(p, v, join(ip, "notify"), EscalationRoles)
			at = position{v.Line, v.Column}
		}
		out = append(out, e)
		notifyAt = append(notifyAt, at)
	}
	return out, notifyAt
}

var routingKeys = []string{"method", "field", "teams", "capacity"}

func (p *parser) routing(n, key *yaml.Node, r *Routing) {
	const path = "routing"
	m := p.mapping(n, key, path, routingKeys)
	if m == nil {
		return
	}
	methodOK := false
	if v := m.require("method"); v != nil {
		r.Method, methodOK = oneOf(p, v, join(path, "method"), RoutingMethods)
	}
	if v := m.get("field"); v != nil {
		if p.kind(v, join(path, "field"), yaml.ScalarNode, "a lead field name") {
			if _, ok := tandem.LookupLeadField(v.Value); !ok {
				if near := closest(v.Value, tandem.LeadFieldNames()); near != "" {
					p.errorf(v, join(path, "field"), "no lead field %s (did you mean %s?)", describe(v), near)
				} else {
					p.errorf(v, join(path, "field"), "no lead field %s (the fields are %s, and attributes.KEY)", describe(v), strings.Join(tandem.LeadFieldNames(), ", "))
				}
			} else if methodOK && r.Method != ByField {
				p.errorf(v, join(path, "field"), "is used only with method by_field")
			} else {
				r.Field = v.Value
			}
		}
	} else if methodOK && r.Method == ByField {
		p.errorf(m.vals["method"], join(path, "field"), "method by_field needs a field, like segment or territory")
	}
	if v := m.get("teams"); v != nil {
		tp := join(path, "teams")
		teams := p.teams(v, tp)
		if methodOK && r.Method != ByField {
			p.errorf(m.keys["teams"], tp, "is used only with method by_field")
		} else if len(teams) > 0 {
			r.Teams = teams
		}
	}
	if v := m.get("capacity"); v != nil {
		r.Capacity, _ = p.integer(v, join(path, "capacity"), 0, maxCount)
	}
}

// teams reads routing.teams: a mapping of lead-field values to team names.
func (p *parser) teams(n *yaml.Node, path string) map[string]string {
	if !p.kind(n, path, yaml.MappingNode, "a mapping of field values to team names, like enterprise: east") {
		return nil
	}
	if len(n.Content) == 0 {
		p.errorf(n, path, "name at least one value and its team, or leave the key out")
		return nil
	}
	teams := map[string]string{}
	keys := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, t := n.Content[i], n.Content[i+1]
		val, ok := p.text(k, path, maxNameLen)
		if !ok {
			continue
		}
		if prev, dup := keys[val]; dup {
			p.errorf(k, join(path, val), "repeats the value at line %d", prev.Line)
			continue
		}
		keys[val] = k
		if team, ok := p.text(t, join(path, val), tandem.MaxTeamLen); ok {
			teams[val] = team
		}
	}
	return teams
}

var funnelKeys = []string{"average_deal_size", "close_rate", "sales_cycle_days", "conversion", "tolerance"}

// assumption reads a number checked by check, or the word history.
func (p *parser) assumption(n *yaml.Node, path string, check bounded) (Assumption, bool) {
	if n.Kind == yaml.ScalarNode && n.Value == "history" && n.ShortTag() == "!!str" {
		return FromHistory, true
	}
	if !p.kind(n, path, yaml.ScalarNode, "a number or history") {
		return Assumption{}, false
	}
	if tag := n.ShortTag(); tag != "!!int" && tag != "!!float" {
		p.errorf(n, path, "expected a number or history, got %s", describe(n))
		return Assumption{}, false
	}
	v, ok := p.numberIn(n, path, check)
	return Fixed(v), ok
}

func (p *parser) funnel(n, key *yaml.Node, st stageInfo, f *Funnel) {
	const path = "funnel"
	m := p.mapping(n, key, path, funnelKeys)
	if m == nil {
		return
	}
	if v := m.get("average_deal_size"); v != nil {
		if a, ok := p.assumption(v, join(path, "average_deal_size"), positive); ok {
			f.AverageDealSize = a
		}
	}
	if v := m.get("close_rate"); v != nil {
		if a, ok := p.assumption(v, join(path, "close_rate"), rate); ok {
			f.CloseRate = a
		}
	}
	if v := m.get("sales_cycle_days"); v != nil {
		if a, ok := p.assumption(v, join(path, "sales_cycle_days"), between(0.01, 3660)); ok {
			f.SalesCycleDays = a
		}
	}
	if v := m.get("tolerance"); v != nil {
		if t, ok := p.numberIn(v, join(path, "tolerance"), between(0, 1)); ok {
			f.Tolerance = t
		}
	}
	v := m.get("conversion")
	if v == nil {
		return
	}
	cp := join(path, "conversion")
	if !p.kind(v, cp, yaml.MappingNode, "a mapping of stage pairs (like mql_to_sal) to rates") {
		return
	}
	conv := map[StagePair]Assumption{}
	keys := map[StagePair]*yaml.Node{}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, c := v.Content[i], v.Content[i+1]
		if !p.kind(k, cp, yaml.ScalarNode, "a stage pair like mql_to_sal") {
			continue
		}
		kp := join(cp, k.Value)
		pair, ok := splitPair(k.Value, st)
		switch {
		case st.written == nil:
			// The stages could not be read; do not guess.
		case !ok:
			p.errorf(k, kp, "does not name two stages of this agreement: write FROM_to_TO with stage names, like mql_to_sal")
			continue
		case !st.ok:
			// The stages have problems of their own; the pair may be right.
		default:
			if msg := pairProblem(pair, st); msg != "" {
				p.errorf(k, kp, "%s", msg)
				continue
			}
		}
		if prev, dup := keys[pair]; dup && ok {
			p.errorf(k, kp, "repeats the pair at line %d", prev.Line)
			continue
		}
		keys[pair] = k
		if a, ok := p.assumption(c, kp, rate); ok {
			conv[pair] = a
		}
	}
	if len(conv) > 0 {
		f.Conversion = conv
	}
}

// splitPair reads "FROM_to_TO"; stage names may hold "_to_" themselves, so
// every split is tried against the stages.
func splitPair(s string, st stageInfo) (StagePair, bool) {
	known := func(name string) bool { return st.written[name] }
	for i := 0; i+4 <= len(s); i++ {
		if s[i:i+4] == "_to_" && known(s[:i]) && known(s[i+4:]) {
			return StagePair{s[:i], s[i+4:]}, true
		}
	}
	return StagePair{}, false
}

func pairProblem(pr StagePair, st stageInfo) string {
	for _, name := range []string{pr.From, pr.To} {
		if slices.Contains(st.exits, name) {
			return fmt.Sprintf("%s is an exit stage: conversion rates are between neighbouring path stages", name)
		}
	}
	i, j := slices.Index(st.path, pr.From), slices.Index(st.path, pr.To)
	switch {
	case j != i+1 && i+1 < len(st.path):
		return fmt.Sprintf("conversion rates are between neighbouring path stages: %s is followed by %s", pr.From, st.path[i+1])
	case j != i+1:
		return fmt.Sprintf("%s is the last path stage: nothing follows it", pr.From)
	case j == len(st.path)-1:
		return fmt.Sprintf("this is the close rate: give it as funnel.close_rate")
	}
	return ""
}

var goalKeys = []string{"period", "revenue", "marketing_share", "unified_kpi"}

func (p *parser) goal(n, key *yaml.Node, g *Goal) {
	const path = "goal"
	m := p.mapping(n, key, path, goalKeys)
	if m == nil {
		return
	}
	if v := m.require("period"); v != nil {
		g.Period, _ = oneOf(p, v, join(path, "period"), Periods)
	}
	if v := m.require("revenue"); v != nil {
		g.Revenue, _ = p.numberIn(v, join(path, "revenue"), positive)
	}
	if v := m.require("marketing_share"); v != nil {
		g.MarketingShare, _ = p.numberIn(v, join(path, "marketing_share"), between(0, 1))
	}
	if v := m.require("unified_kpi"); v != nil {
		g.UnifiedKPI, _ = oneOf(p, v, join(path, "unified_kpi"), KPIs)
	}
}
