package csvimport

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/csvout"
)

// Default limits of a [Reader].
const (
	DefaultMaxLineBytes   = 1 << 20
	DefaultMaxRecordBytes = 4 << 20
)

// Row is one record of the file, converted.
type Row struct {
	// Line is the 1-based line of the file where the record starts.
	Line int
	// Fields holds the target fields by name; a field whose cell is empty
	// is left out, so that a re-import never clears a value.
	Fields map[string]string
	// Initial holds the mapping's constants and the defaults of absent
	// columns: values for a record that creates something, which never
	// change what exists (tandem.LeadInput.Initial). The constant source,
	// which identifies a lead, is in Fields.
	Initial map[string]string
	// Record is the record as read, one string per column.
	Record []string
}

// RowError is a bad row. [Reader.Next] returns it, and the caller may go on
// to the next row.
type RowError struct {
	// Line is the 1-based line of the file where the record starts.
	Line int
	// Column names the header column at fault, or is "" for the whole row.
	Column string
	Reason string
	// Record is the record as read; for a record that cannot be parsed as
	// CSV, it holds the record's raw text as one string.
	Record []string
}

func (e *RowError) Error() string {
	if e.Column != "" {
		return fmt.Sprintf("line %d: column %q: %s", e.Line, e.Column, e.Reason)
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
}

// Reader reads the rows of a CSV file through a mapping. Any error from
// [Reader.Next] that is not a *[RowError] is fatal: the Reader returns it
// again on every later call.
type Reader struct {
	// MaxLineBytes caps the length of one physical line. A longer line is
	// a fatal ETOOLARGE error naming it; the Reader never holds more than
	// about this much of it in memory. Zero means DefaultMaxLineBytes. The
	// header is read with the default; set it before the first Next.
	MaxLineBytes int64
	// MaxRecordBytes caps one record, which quoted newlines can spread over
	// many lines; in practice it catches a quote that is never closed,
	// which would otherwise swallow the rest of the file. Zero means
	// DefaultMaxRecordBytes.
	MaxRecordBytes int64

	plan   *plan
	file   string // the mapping's, for messages
	in     *limitReader
	csv    *csv.Reader
	base   int // lines of the file before the first line csv reads
	header []string
	fields []fieldPlan // with the header's columns
	attrs  []attrPlan
	err    error // sticky: io.EOF or a fatal error
}

// attrPlan keeps an unmapped column as an attribute.
type attrPlan struct {
	col    int
	target string
}

// NewReader reads the header of a CSV file from r and matches it to the
// mapping. It fails with EINVALID if the mapping is bad or a mapped field
// has no column in the header, with EMALFORMED if the file does not start
// with a CSV header, and with ETOOLARGE if the header is over the limits.
// An empty file is not an error: it has no rows.
func NewReader(r io.Reader, m *Mapping) (*Reader, error) {
	pl, probs := m.compile()
	if len(probs) > 0 {
		return nil, problemError(m.File, probs)
	}
	rd := &Reader{plan: pl, file: m.File, in: newLimitReader(r)}
	rd.in.setLimits(DefaultMaxLineBytes, DefaultMaxRecordBytes)
	if what := fileType(rd.in.start()); what != "" {
		return nil, tandem.Errorf(tandem.EMALFORMED, "not a CSV file: %s", what)
	}
	rd.csv = rd.newCSV(rd.in)

	header, err := rd.csv.Read()
	raw, line := rd.in.takeRecord()
	switch {
	case rd.in.err != nil:
		return nil, rd.in.err
	case err == io.EOF:
		rd.err = io.EOF
		return rd, nil
	}
	if bad := binaryHint(raw); bad != "" {
		return nil, tandem.Errorf(tandem.EMALFORMED, "line %d is not a CSV header: %s", line, bad)
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return nil, tandem.Errorf(tandem.EMALFORMED, "line %d: the header cannot be read as CSV: %s", pe.StartLine, parseReason(pe))
	} else if err != nil {
		return nil, fmt.Errorf("reading the CSV header: %w", err)
	}
	if err := rd.matchHeader(header, line); err != nil {
		return nil, err
	}
	return rd, nil
}

// newCSV returns a CSV parser of in with the mapping's delimiter.
func (r *Reader) newCSV(in io.Reader) *csv.Reader {
	c := csv.NewReader(in)
	c.Comma = r.plan.delim
	c.FieldsPerRecord = -1
	// Spaces before a quoted field are common in hand-made files; trimming
	// them is safe unless a space or tab separates the columns.
	c.TrimLeadingSpace = r.plan.delim != '\t' && r.plan.delim != ' '
	return c
}

// fileType says why a file that starts with head is not text, or "".
func fileType(head []byte) string {
	for _, sig := range []struct{ magic, what string }{
		{"PK\x03\x04", "it is a ZIP archive, perhaps an Excel .xlsx workbook; export the sheet as CSV"},
		{"\xd0\xcf\x11\xe0", "it is an old Excel .xls workbook; export the sheet as CSV"},
		{"\x1f\x8b", "it is gzip-compressed; decompress it first"},
		{"\xff\xfe", "it is UTF-16 text; save it as CSV UTF-8"},
		{"\xfe\xff", "it is UTF-16 text; save it as CSV UTF-8"},
	} {
		if bytes.HasPrefix(head, []byte(sig.magic)) {
			return sig.what
		}
	}
	for i, c := range head {
		if c < ' ' && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
			return fmt.Sprintf("it holds binary data (the byte 0x%02x at offset %d); is it a spreadsheet, an archive or an image?", c, i)
		}
	}
	return ""
}

