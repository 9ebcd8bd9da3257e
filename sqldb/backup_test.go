package sqldb_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestBackupWhileWriting backs up a SQLite database while another
// goroutine writes leads through the store without pause: the copy opens,
// its ledger verifies clean, and it holds a prefix of the writes: every
// batch acknowledged before the backup began, and no batch without all
// those written before it.
func TestBackupWhileWriting(t *testing.T) {
	ctx := context.Background()
	b := sqldbtest.Backends(t)[0]
	db, _ := openB(t, b)
	signDefault(t, db, string(agreement.Default()))
	const batch = 10
	var acked atomic.Int64 // batches committed
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var writeErr atomic.Pointer[error]
	wg.Add(1)
	go func() {
		defer wg.Done()
		for n := 0; ; n++ {
			select {
			case <-stop:
				return
			default:
			}
			in := make([]tandem.LeadInput, batch)
			for i := range in {
				in[i] = input("external_id", fmt.Sprintf("w%06d", n*batch+i), "email", fmt.Sprintf("w%d@example.com", n*batch+i),
					"origin", "email", "score", "60")
			}
			res, err := db.IntakeLeads(ctx, in, sqldb.IntakeOptions{DefaultSource: "web", Actor: "test"})
			if err == nil && res[batch-1].Err != nil {
				err = res[batch-1].Err
			}
			if err != nil {
				writeErr.Store(&err)
				return
			}
			acked.Add(1)
		}
	}()
	for acked.Load() < 20 && writeErr.Load() == nil {
		time.Sleep(time.Millisecond)
	}
	before := acked.Load()
	copyPath := filepath.Join(t.TempDir(), "copy.db")
	info, err := db.Backup(ctx, copyPath, false)
	after := acked.Load()
	for acked.Load() < after+5 && writeErr.Load() == nil { // the writer goes on
		time.Sleep(time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if err := writeErr.Load(); err != nil {
		t.Fatalf("the writer: %v", *err)
	}
	if err != nil {
		t.Fatalf("Backup: %v", err)
	}
	t.Logf("acknowledged %d batches before the backup, %d when it ended; the copy holds %d leads", before, after, info.Leads)

	cp, err := sqldb.Open(ctx, copyPath, sqldb.Options{Clock: clock.NewFake(epoch)})
	if err != nil {
		t.Fatalf("open the copy: %v", err)
	}
	defer cp.Close()
	verify(t, "copy", cp)
	var leads []tandem.Lead
	for after := int64(0); ; {
		page, err := cp.Leads(ctx, tandem.LeadFilter{After: after, Limit: 1000})
		if err != nil {
			t.Fatalf("Leads: %v", err)
		}
		if len(page.Leads) == 0 {
			break
		}
		leads = append(leads, page.Leads...)
		after = page.Leads[len(page.Leads)-1].ID
	}
	n := int64(len(leads))
	if n != info.Leads || n%batch != 0 || n < before*batch || n > (after+1)*batch {
		t.Errorf("the copy holds %d leads (Backup said %d); want whole batches of %d, at least the %d acknowledged before and at most %d",
			n, info.Leads, batch, before*batch, (after+1)*batch)
	}
	for i, l := range leads {
		if want := fmt.Sprintf("w%06d", i); l.ExternalID != want {
			t.Fatalf("lead %d of the copy is %s; want %s (a prefix of the writes)", i+1, l.ExternalID, want)
		}
	}
}

// TestBackupRefuses checks that a backup does not replace a file unless
// asked, and that PostgreSQL is pointed to pg_dump.
func TestBackupRefuses(t *testing.T) {
	ctx := context.Background()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		db, _ := openB(t, b)
		path := filepath.Join(t.TempDir(), "copy.db")
		if err := os.WriteFile(path, []byte("keep me"), 0o644); err != nil {
			t.Fatalf("os.WriteFile: %v", err)
		}
		_, err := db.Backup(ctx, path, false)
		if b.Name == "postgres" {
			if tandem.ErrorCode(err) != tandem.EINVALID || !strings.Contains(err.Error(), "pg_dump --format=custom") {
				t.Errorf("Backup on PostgreSQL = %v; want %s naming pg_dump", err, tandem.EINVALID)
			}
			return
		}
		if tandem.ErrorCode(err) != tandem.ECONFLICT {
			t.Errorf("Backup over a file = %v; want %s", err, tandem.ECONFLICT)
		}
		if got, _ := os.ReadFile(path); string(got) != "keep me" {
			t.Errorf("after a refused backup the file holds %q; want it unchanged", got)
		}
		if _, err := db.Backup(ctx, path, true); err != nil {
			t.Fatalf("Backup(overwrite) = %v", err)
		}
		cp, err := sqldb.Open(ctx, path, sqldb.Options{Clock: clock.NewFake(epoch)})
		if err != nil {
			t.Fatalf("open the copy: %v", err)
		}
		cp.Close()
		entries, _ := os.ReadDir(filepath.Dir(path))
		if len(entries) != 1 {
			t.Errorf("the folder holds %d files after the backup; want only the copy (no partial file left)", len(entries))
		}
	})
}
