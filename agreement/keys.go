package agreement

import (
	"bytes"
	"fmt"
	"slices"

	"go.yaml.in/yaml/v3"
)

// MaxKeys bounds how many keys [Keys] lists, so that a file of a huge
// mapping costs bounded memory.
const MaxKeys = 5000

// Keys lists the keys of an agreement file as a clause of it is named: each
// top-level key (sales) and each key of a mapping under it, joined by dots
// (sales.first_touch, business_hours.days). A list's items are not keys of
// their own: a comment on a stage's rule names the list's key (stages). The
// keys come sorted. A file that is not YAML is an error.
func Keys(body []byte) ([]string, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&root); err != nil {
		return nil, fmt.Errorf("the agreement file does not read as YAML: %w", err)
	}
	seen := map[string]bool{}
	var walk func(n *yaml.Node, prefix string, depth int)
	walk = func(n *yaml.Node, prefix string, depth int) {
		if n == nil || depth > 20 || len(seen) >= MaxKeys {
			return
		}
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, prefix, depth+1)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				if k.Kind != yaml.ScalarNode || k.Value == "" {
					continue
				}
				key := k.Value
				if prefix != "" {
					key = prefix + "." + key
				}
				if len(seen) < MaxKeys {
					seen[key] = true
				}
				walk(n.Content[i+1], key, depth+1)
			}
		}
	}
	walk(&root, "", 0)
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys, nil
}
