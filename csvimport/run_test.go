package csvimport_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/csvimport"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// The driver's tests store into a real database, through the store both
// `tandem import` and the import page use.

func openDB(t *testing.T, b sqldbtest.Backend) *sqldb.DB {
	t.Helper()
	db, err := sqldb.Open(context.Background(), b.DSN, sqldb.Options{Clock: clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))})
	if err != nil {
		t.Fatalf("sqldb.Open(%s): %v", b.Name, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func reader(t *testing.T, mapping, file string) *csvimport.Reader {
	t.Helper()
	m, err := csvimport.ParseMapping("mapping.yaml", []byte(mapping))
	if err != nil {
		t.Fatalf("csvimport.ParseMapping: %v", err)
	}
	r, err := csvimport.NewReader(strings.NewReader(file), m)
	if err != nil {
		t.Fatalf("csvimport.NewReader: %v", err)
	}
	return r
}

func store(db *sqldb.DB, kind string) func(context.Context, []csvimport.Row) ([]csvimport.Result, error) {
	return func(ctx context.Context, rows []csvimport.Row) ([]csvimport.Result, error) {
		return db.Import(ctx, kind, rows, sqldb.ImportOptions{File: "test.csv"})
	}
}

func countLeads(t *testing.T, db *sqldb.DB) int {
	t.Helper()
	page, err := db.Leads(context.Background(), tandem.LeadFilter{Limit: 1})
	if err != nil {
		t.Fatalf("Leads: %v", err)
	}
	return page.Total
}

const leadsMapping = "kind: leads\nsource: sheet\nfields:\n  external_id: id\n  email: email\n  created_at: {column: created, optional: true, formats: [\"2006-01-02\"]}\n"

// reject is a reject as the test compares it.
type reject struct {
	Line   int
	Column string
}

// TestImportRun imports a file in batches of two: the tally, the rejects
// (the reader's and the store's, with their lines and columns) and one
// progress call per batch. Run again, every stored row is unchanged.
func TestImportRun(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		db := openDB(t, b)
		file := "id,email,created\n" +
			"1,a@example.com,2026-03-01\n" +
			"2,b@example.com,yesterday\n" + // the reader refuses it: line 3
			"3,not-an-email,\n" + // the store refuses it: line 4
			"4,d@example.com,\n" +
			"5,e@example.com,\n"
		run := func() (csvimport.Tally, []reject, []csvimport.Tally) {
			var rejects []reject
			var progress []csvimport.Tally
			im := csvimport.Import{
				Store: store(db, "leads"),
				Batch: 2,
				Reject: func(e *csvimport.RowError) error {
					rejects = append(rejects, reject{e.Line, e.Column})
					return nil
				},
				Progress: func(got csvimport.Tally, bytes int64) {
					if bytes <= 0 || bytes > int64(len(file)) {
						t.Errorf("progress at byte %d of %d", bytes, len(file))
					}
					progress = append(progress, got)
				},
			}
			got, err := im.Run(context.Background(), reader(t, leadsMapping, file))
			if err != nil {
				t.Fatalf("Run = %v", err)
			}
			return got, rejects, progress
		}
		tally, rejects, progress := run()
		if diff := cmp.Diff(csvimport.Tally{Rows: 5, Created: 3, Rejected: 2}, tally); diff != "" {
			t.Errorf("first run: tally (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]reject{{3, "created"}, {4, "email"}}, rejects); diff != "" {
			t.Errorf("first run: rejects (-want +got):\n%s", diff)
		}
		// Batches: rows 1 and 3 (row 2 refused on reading), rows 4 and 5.
		wantProgress := []csvimport.Tally{{Rows: 3, Created: 1, Rejected: 2}, {Rows: 5, Created: 3, Rejected: 2}}
		if diff := cmp.Diff(wantProgress, progress); diff != "" {
			t.Errorf("first run: progress (-want +got):\n%s", diff)
		}
		if n := countLeads(t, db); n != 3 {
			t.Errorf("%d leads after the first run; want 3", n)
		}
		tally, _, _ = run()
		if diff := cmp.Diff(csvimport.Tally{Rows: 5, Unchanged: 3, Rejected: 2}, tally); diff != "" {
			t.Errorf("second run: tally (-want +got):\n%s", diff)
		}
		if _, err := db.Import(context.Background(), "planets", nil, sqldb.ImportOptions{}); tandem.ErrorCode(err) != tandem.EINVALID {
			t.Errorf("Import(planets) = %v; want EINVALID", err)
		}
	})
}

// checkKept checks the tally of a run that stopped, and that the leads it
// created are stored.
func checkKept(t *testing.T, db *sqldb.DB, got, want csvimport.Tally) {
	t.Helper()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tally of the stopped run (-want +got):\n%s", diff)
	}
	if n := countLeads(t, db); n != want.Created {
		t.Errorf("%d leads after the stopped run; want the %d it created", n, want.Created)
	}
}

