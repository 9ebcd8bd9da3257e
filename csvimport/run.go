package csvimport

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/tandemhq/tandem"
)

// Result is what the store did with one row of a batch.
type Result struct {
	// Status is tandem.StatusCreated, StatusUpdated, StatusUnchanged or
	// StatusRejected.
	Status string
	// Err is why a rejected row was refused; an EINVALID error naming the
	// field gives the reject its column (see [Reader.Refused]).
	Err error
}

// Tally counts what an import did with the rows it has finished: each row
// read is counted once it is stored or rejected.
type Tally struct {
	Rows, Created, Updated, Unchanged, Rejected int
	// Duplicates counts the rejected rows whose key (source and external
	// id) an earlier row of the file has.
	Duplicates int
}

// MaxWholeRows bounds a file whose kind is read whole (see [ReadWhole]).
const MaxWholeRows = 100_000

// Import reads the rows of a file and stores them in batches. It is the one
// loop of `tandem import` and of the import page: they differ only in where
// rejects and progress go.
type Import struct {
	// Store writes a batch of rows and says what happened to each, in
	// order. An error stops the import; the batches before it stay stored.
	Store func(ctx context.Context, rows []Row) ([]Result, error)
	// Batch is the most rows per call of Store. A kind that is read whole
	// (see [ReadWhole]) is stored in one call, whatever Batch says.
	Batch int
	// Reject, if set, takes every rejected row, in the order they are
	// known: a row the reader refuses at once, a row the store refuses
	// when its batch is stored. An error stops the import.
	Reject func(*RowError) error
	// Progress, if set, is called after every batch with the tally so far
	// and the bytes of the file read.
	Progress func(t Tally, bytes int64)
}

// ReadError is a fatal error reading the file, which stopped an import:
// [Import.Run] stored the rows read before it, unless the kind is read
// whole, in which case nothing was stored.
type ReadError struct{ Err error }

func (e *ReadError) Error() string { return e.Err.Error() }
func (e *ReadError) Unwrap() error { return e.Err }

// Run reads r to the end, storing its rows in batches, and returns what it
// did. A row of leads or deals whose key (source and external id) an
// earlier row of the file has is a duplicate: the first row of a key is
// the one stored (or refused on its own), and every later one is rejected
// naming the line of the first, so that two rows are never silently merged. It stops at the first error that is not a bad row: a fatal read
// error (a *[ReadError]), an error of Store or Reject, or ctx's end, which
// stops it before the next batch. The tally then counts what was finished
// before the error, which stays stored.
func (im *Import) Run(ctx context.Context, r *Reader) (Tally, error) {
	var t Tally
	batch := im.Batch
	whole := r.plan != nil && r.plan.kind.whole
	if whole {
		batch = math.MaxInt
	}
	if batch < 1 {
		return t, fmt.Errorf("csvimport: a batch of %d rows", batch)
	}
	reject := func(e *RowError) error {
		t.Rejected++
		if im.Reject == nil {
			return nil
		}
		return im.Reject(e)
	}
	var seen keys
	var rows []Row
	flush := func() error {
		if len(rows) == 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		results, err := im.Store(ctx, rows)
		if err != nil {
			return err
		}
		if len(results) != len(rows) {
			return fmt.Errorf("csvimport: the store said what happened to %d rows of %d", len(results), len(rows))
		}
		t.Rows += len(rows)
		for i, res := range results {
			switch res.Status {
			case tandem.StatusCreated:
				t.Created++
			case tandem.StatusUpdated:
				t.Updated++
			case tandem.StatusUnchanged:
				t.Unchanged++
			default:
				if err := reject(r.Refused(rows[i], res.Err)); err != nil {
					return err
				}
			}
		}
		rows = rows[:0]
		if im.Progress != nil {
			im.Progress(t, r.BytesRead())
		}
		return nil
	}
	for {
		if err := ctx.Err(); err != nil {
			return t, err
		}
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		var re *RowError
		if errors.As(err, &re) {
			t.Rows++
			if err := reject(re); err != nil {
				return t, err
			}
			continue
		} else if err != nil {
			if whole {
				// A file resolved as a whole is stored whole, or not at all.
				return t, &ReadError{err}
			}
			if err := flush(); err != nil {
				return t, err
			}
			return t, &ReadError{err}
		}
		if dup := seen.check(r, row); dup != nil {
			t.Rows++
			t.Duplicates++
			if err := reject(dup); err != nil {
				return t, err
			}
			continue
		}
		if whole && len(rows) >= MaxWholeRows {
			return t, &ReadError{tandem.Errorf(tandem.ETOOLARGE, "more than %d rows: a file of %ss is read whole; split it", MaxWholeRows, r.plan.kind.noun)}
		}
		rows = append(rows, row)
		if len(rows) >= batch {
			if err := flush(); err != nil {
				return t, err
			}
		}
	}
	return t, flush()
}

// keys remembers the key of every row of a file, by a digest, with the
// line of its first row: about 40 bytes a row.
type keys map[[16]byte]int

// check returns the reject of row if an earlier row had its key, and
// otherwise remembers it.
func (k *keys) check(r *Reader, row Row) *RowError {
	if r.plan == nil || r.plan.kind.key == nil {
		return nil
	}
	source, id := r.plan.kind.key(row)
	if id == "" {
		return nil
	}
	h := sha256.New()
	h.Write([]byte(source))
	h.Write([]byte{0})
	h.Write([]byte(id))
	var d [16]byte
	copy(d[:], h.Sum(nil))
	if *k == nil {
		*k = keys{}
	}
	first, dup := (*k)[d]
	if !dup {
		(*k)[d] = row.Line
		return nil
	}
	column := r.Column("external_id")
	if column == "" {
		column = r.Column(tandem.DealFieldLeadExternalID) // a deal's id defaults to its lead's
	}
	return &RowError{Line: row.Line, Column: column, Record: row.Record,
		Reason: fmt.Sprintf("a duplicate: line %d has the same source and external_id (%q, %q); the first row of a key is the one imported, and this one is not", first, source, id)}
}
