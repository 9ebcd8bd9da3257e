package csvimport

import (
	"io"
	"strconv"

	"github.com/tandemhq/tandem/csvout"
)

// RejectWriter writes bad rows to a CSV file that a person can fix and
// import again: the line, the column and the reason, then the row's
// original columns under the original header. It writes through
// [csvout.Writer], so a cell that a spreadsheet would run as a formula
// gets a single quote before it; the reader drops that quote again (see
// [csvout.Unquote]), so the fixed file imports the values it came from.
type RejectWriter struct {
	w       *csvout.Writer
	header  []string
	started bool
}

// NewRejectWriter returns a RejectWriter for a file whose header is header
// (see [Reader.Header]).
func NewRejectWriter(w io.Writer, header []string) *RejectWriter {
	return &RejectWriter{w: csvout.NewWriter(w), header: header}
}

func (w *RejectWriter) start() error {
	if w.started {
		return nil
	}
	w.started = true
	return w.w.WriteText(append([]string{"line", "column", "reason"}, w.header...)...)
}

// Write adds one bad row. The header goes first, with the first row.
func (w *RejectWriter) Write(e *RowError) error {
	if err := w.start(); err != nil {
		return err
	}
	cells := append([]csvout.Cell{csvout.Number(strconv.Itoa(e.Line)), csvout.Text(e.Column), csvout.Text(e.Reason)}, csvout.Texts(e.Record...)...)
	return w.w.Write(cells...)
}

// Flush writes what is buffered, and the header if no row was written, so
// that a file with no rejects still says what it would hold.
func (w *RejectWriter) Flush() error {
	if err := w.start(); err != nil {
		return err
	}
	return w.w.Flush()
}
