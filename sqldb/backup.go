package sqldb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tandemhq/tandem"
)

// PgDumpAdvice says how to back up and restore a PostgreSQL database,
// which [DB.Backup] does not copy.
const PgDumpAdvice = `PostgreSQL is backed up with its own tools: pg_dump --format=custom --file=tandem.dump "$TANDEM_DB", ` +
	`and restored into an empty database with pg_restore --no-owner --dbname="$TANDEM_DB" tandem.dump ` +
	`(pg_dump refuses a search_path in the URL: take it out and add --schema=NAME)`

// BackupInfo describes a copy [DB.Backup] wrote.
type BackupInfo struct {
	Bytes  int64 // the copy's size
	Schema int64 // the last migration it holds
	Leads  int64 // rows of leads and events in it
	Events int64
}

// Backup writes a consistent copy of the SQLite database to path with
// SQLite's VACUUM INTO, from one snapshot, while other connections go on
// writing (WAL lets a reader run beside the writer), then checks that the
// copy opens and passes SQLite's integrity check before giving it its
// name: a failed backup leaves no file at path. It refuses a path that
// exists unless overwrite, with ECONFLICT, and a PostgreSQL database with
// EINVALID (see PgDumpAdvice).
func (db *DB) Backup(ctx context.Context, path string, overwrite bool) (info BackupInfo, err error) {
	defer wrap(&err, "back up to %s", path)
	if db.d.name() != "sqlite" {
		return info, tandem.Errorf(tandem.EINVALID, "tandem backup copies a SQLite database. %s", PgDumpAdvice)
	}
	if !overwrite {
		if _, err := os.Stat(path); err == nil {
			return info, tandem.Errorf(tandem.ECONFLICT, "%s exists: choose a new file, or pass --force to replace it", path)
		}
	}
	// VACUUM INTO writes only a file that does not exist: a new name
	// beside path, renamed once checked.
	suffix := make([]byte, 6)
	rand.Read(suffix)
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".partial-"+hex.EncodeToString(suffix))
	defer os.Remove(tmp)
	// The reader pool is query_only, which refuses VACUUM even INTO
	// another file: a connection of its own, to the file the pool reads.
	var file string
	if err := db.read.QueryRowContext(ctx, `SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&file); err != nil {
		return info, err
	}
	src, err := sql.Open("sqlite", file+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return info, err
	}
	_, err = src.ExecContext(ctx, `VACUUM INTO $1`, tmp)
	src.Close()
	if err != nil {
		return info, err
	}
	if info, err = checkCopy(ctx, tmp); err != nil {
		return info, fmt.Errorf("the copy does not check: %w", err)
	}
	if overwrite {
		return info, os.Rename(tmp, path)
	}
	// A link does not replace a file that appeared meanwhile.
	if err := os.Link(tmp, path); errors.Is(err, os.ErrExist) {
		return info, tandem.Errorf(tandem.ECONFLICT, "%s exists: choose a new file, or pass --force to replace it", path)
	} else if err != nil {
		return info, err
	}
	return info, nil
}

// checkCopy opens a copy, runs SQLite's integrity check on it, reads its
// schema and counts, and syncs it to disk.
func checkCopy(ctx context.Context, path string) (info BackupInfo, err error) {
	c, err := sql.Open("sqlite", path+"?_pragma=query_only(1)")
	if err != nil {
		return info, err
	}
	defer c.Close()
	var ok string
	if err := c.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&ok); err != nil {
		return info, err
	}
	if ok != "ok" {
		return info, fmt.Errorf("integrity check: %s", ok)
	}
	err = c.QueryRowContext(ctx, `SELECT (SELECT coalesce(max(version_id), 0) FROM goose_db_version),
		(SELECT count(*) FROM leads), (SELECT count(*) FROM events)`).Scan(&info.Schema, &info.Leads, &info.Events)
	if err != nil {
		return info, err
	}
	f, err := os.Open(path)
	if err != nil {
		return info, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return info, err
	}
	info.Bytes = st.Size()
	return info, f.Sync()
}
