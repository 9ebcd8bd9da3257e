package agreement

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// The agreement as a form. A file is shown as one field per value, named by
// the path the problems of [Parse] use ("sales.cadence[4].offset"), so that
// a problem lands beside the field it is about; the form's answers are
// written back into the file, which keeps its comments, order and layout,
// and the file is then checked by [Parse] like any other. The form and the
// YAML are two views of one file, with one check.

// FormField is one value of an agreement file, as the form shows it.
type FormField struct {
	// Path names the value as problems name it: "goal.revenue",
	// "stages[2].entry", "sales.cadence[4].offset" (list items count from 1).
	Path string
	// Section is the top-level key the value is under ("sales").
	Section string
	// Label is the value's own key in words ("first touch within"); Item
	// says which item of a list it belongs to ("stage mql", "step 4").
	Label, Item string
	// Value is the value as the file writes it; a list of plain values
	// (List) is written with ", " between them.
	Value string
	List  bool
	// Long is set for text that runs over lines (a definition).
	Long bool
	// Hint is the file's comment on the value, if any.
	Hint string
}

// FormFields lists the values of an agreement file in the file's order. It
// fails only on a file that is not YAML; what the values mean is [Parse]'s
// to check.
func FormFields(body []byte) ([]FormField, error) {
	root, err := formRoot(body)
	if err != nil {
		return nil, err
	}
	var out []FormField
	walkForm(root, "", "", "", func(path, section, label, item string, n *yaml.Node, hint string) {
		f := FormField{Path: path, Section: section, Label: label, Item: item, Hint: hint}
		switch n.Kind {
		case yaml.ScalarNode:
			f.Value = n.Value
			f.Long = n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 || strings.Contains(n.Value, "\n")
		case yaml.SequenceNode:
			vals := make([]string, len(n.Content))
			for i, c := range n.Content {
				vals[i] = c.Value
			}
			f.Value, f.List = strings.Join(vals, ", "), true
		}
		out = append(out, f)
	})
	return out, nil
}

// ApplyForm writes the form's values (by [FormField.Path]) into the file
// and returns the new file. A path the file does not have is an error
// naming it; a value left as it was changes nothing, so an untouched form
// gives back the file as it was written. The result is not checked: pass
// it to [Parse].
func ApplyForm(body []byte, values map[string]string) ([]byte, error) {
	root, err := formRoot(body)
	if err != nil {
		return nil, err
	}
	for path, v := range values {
		if !utf8.ValidString(v) {
			return nil, fmt.Errorf("%s: the value is not valid UTF-8 text", path)
		}
	}
	seen := map[string]bool{}
	changed := false
	walkForm(root, "", "", "", func(path, _, _, _ string, n *yaml.Node, _ string) {
		v, ok := values[path]
		if !ok {
			return
		}
		seen[path] = true
		v = strings.ReplaceAll(v, "\r\n", "\n")
		switch n.Kind {
		case yaml.ScalarNode:
			if n.Value == v || (n.Style&yaml.FoldedStyle != 0 && strings.TrimSpace(n.Value) == strings.TrimSpace(v)) {
				return
			}
			setScalar(n, v)
			changed = true
		case yaml.SequenceNode:
			var old []string
			for _, c := range n.Content {
				old = append(old, c.Value)
			}
			var items []string
			for _, s := range strings.Split(v, ",") {
				if s = strings.TrimSpace(s); s != "" {
					items = append(items, s)
				}
			}
			if strings.Join(old, "\x00") == strings.Join(items, "\x00") {
				return
			}
			n.Content = n.Content[:0]
			for _, s := range items {
				c := &yaml.Node{Kind: yaml.ScalarNode}
				setScalar(c, s)
				n.Content = append(n.Content, c)
			}
			changed = true
		}
	})
	for path := range values {
		if !seen[path] {
			return nil, fmt.Errorf("%s: the agreement file has no such value", path)
		}
	}
	if !changed {
		return body, nil
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("write the agreement file: %w", err)
	}
	return b.Bytes(), enc.Close()
}

// setScalar gives a scalar a new value typed as text, letting the writer
// quote it where YAML needs; a value over several lines is written as a
// literal block.
func setScalar(n *yaml.Node, v string) {
	n.Value, n.Tag, n.Style = v, "", 0
	if strings.Contains(v, "\n") {
		n.Style = yaml.LiteralStyle
	}
}

// formRoot parses the file into its document's root node. A file of
// several documents, or one with aliases, is refused: the form edits plain
// files, as Parse accepts them.
func formRoot(body []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("the agreement file is not YAML: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("the agreement file is not a mapping of keys and values")
	}
	return &doc, nil
}

// walkForm calls fn for each value of the form: every scalar, and every
// list of scalars as one value, with its path and words.
func walkForm(n *yaml.Node, path, section, item string, fn func(path, section, label, item string, n *yaml.Node, hint string)) {
	if n.Kind == yaml.DocumentNode {
		for _, c := range n.Content {
			walkForm(c, path, section, item, fn)
		}
		return
	}
	if n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		p, sec := k.Value, section
		if path != "" {
			p = path + "." + k.Value
		} else {
			sec = k.Value
		}
		hint := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(k.LineComment+" "+v.LineComment), "#"))
		switch v.Kind {
		case yaml.ScalarNode:
			fn(p, sec, words(k.Value), item, v, hint)
		case yaml.MappingNode:
			walkForm(v, p, sec, item, fn)
		case yaml.SequenceNode:
			if plainList(v) {
				fn(p, sec, words(k.Value), item, v, hint)
				continue
			}
			for j, c := range v.Content {
				walkForm(c, p+"["+strconv.Itoa(j+1)+"]", sec, itemName(k.Value, j, c), fn)
			}
		}
	}
}

// plainList reports whether a sequence holds only scalars (an empty one
// too: it is edited as a list of values).
func plainList(n *yaml.Node) bool {
	for _, c := range n.Content {
		if c.Kind != yaml.ScalarNode {
			return false
		}
	}
	return true
}

// itemName names the j-th item of a list in words: by its name or code
// when it has one ("stage mql"), else by its number ("step 4").
func itemName(list string, j int, n *yaml.Node) string {
	noun := map[string]string{"stages": "stage", "cadence": "step", "connected_cadence": "step",
		"reject_reasons": "reason", "escalation": "level"}[list]
	if noun == "" {
		noun = strings.TrimSuffix(words(list), "s")
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i].Value; k == "name" || k == "code" {
				return noun + " " + n.Content[i+1].Value
			}
		}
	}
	return noun + " " + strconv.Itoa(j+1)
}

// words writes a key as words: "first_touch_within" is "first touch within".
func words(key string) string { return strings.ReplaceAll(key, "_", " ") }
