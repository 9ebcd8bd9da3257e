package csvimport

import (
	"encoding/csv"
	"io"
	"strconv"
)

// RejectWriter writes bad rows to a CSV file that a person can fix and
// import again: the line, the column and the reason, then the row's
// original columns under the original header.
type RejectWriter struct {
	w       *csv.Writer
	header  []string
	started bool
}

// NewRejectWriter returns a RejectWriter for a file whose header is header
// (see [Reader.Header]).
func NewRejectWriter(w io.Writer, header []string) *RejectWriter {
	return &RejectWriter{w: csv.NewWriter(w), header: header}
}

func (w *RejectWriter) start() error {
	if w.started {
		return nil
	}
	w.started = true
	return w.w.Write(append([]string{"line", "column", "reason"}, w.header...))
}

// Write adds one bad row. The header goes first, with the first row.
func (w *RejectWriter) Write(e *RowError) error {
	if err := w.start(); err != nil {
		return err
	}
	return w.w.Write(append([]string{strconv.Itoa(e.Line), e.Column, e.Reason}, e.Record...))
}

// Flush writes what is buffered, and the header if no row was written, so
// that a file with no rejects still says what it would hold.
func (w *RejectWriter) Flush() error {
	if err := w.start(); err != nil {
		return err
	}
	w.w.Flush()
	return w.w.Error()
}