// TestImportRunCancel cancels an import after its second batch: the two
// batches stay stored and the tally says so; the rest is not stored.
func TestImportRunCancel(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		db := openDB(t, b)
		var file strings.Builder
		file.WriteString("id,email\n")
		for i := range 10 {
			fmt.Fprintf(&file, "%d,lead%d@example.com\n", i, i)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		batches := 0
		im := csvimport.Import{
			Store: store(db, "leads"),
			Batch: 3,
			Progress: func(csvimport.Tally, int64) {
				if batches++; batches == 2 {
					cancel()
				}
			},
		}
		tally, err := im.Run(ctx, reader(t, leadsMapping, file.String()))
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run cancelled = %v; want context.Canceled", err)
		}
		checkKept(t, db, tally, csvimport.Tally{Rows: 6, Created: 6})
	})
}

// TestImportRunReadError stops at a line over the reader's limit: the
// batch before it is stored, and the error says it is the file's.
func TestImportRunReadError(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		db := openDB(t, b)
		file := "id,email\n1,a@example.com\n2,b@example.com\n3," + strings.Repeat("x", 2<<20) + "\n4,d@example.com\n"
		im := csvimport.Import{Store: store(db, "leads"), Batch: 1000}
		tally, err := im.Run(context.Background(), reader(t, leadsMapping, file))
		var re *csvimport.ReadError
		if !errors.As(err, &re) || tandem.ErrorCode(err) != tandem.ETOOLARGE || !strings.Contains(err.Error(), "line 4") {
			t.Errorf("Run = %v; want a ReadError ETOOLARGE naming line 4", err)
		}
		checkKept(t, db, tally, csvimport.Tally{Rows: 2, Created: 2})
	})
}

// TestImportRunWhole imports users, whose file is one batch whatever the
// batch size says: a manager after their reps is found.
func TestImportRunWhole(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		db := openDB(t, b)
		mapping := "kind: users\nfields:\n  email: email\n  role: role\n  manager: {column: manager, optional: true}\n"
		file := "email,role,manager\nrex@example.com,sales_rep,max@example.com\nmax@example.com,sales_manager,\nbad,sales_rep,\n"
		calls := 0
		im := csvimport.Import{Store: store(db, "users"), Batch: 1, Progress: func(csvimport.Tally, int64) { calls++ }}
		tally, err := im.Run(context.Background(), reader(t, mapping, file))
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		if diff := cmp.Diff(csvimport.Tally{Rows: 3, Created: 2, Rejected: 1}, tally); diff != "" {
			t.Errorf("tally (-want +got):\n%s", diff)
		}
		if calls != 1 {
			t.Errorf("%d batches; want the whole file in one", calls)
		}
		rex, err := db.UserByEmail(context.Background(), "rex@example.com")
		max, _ := db.UserByEmail(context.Background(), "max@example.com")
		if err != nil || rex.ManagerID == 0 || rex.ManagerID != max.ID {
			t.Errorf("rex = %+v, %v; want managed by max (%d)", rex, err, max.ID)
		}
	})
}

// TestImportRunBadStore checks the driver against a store that breaks its
// contract (too few results): an error, not a panic.
func TestImportRunBadStore(t *testing.T) {
	im := csvimport.Import{
		Store: func(context.Context, []csvimport.Row) ([]csvimport.Result, error) { return nil, nil },
		Batch: 10,
	}
	if _, err := im.Run(context.Background(), reader(t, leadsMapping, "id,email\n1,a@example.com\n")); err == nil {
		t.Errorf("Run with a store that reports no result = nil; want an error")
	}
	im.Batch = 0
	if _, err := im.Run(context.Background(), reader(t, leadsMapping, "id,email\n1,a@example.com\n")); err == nil {
		t.Errorf("Run with a batch of 0 = nil; want an error")
	}
}

// importFile imports a file of leads through mapping into db with the
// driver and the store `tandem import` uses, rejects written as the rejects
// file is; it returns the tally, the leads' external ids and the rejects
// file read back as (line, column, reason, first original cell).
func importFile(t *testing.T, db *sqldb.DB, mapping, file string) (csvimport.Tally, []string, [][]string) {
	t.Helper()
	var out bytes.Buffer
	r := reader(t, mapping, file)
	rw := csvimport.NewRejectWriter(&out, r.Header())
	im := csvimport.Import{Store: store(db, "leads"), Batch: 2, Reject: rw.Write}
	tally, err := im.Run(context.Background(), r)
	if err != nil {
		t.Fatalf("Run = %v", err)
	}
	if err := rw.Flush(); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	page, err := db.Leads(context.Background(), tandem.LeadFilter{})
	if err != nil {
		t.Fatalf("Leads: %v", err)
	}
	var ids []string
	for _, l := range page.Leads {
		ids = append(ids, l.ExternalID)
	}
	slices.Sort(ids)
	cr := csv.NewReader(&out)
	cr.FieldsPerRecord = -1 // an unreadable record is one cell of raw text
	recs, err := cr.ReadAll()
	if err != nil {
		t.Fatalf("the rejects file does not read back as CSV: %v\n%s", err, out.String())
	}
	var rejects [][]string
	for _, rec := range recs[1:] {
		rejects = append(rejects, rec[:4])
	}
	return tally, ids, rejects
}