// binaryHint says why raw, the first record of a file, is not a CSV header,
// or "".
func binaryHint(raw []byte) string {
	for i, c := range raw {
		if c < ' ' && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
			return fmt.Sprintf("it holds the control byte 0x%02x at byte %d; is this a binary file?", c, i+1)
		}
	}
	if i := bytes.IndexByte(bytes.TrimRight(raw, "\r\n"), '\r'); i >= 0 {
		return "it holds a carriage return alone: the file seems to end its lines with CR only (classic Mac); save it with LF or CRLF line endings"
	}
	if !utf8.Valid(raw) {
		return "it is not valid UTF-8; save the file as CSV UTF-8"
	}
	return ""
}

// matchHeader finds each mapped field's column.
func (r *Reader) matchHeader(header []string, line int) error {
	r.header = header
	index := map[string][]int{}
	named := false
	for i, name := range header {
		if key := fold(name); key != "" {
			index[key] = append(index[key], i)
			named = true
		}
	}
	if !named {
		return tandem.Errorf(tandem.EMALFORMED, "line %d: the header has no column names", line)
	}
	var probs []string
	mentioned := map[int]bool{} // columns the mapping names, used or not
	targets := map[string]string{}
	r.fields = make([]fieldPlan, len(r.plan.fields))
	missing := false
	for i, f := range r.plan.fields {
		f.col = -1
		for _, c := range f.Columns {
			cols := index[fold(c)]
			for _, col := range cols {
				mentioned[col] = true
			}
			if len(cols) > 1 && f.col < 0 {
				probs = append(probs, fmt.Sprintf("column %q appears %d times in the header (columns %s); field %s cannot tell which to read",
					header[cols[0]], len(cols), columnNumbers(cols), f.Target))
			}
			if len(cols) > 0 && f.col < 0 {
				f.col = cols[0]
			}
		}
		if f.col < 0 && !f.Optional {
			missing = true
			probs = append(probs, fmt.Sprintf("field %s%s: no column %s in the header", f.Target, r.mappingLine(f.Line), orList(f.Columns)))
		}
		r.fields[i] = f
		targets[f.Target] = "the mapping"
	}
	if missing && len(header) == 1 {
		for _, d := range []string{",", ";", "\t", "|"} {
			if strings.Contains(header[0], d) && []rune(d)[0] != r.plan.delim {
				probs = append(probs, fmt.Sprintf("the header has one column, %q: is the delimiter %q? set delimiter in the mapping", header[0], d))
				break
			}
		}
	}
	if r.plan.keep {
		for i, name := range header {
			if mentioned[i] || fold(name) == "" {
				continue
			}
			target := tandem.AttributePrefix + snakeCase(name)
			if _, ok := r.plan.kind.field(target); !ok {
				probs = append(probs, fmt.Sprintf("column %q cannot be kept as an attribute (%q is not a valid name); map it to an attribute with a shorter, plainer name", name, target))
				continue
			}
			if by, ok := targets[target]; ok {
				probs = append(probs, fmt.Sprintf("column %q would become %s, which %s fills already; map one of them to another attribute", name, target, by))
				continue
			}
			targets[target] = fmt.Sprintf("column %q", name)
			r.attrs = append(r.attrs, attrPlan{col: i, target: target})
		}
	}
	if len(probs) > 0 {
		return tandem.Errorf(tandem.EINVALID, "line %d: the header does not fit the mapping:\n  %s", line, strings.Join(probs, "\n  "))
	}
	return nil
}

