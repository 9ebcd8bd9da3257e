// Package csvout writes the CSV files Tandem hands out (the scorecard, the
// campaign and SLA reports, the rejects file of an import) so that they are
// safe to open in a spreadsheet.
//
// A spreadsheet runs a cell that starts with =, +, -, @, a tab or a
// carriage return as a formula, and a formula can fetch data or run
// commands ("CSV injection"). Campaign codes, sources, origins, names and
// the cells of an imported file come from people outside the team, so
// every CSV Tandem writes goes through one [Writer], which neutralises such
// a text cell the way OWASP recommends: it puts a single quote before it,
// which a spreadsheet shows as text and does not run.
//
// Numbers are written through [Number], not [Text]: a figure such as
// -0.22 must stay a number in a spreadsheet, and a plain decimal number
// cannot be a formula. Number writes its text as it is only when it is a
// plain decimal number (an optional minus, digits, an optional fraction);
// anything else is neutralised as text, so no caller can pass text past
// the rule by calling it a number.
//
// [Unquote] undoes the neutralisation for the import, so that a rejects
// file fixed in a spreadsheet and imported again gives the values it was
// written from.
package csvout

import (
	"encoding/csv"
	"io"
	"strings"
)

// Cell is one cell of a record: text or a number.
type Cell struct {
	s      string
	number bool
}

// Text is a cell of text. It is neutralised if it starts with a formula
// character.
func Text(s string) Cell { return Cell{s: s} }

// Number is a cell holding a number written by strconv, such as "12",
// "-0.2204" or "" for none. It is written as it is when it is a plain
// decimal number, and as [Text] otherwise.
func Number(s string) Cell { return Cell{s: s, number: true} }

// Texts makes a cell of text of each string.
func Texts(ss ...string) []Cell {
	cells := make([]Cell, len(ss))
	for i, s := range ss {
		cells[i] = Text(s)
	}
	return cells
}

// String returns the cell as it is written.
func (c Cell) String() string {
	if c.number && plainNumber(c.s) {
		return c.s
	}
	return Neutral(c.s)
}

// formulaStart holds the characters that make a spreadsheet read a cell
// as a formula (OWASP, "CSV Injection").
const formulaStart = "=+-@\t\r"

// Neutral returns s as a text cell is written: with a single quote before
// it if it starts with =, +, -, @, a tab or a carriage return.
func Neutral(s string) string {
	if s != "" && strings.IndexByte(formulaStart, s[0]) >= 0 {
		return "'" + s
	}
	return s
}

// Unquote undoes [Neutral]: a cell that starts with a single quote and
// then a formula character loses the quote. The import calls it on every
// cell, so a rejects file imported again reads as the file it came from.
func Unquote(s string) string {
	if len(s) >= 2 && s[0] == '\'' && strings.IndexByte(formulaStart, s[1]) >= 0 {
		return s[1:]
	}
	return s
}

// plainNumber reports whether s is an optional minus, digits, and an
// optional dot and digits: a number no spreadsheet reads as a formula.
func plainNumber(s string) bool {
	s = strings.TrimPrefix(s, "-")
	whole, frac, dot := strings.Cut(s, ".")
	return digits(whole) && (!dot || digits(frac))
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Writer writes CSV records of cells, with encoding/csv's quoting.
type Writer struct {
	w   *csv.Writer
	rec []string
}

// NewWriter returns a Writer to w. Call [Writer.Flush] at the end.
func NewWriter(w io.Writer) *Writer { return &Writer{w: csv.NewWriter(w)} }

// Write writes one record.
func (w *Writer) Write(cells ...Cell) error {
	w.rec = w.rec[:0]
	for _, c := range cells {
		w.rec = append(w.rec, c.String())
	}
	return w.w.Write(w.rec)
}

// WriteText writes one record of text cells, such as a header.
func (w *Writer) WriteText(record ...string) error {
	w.rec = w.rec[:0]
	for _, s := range record {
		w.rec = append(w.rec, Neutral(s))
	}
	return w.w.Write(w.rec)
}

// Flush writes what is buffered and returns the first error of any write.
func (w *Writer) Flush() error {
	w.w.Flush()
	return w.w.Error()
}