// TestImportUnclosedQuote imports the two files where a quote is opened
// and never closed. Each unreadable record is rejected by its own line, with
// its own text, and every valid row after it is imported: before, the first
// file lost its 5 rows after the quote into one reject, the second its 1.
func TestImportUnclosedQuote(t *testing.T) {
	mapping, err := os.ReadFile("testdata/unclosed_quote.yaml")
	if err != nil {
		t.Fatalf("os.ReadFile: %v", err)
	}
	const notClosed = "a quoted field is not closed on its line (read on %s, it is still not closed properly); the record ends at the end of its line"
	tests := []struct {
		file    string
		tally   csvimport.Tally
		ids     []string
		rejects [][]string
	}{{
		file:  "testdata/unclosed_quote_5.csv",
		tally: csvimport.Tally{Rows: 7, Created: 6, Rejected: 1},
		ids:   []string{"1", "3", "4", "5", "6", "7"},
		rejects: [][]string{
			{"3", "company", fmt.Sprintf(notClosed, "to the end of the file"), `2,bo@example.com,"Bolt, Inc,2024-03-02`},
		},
	}, {
		file:  "testdata/unclosed_quote_1.csv",
		tally: csvimport.Tally{Rows: 5, Created: 3, Rejected: 2},
		ids:   []string{"1", "3", "5"},
		rejects: [][]string{
			{"3", "company", fmt.Sprintf(notClosed, "to line 5"), `2,bo@example.com,"Bolt, Inc,2024-03-02`},
			{"5", "company", `a quoted field is not closed properly; a quote inside quotes must be doubled ("") (line 5, byte 22)`, `4,di@example.com,"Dot" Labs,2024-03-04`},
		},
	}}
	for _, tt := range tests {
		data, err := os.ReadFile(tt.file)
		if err != nil {
			t.Fatalf("os.ReadFile: %v", err)
		}
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
				t.Parallel()
				tally, ids, rejects := importFile(t, openDB(t, b), string(mapping), string(data))
				if diff := cmp.Diff(tt.tally, tally); diff != "" {
					t.Errorf("%s: tally (-want +got):\n%s", tt.file, diff)
				}
				if diff := cmp.Diff(tt.ids, ids); diff != "" {
					t.Errorf("%s: imported leads (-want +got):\n%s", tt.file, diff)
				}
				if diff := cmp.Diff(tt.rejects, rejects); diff != "" {
					t.Errorf("%s: rejects (-want +got):\n%s", tt.file, diff)
				}
			})
		})
	}
}

// TestImportDuplicates imports a file where external ids come twice: the
// first row of each key is imported, each later one is rejected naming the
// line of the first, and the tally counts them.
func TestImportDuplicates(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		db := openDB(t, b)
		mapping := "kind: leads\nsource: sheet\nfields:\n  external_id: id\n  email: email\n  source: {column: src, optional: true}\n"
		file := "id,email,src\n" +
			"1,a@example.com,\n" +
			"2,b@example.com,\n" +
			"1,a2@example.com,\n" + // line 4: the key of line 2
			"1,a3@example.com,other\n" + // another source: another lead
			",n@example.com,\n" + // no external id: no key
			",n@example.com,\n" +
			"2,b@example.com,sheet\n" // line 8: the key of line 3, the source given
		tally, _, rejects := importFile(t, db, mapping, file)
		if diff := cmp.Diff(csvimport.Tally{Rows: 7, Created: 5, Rejected: 2, Duplicates: 2}, tally); diff != "" {
			t.Errorf("tally (-want +got):\n%s", diff)
		}
		want := [][]string{
			{"4", "id", `a duplicate: line 2 has the same source and external_id ("sheet", "1"); the first row of a key is the one imported, and this one is not`, "1"},
			{"8", "id", `a duplicate: line 3 has the same source and external_id ("sheet", "2"); the first row of a key is the one imported, and this one is not`, "2"},
		}
		if diff := cmp.Diff(want, rejects); diff != "" {
			t.Errorf("rejects (-want +got):\n%s", diff)
		}
		page, err := db.Leads(context.Background(), tandem.LeadFilter{})
		if err != nil {
			t.Fatalf("Leads: %v", err)
		}
		for _, l := range page.Leads {
			if l.Source == "sheet" && l.ExternalID == "1" && l.Email != "a@example.com" {
				t.Errorf("lead sheet/1 has email %q; want the first row's, a@example.com", l.Email)
			}
		}
	})
}