func (r *Reader) mappingLine(line int) string {
	if line == 0 {
		return ""
	}
	return fmt.Sprintf(" (%s:%d)", r.file, line)
}

func columnNumbers(cols []int) string {
	s := make([]string, len(cols))
	for i, c := range cols {
		s[i] = fmt.Sprint(c + 1)
	}
	return strings.Join(s, " and ")
}

func orList(cols []string) string {
	if len(cols) == 1 {
		return fmt.Sprintf("%q", cols[0])
	}
	return "named " + quoteList(cols[:len(cols)-1]) + fmt.Sprintf(" or %q", cols[len(cols)-1])
}

// Header returns the file's header as read, one name per column; nil for
// an empty file.
func (r *Reader) Header() []string { return r.header }

// Column returns the header column a field is read from, or "" if no
// column gives it. A caller uses it to name the column when the store
// rejects a field's value.
func (r *Reader) Column(field string) string {
	for _, f := range r.fields {
		if f.Target == field && f.col >= 0 {
			return strings.TrimSpace(r.header[f.col])
		}
	}
	for _, a := range r.attrs {
		if a.target == field {
			return strings.TrimSpace(r.header[a.col])
		}
	}
	return ""
}

// BytesRead returns how many bytes of the file have been read: after the
// last row, the file's size. It is meant for a progress bar.
func (r *Reader) BytesRead() int64 { return r.in.total }

// Next returns the next row, a *[RowError] for a bad row, io.EOF after the
// last row, or a fatal error. Records whose every cell is blank are
// skipped.
//
// A quoted cell may hold line breaks, so a record may run over several
// lines. When such a record cannot be read (its quotes do not fit, it has
// another number of columns than the header, or it is over
// MaxRecordBytes), a quote was most likely never closed: the record ends
// at the end of its first line, which is the bad row, and reading goes on
// with the next line, so that no valid row after it is lost.
func (r *Reader) Next() (Row, error) {
	for r.err == nil {
		r.in.setLimits(r.MaxLineBytes, r.MaxRecordBytes)
		rec, err := r.csv.Read()
		if r.in.err != nil {
			r.err = r.in.err
			break
		}
		var pe *csv.ParseError
		switch {
		case r.in.long:
			return Row{}, r.cut(fmt.Sprintf("read on, the record would be longer than %s", size(r.in.maxRecord)))
		case err == io.EOF:
			r.in.takeRecord()
			r.err = io.EOF
		case errors.As(err, &pe) && r.in.spans():
			end := fmt.Sprintf("to line %d", r.base+pe.Line)
			if errors.Is(pe.Err, csv.ErrQuote) && r.in.atEOF() {
				end = "to the end of the file"
			}
			return Row{}, r.cut(fmt.Sprintf("read on %s, it is still not closed properly", end))
		case pe != nil:
			raw, _ := r.in.takeRecord()
			pe.StartLine += r.base
			pe.Line += r.base
			e := &RowError{Line: pe.StartLine, Reason: parseReason(pe), Record: []string{string(bytes.Trim(raw, "\r\n"))}}
			if len(rec) < len(r.header) {
				e.Column = strings.TrimSpace(r.header[len(rec)])
			}
			return Row{}, e
		case err != nil:
			r.in.takeRecord()
			r.err = fmt.Errorf("reading CSV: %w", err)
		case len(rec) != len(r.header) && r.in.spans():
			return Row{}, r.cut(fmt.Sprintf("read on to line %d, the record has %d columns; the header has %d", r.in.lastLine(), len(rec), len(r.header)))
		case blank(rec):
			r.in.takeRecord()
		default:
			r.in.takeRecord()
			line, _ := r.csv.FieldPos(0)
			return r.convert(r.base+line, rec)
		}
	}
	return Row{}, r.err
}

