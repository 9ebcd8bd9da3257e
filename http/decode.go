package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/tandemhq/tandem"
)

// Text is refused, not mangled. encoding/json reads a string that is not
// valid UTF-8, or that escapes half of a UTF-16 surrogate pair ("\ud800"),
// as U+FFFD without a word; net/url reads any bytes at all. Every JSON body
// the API reads goes through [decodeJSON], and every query and form through
// [checkParams], which refuse such text with 422 naming where it is.
//
// The check is the standard library's (utf8.Valid, then a scan for a \u
// escape of a surrogate) and costs a pass over the body; only a body that
// fails it is scanned again for the path of the string at fault.
// go-json-experiment/json refuses such text too, but says so with an error
// it does not export (telling it from a syntax error would mean matching
// messages), and would make an indirect dependency a direct one.

// How decodeJSON decodes.
type decodeHow int

const (
	knownFields  decodeHow = 1 << iota // a key that is no field of v is refused (422 naming it)
	exactNumbers                       // numbers decoded into an any are json.Number
)

// decodeJSON reads body, one JSON value, into v. A body that is not JSON
// (or holds more than one value) is EMALFORMED; a string in it, key or
// value, that is not valid UTF-8 text is EINVALID naming its path:
// "company" in an object, "[3].company" in an array of objects,
// "attributes.plan" inside an object's object.
func decodeJSON(body []byte, v any, how decodeHow) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if how&knownFields != 0 {
		dec.DisallowUnknownFields()
	}
	if how&exactNumbers != 0 {
		dec.UseNumber()
	}
	if err := dec.Decode(v); err != nil {
		if msg, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return tandem.Invalid(tandem.FieldError{Field: strings.Trim(msg, `"`), Message: "no such field"})
		}
		if err == io.EOF {
			return tandem.Errorf(tandem.EMALFORMED, "the body is empty: send a JSON object")
		}
		return malformed(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return tandem.Errorf(tandem.EMALFORMED, "the body holds more than one JSON value")
	}
	if path, ok := badText(body); ok {
		return tandem.Invalid(tandem.FieldError{Field: path, Message: "is not valid UTF-8 text (invalid bytes, or half of a UTF-16 surrogate pair): send the text as UTF-8"})
	}
	return nil
}

// decodeStrict reads a request body, one JSON object, into v, refusing
// keys that are no field of v.
func decodeStrict(body io.Reader, v any) error {
	b, err := io.ReadAll(body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return err // too_large, not malformed
		}
		return tandem.Errorf(tandem.EMALFORMED, "the body cannot be read: %v", err)
	}
	return decodeJSON(b, v, knownFields)
}

// badText returns the path of the first string of the JSON document body
// (a key or a value) that is not valid UTF-8 or holds an escaped surrogate
// that is not half of a pair, if there is one. decodeJSON calls it only on
// a body encoding/json has read, so body is one valid JSON value; on any
// other body it returns a path or nothing, but never panics.
func badText(body []byte) (path string, ok bool) {
	// Nearly every body is valid UTF-8 and escapes no surrogate: only
	// the others are scanned, once, in linear time.
	if utf8.Valid(body) && !hasSurrogateEscape(body) {
		return "", false
	}
	type frame struct {
		array   bool
		index   int    // of the element being read, in an array
		key     string // of the member being read, in an object
		wantKey bool   // the next string is a key
	}
	var stack []*frame
	pathOf := func() string {
		var b strings.Builder
		for _, f := range stack {
			if f.array {
				fmt.Fprintf(&b, "[%d]", f.index)
				continue
			}
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(f.key)
		}
		return b.String()
	}
	top := func() *frame {
		if len(stack) == 0 {
			return nil
		}
		return stack[len(stack)-1]
	}
	// value notes that a value starts: the next element of an array.
	value := func() {
		if f := top(); f != nil && f.array {
			f.index++
		}
	}
	for i := 0; i < len(body); i++ {
		switch c := body[i]; c {
		case ' ', '\t', '\n', '\r', ':':
		case ',':
			if f := top(); f != nil && !f.array {
				f.wantKey = true
			}
		case '{', '[':
			value()
			stack = append(stack, &frame{array: c == '[', index: -1, wantKey: c == '{'})
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case '"':
			j := i + 1
			for j < len(body) && body[j] != '"' {
				if body[j] == '\\' {
					j++
				}
				j++
			}
			raw := body[i:min(j+1, len(body))]
			i = j
			if f := top(); f != nil && !f.array && f.wantKey {
				var key string
				json.Unmarshal(raw, &key) // valid JSON: cannot fail but for the text, which is mended
				f.key, f.wantKey = key, false
				if !validText(raw) {
					// The key itself is bad: name it quoted, as read.
					f.key = strconv.QuoteToASCII(key)
					return pathOf(), true
				}
				continue
			}
			value()
			if !validText(raw) {
				return pathOf(), true
			}
		default: // a number, true, false or null
			value()
			for i+1 < len(body) && strings.IndexByte(",]} \t\n\r", body[i+1]) < 0 {
				i++
			}
		}
	}
	return "", false
}

// validText reports whether raw, the bytes of a JSON string token (and of
// the delimiters before it), is valid UTF-8 whose \u escapes pair every
// surrogate.
func validText(raw []byte) bool {
	if !utf8.Valid(raw) {
		return false
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' || i+1 >= len(raw) {
			continue
		}
		if raw[i+1] != 'u' {
			i++ // \\, \", \n ...: the escaped byte is not a backslash
			continue
		}
		r, ok := hex4(raw, i+2)
		if !ok {
			continue // not JSON: the decoder has said so already
		}
		i += 5
		if !utf16.IsSurrogate(r) {
			continue
		}
		if r >= 0xDC00 || i+6 >= len(raw) || raw[i+1] != '\\' || raw[i+2] != 'u' {
			return false // a low half first, or a high half alone
		}
		r2, ok := hex4(raw, i+3)
		if !ok || r2 < 0xDC00 || r2 > 0xDFFF {
			return false
		}
		i += 6
	}
	return true
}

// hasSurrogateEscape reports whether body may escape a surrogate: \uD800
// to \uDFFF, in either case.
func hasSurrogateEscape(body []byte) bool {
	for i := bytes.Index(body, []byte(`\u`)); i >= 0; {
		if r, ok := hex4(body, i+2); ok && utf16.IsSurrogate(r) {
			return true
		}
		j := bytes.Index(body[i+2:], []byte(`\u`))
		if j < 0 {
			return false
		}
		i += 2 + j
	}
	return false
}

// hex4 reads the four hex digits at b[i:].
func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b[i:i+4]), 16, 16)
	return rune(n), err == nil
}

// checkParams refuses values (a query, or a form) that hold a name or a
// value that is not valid UTF-8, naming it; what says what a name is
// ("parameter", "field"), for the message.
func checkParams(values url.Values, what string) error {
	var errs []tandem.FieldError
	for _, name := range slices.Sorted(maps.Keys(values)) {
		if !utf8.ValidString(name) {
			errs = append(errs, tandem.FieldError{Field: strconv.QuoteToASCII(name), Message: "the name of this " + what + " is not valid UTF-8 text"})
			continue
		}
		for _, v := range values[name] {
			if !utf8.ValidString(v) {
				errs = append(errs, tandem.FieldError{Field: name, Message: "is not valid UTF-8 text"})
				break
			}
		}
	}
	if len(errs) > 0 {
		return tandem.Invalid(errs...)
	}
	return nil
}
