package sqldb

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tandemhq/tandem"
)

// maxDumpLine bounds one line of a dump: an agreement's text or a frozen
// scorecard is the longest row.
const maxDumpLine = 64 << 20

// loadBatch is how many rows Load sends to the database at once.
const loadBatch = 1000

// ReadManifest reads and checks the manifest of the dump in dir: its
// format and version, and that it lists each table a dump holds once. It
// returns EINVALID naming what is wrong, and ENOTFOUND when dir holds no
// manifest (an export that did not finish, or not a dump at all).
func ReadManifest(dir string) (m Manifest, err error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if errors.Is(err, os.ErrNotExist) {
		return m, tandem.Errorf(tandem.ENOTFOUND, "%s has no %s: not a complete export (tandem export writes it last)", dir, ManifestFile)
	} else if err != nil {
		return m, err
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&m); err != nil {
		return m, tandem.Errorf(tandem.EINVALID, "%s: %v", ManifestFile, err)
	}
	if m.Format != DumpFormat || m.Version != DumpVersion {
		return m, tandem.Errorf(tandem.EINVALID, "%s: format %q version %d; this tandem reads %q version %d",
			ManifestFile, m.Format, m.Version, DumpFormat, DumpVersion)
	}
	var names []string
	for _, c := range m.Tables {
		names = append(names, c.Table)
		if c.Rows < 0 {
			return m, tandem.Errorf(tandem.EINVALID, "%s: table %s has %d rows", ManifestFile, c.Table, c.Rows)
		}
		if c.File != c.Table+".jsonl" {
			return m, tandem.Errorf(tandem.EINVALID, "%s: table %s is in file %q; want %q", ManifestFile, c.Table, c.File, c.Table+".jsonl")
		}
	}
	var want []string
	for _, t := range dumpTables {
		want = append(want, t.name)
	}
	if !slices.Equal(names, want) {
		return m, tandem.Errorf(tandem.EINVALID, "%s: lists the tables %s; want %s", ManifestFile,
			strings.Join(names, ", "), strings.Join(want, ", "))
	}
	return m, nil
}

// Load reads the dump in dir (written by [DB.Dump], from either database)
// into this database, which must hold no rows in any table a dump holds,
// keeping every id, time and event as they were. The rows go in in one
// transaction, so a bad row leaves the database as empty as it was; then
// the derived tables are rebuilt from them (see dumpDerived) as the store's
// backfill does, a batch of leads per transaction, resumed at the next
// start if interrupted. progress, when not nil, is called after each table.
//
// It returns ECONFLICT for a database that holds rows, and EINVALID naming
// the file, the line and the column for a dump it cannot read, whose
// schema differs from the database's, or whose files do not hold the rows
// the manifest counts.
func (db *DB) Load(ctx context.Context, dir string, progress func(c DumpCount)) (m Manifest, err error) {
	defer wrap(&err, "load %s", dir)
	if m, err = ReadManifest(dir); err != nil {
		return m, err
	}
	err = db.transactOnce(ctx, db.write, nil, func(tx *Tx) error {
		schema, err := tx.schemaVersion(ctx)
		if err != nil {
			return err
		}
		if schema != m.Schema {
			return tandem.Errorf(tandem.EINVALID, "the export has schema %d and this database %d: export and import with the same version of tandem",
				m.Schema, schema)
		}
		for _, t := range dumpTables {
			var has bool
			if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM `+t.name+`)`).Scan(&has); err != nil {
				return err
			}
			if has {
				return tandem.Errorf(tandem.ECONFLICT, "the database is not empty (table %s holds rows): import an export only into a new database", t.name)
			}
		}
		for i, t := range dumpTables {
			if err := tx.loadTable(ctx, t, dir, m.Tables[i].Rows); err != nil {
				return err
			}
			if progress != nil {
				progress(m.Tables[i])
			}
		}
		// The stage entries and counts are rebuilt after the commit, as
		// the backfill of a database upgraded to them is.
		_, err = tx.ExecContext(ctx, `INSERT INTO backfills (name) VALUES ('stage_entries') ON CONFLICT (name) DO NOTHING`)
		return err
	})
	if err != nil {
		return m, err
	}
	return m, db.backfill(ctx)
}

// loadTable inserts the rows of t's file, which must be want, in batches,
// and moves t's id sequence past them on PostgreSQL. A user's manager may
// come after the user, so managers are set once every user is in.
func (tx *Tx) loadTable(ctx context.Context, t dumpTable, dir string, want int64) (err error) {
	defer wrap(&err, "import %s", t.name)
	f, err := os.Open(filepath.Join(dir, t.file()))
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<16), maxDumpLine)
	cols := t.colNames()
	manager := slices.Index(cols, "manager_id")
	if t.name != "users" {
		manager = -1
	}
	var managers [][2]any
	batch := make([][]any, 0, loadBatch)
	var n int64
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := tx.db.d.bulkInsert(ctx, tx, t.name, cols, batch); err != nil {
			return tandem.Errorf(tandem.EINVALID, "%s, lines %d to %d: %v", t.file(), n-int64(len(batch))+1, n, err)
		}
		batch = batch[:0]
		return ctx.Err()
	}
	for sc.Scan() {
		n++
		row, err := decodeRow(t, sc.Bytes())
		if err != nil {
			return tandem.Errorf(tandem.EINVALID, "%s, line %d: %v", t.file(), n, err)
		}
		if manager >= 0 && row[manager] != nil {
			managers = append(managers, [2]any{row[manager], row[0]})
			row[manager] = nil
		}
		batch = append(batch, row)
		if len(batch) == loadBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return tandem.Errorf(tandem.EINVALID, "%s, line %d: %v", t.file(), n+1, err)
	}
	if err := flush(); err != nil {
		return err
	}
	if n != want {
		return tandem.Errorf(tandem.EINVALID, "%s holds %d rows; the manifest says %d", t.file(), n, want)
	}
	for _, m := range managers {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET manager_id = $1 WHERE id = $2`, m[0], m[1]); err != nil {
			return tandem.Errorf(tandem.EINVALID, "%s: the manager %v of user %v: %v", t.file(), m[0], m[1], err)
		}
	}
	if t.seq != "" && n > 0 && tx.db.d.name() == "postgres" {
		if _, err := tx.ExecContext(ctx, `SELECT setval(`+t.seq+`, (SELECT max(id) FROM `+t.name+`))`); err != nil {
			return fmt.Errorf("move the id sequence: %w", err)
		}
	}
	return nil
}