// cut rejects the first line of the record just read, which runs over
// several lines and cannot be read, for the reason why (what reading on
// gave), and reads on from the line after it.
func (r *Reader) cut(why string) *RowError {
	first, line := r.in.cut()
	e := &RowError{Line: line, Record: []string{string(bytes.TrimRight(first, "\r\n"))},
		Reason: fmt.Sprintf("a quoted field is not closed on its line (%s); the record ends at the end of its line", why)}
	// The line read alone says which column the quote opens.
	c := r.newCSV(bytes.NewReader(first))
	if rec, err := c.Read(); err != nil && len(rec) < len(r.header) {
		e.Column = strings.TrimSpace(r.header[len(rec)])
	}
	r.csv = r.newCSV(r.in)
	r.base = line
	return e
}

func blank(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func parseReason(pe *csv.ParseError) string {
	var what string
	switch {
	case errors.Is(pe.Err, csv.ErrBareQuote):
		what = `a quote (") in a field that does not start with one; quote the whole field and double the quotes inside ("")`
	case errors.Is(pe.Err, csv.ErrQuote):
		what = `a quoted field is not closed properly; a quote inside quotes must be doubled ("")`
	default:
		what = pe.Err.Error()
	}
	return fmt.Sprintf("%s (line %d, byte %d)", what, pe.Line, pe.Column)
}

func (r *Reader) convert(line int, rec []string) (Row, error) {
	if len(rec) != len(r.header) {
		return Row{}, &RowError{Line: line, Record: rec,
			Reason: fmt.Sprintf("has %d columns; the header has %d", len(rec), len(r.header))}
	}
	bad := func(col int, format string, args ...any) (Row, error) {
		return Row{}, &RowError{Line: line, Column: strings.TrimSpace(r.header[col]), Record: rec, Reason: fmt.Sprintf(format, args...)}
	}
	fields := make(map[string]string, len(r.fields)+len(r.attrs)+1)
	var initial map[string]string
	setInitial := func(target, v string) {
		if initial == nil {
			initial = make(map[string]string, len(r.plan.consts)+1)
		}
		initial[target] = v
	}
	for i := range r.fields {
		f := &r.fields[i]
		if f.col < 0 {
			if f.deflt != "" {
				setInitial(f.Target, f.deflt)
			}
			continue
		}
		cell := csvout.Unquote(rec[f.col])
		if reason := badText(cell); reason != "" {
			return bad(f.col, "%s", reason)
		}
		cell = strings.TrimSpace(cell)
		v, err := f.convert(cell, r.plan.loc)
		if err != nil {
			return bad(f.col, "%v", err)
		}
		if cell == "" && v != "" {
			setInitial(f.Target, v) // the default of an empty cell
		} else if v != "" {
			fields[f.Target] = v
		}
	}
	for _, a := range r.attrs {
		cell := csvout.Unquote(rec[a.col])
		if reason := badText(cell); reason != "" {
			return bad(a.col, "%s", reason)
		}
		if v := strings.TrimSpace(cell); v != "" {
			fields[a.target] = v
		}
	}
	for _, c := range r.plan.consts {
		if _, ok := fields[c.Target]; ok {
			continue
		}
		if c.Target == "source" {
			fields[c.Target] = c.Value
		} else {
			setInitial(c.Target, c.Value)
		}
	}
	return Row{Line: line, Fields: fields, Initial: initial, Record: rec}, nil
}

// badText says why a cell cannot be a value, or "".
func badText(s string) string {
	if utf8.ValidString(s) {
		return ""
	}
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			return fmt.Sprintf("is not valid UTF-8 (byte 0x%02x at byte %d); save the file as CSV UTF-8", s[i], i+1)
		}
		i += n
	}
	return "is not valid UTF-8"
}

