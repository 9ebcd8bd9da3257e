package csvimport_test

import (
	"context"
	"errors"
	"fmt"
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
		t.Fatal(err)
	}
	r, err := csvimport.NewReader(strings.NewReader(file), m)
	if err != nil {
		t.Fatal(err)
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
		t.Fatal(err)
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
			t.Fatal(err)
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
