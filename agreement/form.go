package agreement

import (
	"bytes"
	"fmt"
	"slices"
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
	// ItemPath names that item ("sales.cadence[4]") and ListPath its list
	// ("sales.cadence"), for [EditItems]; both are empty for a value in no
	// list of items.
	ItemPath, ListPath string
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
	walkForm(root, "", "", itemAt{}, func(path, section, label string, item itemAt, n *yaml.Node, hint string) {
		f := FormField{Path: path, Section: section, Label: label, Item: item.name, ItemPath: item.path, ListPath: item.list, Hint: hint}
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
	walkForm(root, "", "", itemAt{}, func(path, _, _ string, _ itemAt, n *yaml.Node, _ string) {
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
	return encodeForm(root)
}

// encodeForm writes the file back, keeping its comments and order.
func encodeForm(root *yaml.Node) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("write the agreement file: %w", err)
	}
	return b.Bytes(), enc.Close()
}

// EditItems removes the items of lists named by remove (item paths, as
// [FormField.ItemPath] gives them: "sales.cadence[4]") and, when add names
// a list of items ([FormField.ListPath]: "sales.cadence"), adds an item at
// its end: a copy of its last item with its name or code left empty, for
// the form to fill. The paths are those of body as it was given, so that
// removing several items of one list removes the ones shown. A path that
// names no item or list of the file is an error naming it; a list with no
// item to copy is one too (add its first item in the YAML). The result is
// not checked: pass it to [Parse].
func EditItems(body []byte, remove []string, add string) ([]byte, error) {
	if len(remove) == 0 && add == "" {
		return body, nil
	}
	root, err := formRoot(body)
	if err != nil {
		return nil, err
	}
	type cut struct {
		list *yaml.Node
		i    int
	}
	var cuts []cut
	for _, path := range remove {
		list, i, err := itemOf(root, path)
		if err != nil {
			return nil, err
		}
		cuts = append(cuts, cut{list, i})
	}
	var addTo *yaml.Node
	if add != "" {
		addTo = nodeAt(root, add)
		if addTo == nil || addTo.Kind != yaml.SequenceNode || plainList(addTo) && len(addTo.Content) > 0 {
			return nil, fmt.Errorf("%s: the agreement file has no such list of items", add)
		}
		if len(addTo.Content) == 0 {
			return nil, fmt.Errorf("%s: the list has no item to copy; add its first item in the YAML", add)
		}
	}
	// Later items first, so the earlier indexes still hold.
	slices.SortFunc(cuts, func(a, b cut) int { return b.i - a.i })
	for k, c := range cuts {
		if k > 0 && cuts[k-1].list == c.list && cuts[k-1].i == c.i {
			continue // named twice
		}
		c.list.Content = slices.Delete(c.list.Content, c.i, c.i+1)
	}
	if addTo != nil && len(addTo.Content) > 0 {
		item := copyNode(addTo.Content[len(addTo.Content)-1])
		if item.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(item.Content); i += 2 {
				if k := item.Content[i].Value; k == "name" || k == "code" {
					setScalar(item.Content[i+1], "")
				}
			}
		}
		addTo.Content = append(addTo.Content, item)
	}
	return encodeForm(root)
}

// itemOf finds the list item a path such as "sales.cadence[4]" names: its
// list and its index from 0.
func itemOf(root *yaml.Node, path string) (*yaml.Node, int, error) {
	open := strings.LastIndexByte(path, '[')
	if open < 0 || !strings.HasSuffix(path, "]") {
		return nil, 0, fmt.Errorf("%s: not an item of a list", path)
	}
	list := nodeAt(root, path[:open])
	n, err := strconv.Atoi(path[open+1 : len(path)-1])
	if list == nil || list.Kind != yaml.SequenceNode || err != nil || n < 1 || n > len(list.Content) || list.Content[n-1].Kind != yaml.MappingNode {
		return nil, 0, fmt.Errorf("%s: the agreement file has no such item", path)
	}
	return list, n - 1, nil
}

// nodeAt returns the node a form path names ("sales.cadence",
// "stages[2].rules"), nil when the file has none.
func nodeAt(root *yaml.Node, path string) *yaml.Node {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	for _, part := range strings.Split(path, ".") {
		key, index := part, 0
		if open := strings.IndexByte(part, '['); open >= 0 && strings.HasSuffix(part, "]") {
			i, err := strconv.Atoi(part[open+1 : len(part)-1])
			if err != nil || i < 1 {
				return nil
			}
			key, index = part[:open], i
		}
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				next = n.Content[i+1]
				break
			}
		}
		if next == nil {
			return nil
		}
		if index > 0 {
			if next.Kind != yaml.SequenceNode || index > len(next.Content) {
				return nil
			}
			next = next.Content[index-1]
		}
		n = next
	}
	return n
}

// copyNode copies a node and everything under it.
func copyNode(n *yaml.Node) *yaml.Node {
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, k := range n.Content {
		c.Content[i] = copyNode(k)
	}
	return &c
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

// itemAt says which item of a list a value belongs to: its name in words,
// its path and its list's path (all empty outside lists of items).
type itemAt struct{ name, path, list string }

// walkForm calls fn for each value of the form: every scalar, and every
// list of scalars as one value, with its path and words.
func walkForm(n *yaml.Node, path, section string, item itemAt, fn func(path, section, label string, item itemAt, n *yaml.Node, hint string)) {
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
				ip := p + "[" + strconv.Itoa(j+1) + "]"
				walkForm(c, ip, sec, itemAt{name: itemName(k.Value, j, c), path: ip, list: p}, fn)
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

// ListNoun says what one item of the list at path is, in a word: "step"
// for "sales.cadence", "stage" for "stages" or "pipeline.stages".
func ListNoun(path string) string {
	list := path[strings.LastIndexByte(path, '.')+1:]
	if open := strings.IndexByte(list, '['); open >= 0 {
		list = list[:open]
	}
	noun := map[string]string{"stages": "stage", "cadence": "step", "connected_cadence": "step",
		"reject_reasons": "reason", "escalation": "level"}[list]
	if noun == "" {
		noun = strings.TrimSuffix(words(list), "s")
	}
	return noun
}

// itemName names the j-th item of a list in words: by its name or code
// when it has one ("stage mql"), else by its number ("step 4").
func itemName(list string, j int, n *yaml.Node) string {
	noun := ListNoun(list)
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