// limitReader stands between the file and the CSV parser. It hands out at
// most one line per Read, so the parser never reads ahead of the line it
// is on: a line over the limit is caught before it is held in memory, the
// limits can change between records, and the bytes handed out so far are
// exactly the bytes parsed. It also keeps the raw text of the current
// record, for the reject file and for [limitReader.cut], and drops a UTF-8
// byte order mark.
type limitReader struct {
	src       *bufio.Reader
	maxLine   int64
	maxRecord int64

	// pending holds lines given back by cut, handed out again before
	// the rest of src.
	pending []byte

	total     int64 // bytes read from src, BOM included
	pos       int64 // bytes handed out, those handed out again included
	line      int   // line of the next byte
	lineLen   int64 // bytes of the current line so far, newline excluded
	lastNL    bool  // the last byte handed out ended a line
	recStart  int64 // pos when the current record began
	firstLine int   // first non-blank line of the current record, or 0
	raw       []byte
	long      bool  // the record runs over several lines and is over maxRecord
	eof       bool  // src is at its end
	err       error // sticky fatal error
	srcErr    error // a read error met by start
}

// errLong stops the parser in a record over the record limit that cut can
// end at its first line; [Reader.Next] checks limitReader.long.
var errLong = errors.New("csvimport: a record over the limit")

func newLimitReader(r io.Reader) *limitReader {
	size := 64 << 10
	if b, ok := r.(interface{ Len() int }); ok {
		// A record in memory (a form's post, a webhook's record, read as
		// a CSV of one row) needs no 64 KiB buffer: allocating and
		// clearing one cost a form post more than reading it. start
		// peeks 512 bytes.
		size = min(size, max(b.Len()+1, 512))
	}
	return &limitReader{src: bufio.NewReaderSize(r, size), line: 1}
}

func (l *limitReader) setLimits(line, record int64) {
	if line <= 0 {
		line = DefaultMaxLineBytes
	}
	if record <= 0 {
		record = DefaultMaxRecordBytes
	}
	l.maxLine, l.maxRecord = line, record
}

// start drops a byte order mark and returns the first bytes of the file,
// up to 512, so that NewReader can tell what kind of file it is. A read
// error is kept for when the bytes before it have been handed out.
func (l *limitReader) start() []byte {
	head, err := l.src.Peek(512)
	if err != nil && err != io.EOF {
		l.srcErr = err
	}
	if bytes.HasPrefix(head, []byte("\xef\xbb\xbf")) {
		l.src.Discard(3)
		l.total, l.pos, l.recStart = 3, 3, 3
		head = head[3:]
	}
	return head
}

// takeRecord returns the raw text of the record just parsed, valid until
// the next Read, and the line it starts on; then it starts the next one.
func (l *limitReader) takeRecord() (raw []byte, line int) {
	raw, line = l.raw, max(l.firstLine, 1)
	l.raw = l.raw[:0]
	l.recStart = l.pos
	l.firstLine = 0
	l.long = false
	return raw, line
}