// decodeRow reads one line of t's file into the values appendRow writes,
// in t's column order. The line must be a JSON object with exactly t's
// columns, each of its kind.
func decodeRow(t dumpTable, line []byte) ([]any, error) {
	if !utf8.Valid(line) {
		return nil, errors.New("not UTF-8 text")
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(line, &obj); err != nil {
		return nil, fmt.Errorf("not a JSON object: %v", err)
	}
	if obj == nil {
		return nil, errors.New("not a JSON object")
	}
	row := make([]any, len(t.cols))
	for i, c := range t.cols {
		raw, ok := obj[c.name]
		if !ok {
			return nil, fmt.Errorf("no column %s", c.name)
		}
		v, err := decodeValue(c.kind, raw)
		if err != nil {
			return nil, fmt.Errorf("column %s: %v", c.name, err)
		}
		row[i] = v
	}
	if len(obj) > len(t.cols) {
		for k := range obj {
			if t.kindOf(k) < 0 {
				return nil, fmt.Errorf("unknown column %q", k)
			}
		}
	}
	return row, nil
}

func decodeValue(k colKind, raw json.RawMessage) (any, error) {
	if string(raw) == "null" {
		if k == kNullInt || k == kNullTime || k == kNullText {
			return nil, nil
		}
		return nil, errors.New("is null")
	}
	switch k {
	case kInt, kNullInt:
		var n int64
		if err := json.Unmarshal(raw, &n); err != nil {
			return nil, fmt.Errorf("want a whole number, got %s", raw)
		}
		return n, nil
	case kBool:
		var b bool
		if err := json.Unmarshal(raw, &b); err != nil {
			return nil, fmt.Errorf("want true or false, got %s", raw)
		}
		return b, nil
	case kText, kNullText:
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("want a string, got %s", raw)
		}
		return s, nil
	case kTime, kNullTime:
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("want a time such as \"2026-01-02T15:04:05.000000Z\", got %s", raw)
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, fmt.Errorf("want a time such as \"2026-01-02T15:04:05.000000Z\", got %q", s)
		}
		if t = t.UTC(); t.Year() < 1 || t.Year() > 9999 {
			return nil, fmt.Errorf("%q is outside the years 1 to 9999", s)
		}
		if !t.Equal(t.Truncate(time.Microsecond)) {
			return nil, fmt.Errorf("%q is finer than a microsecond, which the databases keep", s)
		}
		return t, nil
	case kJSON:
		c, err := canonical(string(raw))
		if err != nil {
			return nil, err
		}
		return string(c), nil
	}
	return nil, fmt.Errorf("unknown kind %d", k)
}
