package agreement

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/tandemhq/tandem"
)

// Problem is one thing wrong with an agreement file, at a position. Line and
// Col count from 1; Col is 0 when only the line is known (a YAML syntax
// error).
type Problem struct {
	Line, Col int
	Message   string
}

func (p Problem) String() string {
	if p.Col == 0 {
		return fmt.Sprintf("%d: %s", p.Line, p.Message)
	}
	return fmt.Sprintf("%d:%d: %s", p.Line, p.Col, p.Message)
}

// Problems is every problem found in an agreement file, sorted by line then
// column.
type Problems struct {
	File string
	List []Problem
}

// Error prints one problem per line as "FILE:LINE:COL: message".
func (ps *Problems) Error() string {
	var b strings.Builder
	for i, p := range ps.List {
		if i > 0 {
			b.WriteByte('\n')
		}
		if ps.File != "" {
			b.WriteString(ps.File)
			b.WriteByte(':')
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// Unwrap gives the problems as an EINVALID [tandem.Error], one field error
// per problem named "LINE:COL", so that every layer treats a bad file as bad
// input and not as an internal error.
func (ps *Problems) Unwrap() error {
	e := &tandem.Error{Code: tandem.EINVALID, Message: ps.Error()}
	for _, p := range ps.List {
		field := fmt.Sprint(p.Line)
		if p.Col != 0 {
			field = fmt.Sprintf("%d:%d", p.Line, p.Col)
		}
		e.Fields = append(e.Fields, tandem.FieldError{Field: field, Message: p.Message})
	}
	return e
}

func (ps *Problems) sort() {
	slices.SortStableFunc(ps.List, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
}