// firstLineEnd returns where the first non-blank line of raw ends, after
// its newline.
func firstLineEnd(raw []byte) int {
	at := 0
	for at < len(raw) {
		end := len(raw)
		if i := bytes.IndexByte(raw[at:], '\n'); i >= 0 {
			end = at + i + 1
		}
		if len(bytes.TrimRight(raw[at:end], "\r\n")) > 0 {
			return end
		}
		at = end
	}
	return len(raw)
}

// spans reports whether the record just parsed runs over more than one
// (non-blank) line.
func (l *limitReader) spans() bool { return firstLineEnd(l.raw) < len(l.raw) }

// atEOF reports whether everything has been handed out.
func (l *limitReader) atEOF() bool { return l.eof && len(l.pending) == 0 }

// lastLine is the line of the last byte handed out.
func (l *limitReader) lastLine() int {
	if l.lastNL {
		return l.line - 1
	}
	return l.line
}

// cut ends the record just parsed at the end of its first non-blank line,
// which it returns with its line, and gives back the lines after it to be
// handed out again, as the start of the next record.
func (l *limitReader) cut() (first []byte, line int) {
	end := firstLineEnd(l.raw)
	line = max(l.firstLine, 1)
	first = bytes.Clone(l.raw[:end])
	l.pending = append(bytes.Clone(l.raw[end:]), l.pending...)
	l.pos -= int64(len(l.raw) - end)
	l.line, l.lineLen, l.lastNL = line+1, 0, true
	l.takeRecord()
	return first, line
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	if l.long {
		return 0, errLong
	}
	if len(p) == 0 {
		return 0, nil
	}
	var chunk []byte
	if len(l.pending) > 0 {
		chunk = l.pending[:min(len(p), len(l.pending))]
	} else {
		if l.src.Buffered() == 0 {
			if l.srcErr != nil {
				return 0, l.srcErr
			}
			if _, err := l.src.Peek(1); err != nil {
				l.eof = err == io.EOF
				return 0, err
			}
		}
		chunk, _ = l.src.Peek(min(len(p), l.src.Buffered()))
	}
	if i := bytes.IndexByte(chunk, '\n'); i >= 0 {
		chunk = chunk[:i+1]
	}
	text := bytes.TrimRight(chunk, "\r\n")
	if l.firstLine == 0 && len(text) > 0 {
		l.firstLine = l.line
	}
	if l.lineLen+int64(len(text)) > l.maxLine {
		l.err = tandem.Errorf(tandem.ETOOLARGE, "line %d is longer than %s; is this a CSV file?", l.line, size(l.maxLine))
		return 0, l.err
	}
	if l.pos+int64(len(chunk))-l.recStart > l.maxRecord {
		if l.firstLine > 0 && l.firstLine < l.line {
			// [Reader.Next] ends the record at its first line.
			l.long = true
			return 0, errLong
		}
		l.err = tandem.Errorf(tandem.ETOOLARGE, "line %d: a record starting here is longer than %s",
			max(l.firstLine, 1), size(l.maxRecord))
		return 0, l.err
	}
	n := copy(p, chunk)
	l.raw = append(l.raw, chunk...)
	if len(l.pending) > 0 {
		l.pending = l.pending[n:]
	} else {
		l.src.Discard(n)
		l.total += int64(n)
	}
	l.pos += int64(n)
	if l.firstLine == 0 {
		// Blank lines before a record, which the parser skips, are
		// not part of it.
		l.raw, l.recStart = l.raw[:0], l.pos
	}
	l.lastNL = chunk[n-1] == '\n'
	if l.lastNL {
		l.line++
		l.lineLen = 0
	} else {
		l.lineLen += int64(n)
	}
	return n, nil
}

func size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// Refused is the reject of a row the store refused with err: its line,
// the header column of the field err names (if any) and err's message.
func (r *Reader) Refused(row Row, err error) *RowError {
	column := ""
	if fe := tandem.ErrorFields(err); len(fe) > 0 {
		column = r.Column(fe[0].Field)
	}
	return &RowError{Line: row.Line, Column: column, Reason: tandem.ErrorMessage(err), Record: row.Record}
}
