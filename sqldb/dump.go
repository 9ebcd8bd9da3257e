package sqldb

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tandemhq/tandem"
)

// A dump is a database written as JSON lines: one file per table the
// import needs (dumpTables), one row per line, a JSON object whose keys are
// the table's columns in a fixed order, and a manifest written last. The
// same database gives the same bytes from SQLite and from PostgreSQL: rows
// in key order (text keys compared byte by byte), times in UTC with six
// decimals, JSON columns with their keys sorted. [DB.Dump] writes one;
// [DB.Load] reads it into an empty database and rebuilds what is derived.

// DumpFormat and DumpVersion name the dump's format in its manifest; a
// change to the files' form that an older Load could not read gets a new
// version.
const (
	DumpFormat  = "tandem-jsonl"
	DumpVersion = 1
)

// ManifestFile is the name of a dump's manifest, written last: a folder
// without it holds no complete dump.
const ManifestFile = "manifest.json"

// Manifest describes a dump.
type Manifest struct {
	Format  string `json:"format"`  // DumpFormat
	Version int    `json:"version"` // DumpVersion
	// Schema is the last migration the source database had applied: a dump
	// loads into a database of the same schema.
	Schema     int64       `json:"schema"`
	Dialect    string      `json:"dialect"` // "sqlite" or "postgres", where it came from
	ExportedAt time.Time   `json:"exported_at"`
	Tables     []DumpCount `json:"tables"` // in the order Load reads them
	// Derived are the tables Load rebuilds rather than reads; LeftOut those
	// (and the columns) a dump deliberately does not hold.
	Derived []string `json:"derived"`
	LeftOut []string `json:"left_out"`
}

// DumpCount is how many rows of a table a dump holds, and in which file.
type DumpCount struct {
	Table string `json:"table"`
	File  string `json:"file"`
	Rows  int64  `json:"rows"`
}

// colKind is how a column is stored on each database and written in a dump.
type colKind int

const (
	kInt      colKind = iota // INTEGER / BIGINT, never null: a JSON number
	kNullInt                 // the same, or null
	kText                    // TEXT, never null: a JSON string, exactly
	kTime                    // TEXT / TIMESTAMPTZ, never null: "2006-01-02T15:04:05.000000Z"
	kNullTime                // the same, or null
	kBool                    // INTEGER 0 or 1 / BOOLEAN: true or false
	kJSON                    // TEXT / JSONB: the JSON value itself, keys sorted
	kNullText                // TEXT, or null: a JSON string or null
)

type column struct {
	name string
	kind colKind
}

// dumpTable is a table a dump holds.
type dumpTable struct {
	name string
	key  []string // the primary key: rows are written in its order
	cols []column
	// seq is the PostgreSQL sequence that hands out ids, moved past the
	// loaded ones: "" for a table without one.
	seq string
}

func (t dumpTable) file() string { return t.name + ".jsonl" }

func (t dumpTable) colNames() []string {
	names := make([]string, len(t.cols))
	for i, c := range t.cols {
		names[i] = c.name
	}
	return names
}

// serial is the sequence that a BIGSERIAL id column owns.
func serial(table string) string { return "pg_get_serial_sequence('" + table + "', 'id')" }

// dumpTables are the tables a dump holds, in the order Load writes them
// (each after those its rows refer to), with every column but those in
// dumpLeftOut. Every table of the schema is here, in dumpDerived or in
// dumpLeftOut: TestDumpCoversSchema checks it against both databases.
var dumpTables = []dumpTable{
	{name: "users", key: []string{"id"}, seq: serial("users"), cols: []column{
		{"id", kInt}, {"email", kNullText}, {"name", kText}, {"role", kText}, {"created_at", kTime},
		{"team", kText}, {"manager_id", kNullInt}, {"absent", kBool}, {"weight", kInt}}},
	{name: "agreement_versions", key: []string{"version"}, cols: []column{
		{"version", kInt}, {"body", kText}, {"sha256", kText}, {"created_at", kTime}, {"created_by", kText},
		{"in_force_from", kNullTime}}},
	{name: "agreement_signatures", key: []string{"version", "role"}, cols: []column{
		{"version", kInt}, {"role", kText}, {"user_id", kInt}, {"signed_at", kTime},
		{"backtest_period", kText}, {"backtest_seen_at", kNullTime}}},
	{name: "backtest_views", key: []string{"version", "user_id"}, cols: []column{
		{"version", kInt}, {"user_id", kInt}, {"period", kText}, {"seen_at", kTime}}},
	{name: "campaigns", key: []string{"code"}, cols: []column{
		{"code", kText}, {"name", kText}, {"channel", kText}, {"created_at", kTime}, {"updated_at", kTime}}},
	{name: "campaign_spend", key: []string{"campaign", "month"}, cols: []column{
		{"campaign", kText}, {"month", kText}, {"amount_cents", kInt}, {"updated_at", kTime}, {"updated_by", kText}}},
	{name: "accounts", key: []string{"id"}, seq: serial("accounts"), cols: []column{
		{"id", kInt}, {"name", kText}, {"name_key", kText}, {"domain", kText}, {"sector", kText},
		{"employees", kInt}, {"revenue_cents", kInt}, {"location", kText}, {"parent_id", kNullInt},
		{"year_established", kInt}, {"created_at", kTime}, {"updated_at", kTime}}},
	{name: "products", key: []string{"id"}, seq: serial("products"), cols: []column{
		{"id", kInt}, {"name", kText}, {"name_key", kText}, {"series", kText}, {"list_price_cents", kInt},
		{"created_at", kTime}, {"updated_at", kTime}}},
	{name: "leads", key: []string{"id"}, seq: "'leads_id_seq'", cols: []column{
		{"id", kInt}, {"source", kText}, {"external_id", kText}, {"email", kText}, {"first_name", kText},
		{"last_name", kText}, {"company", kText}, {"title", kText}, {"phone", kText}, {"country", kText},
		{"segment", kText}, {"territory", kText}, {"origin", kText}, {"campaign", kText}, {"landing_page", kText},
		{"utm_source", kText}, {"utm_medium", kText}, {"utm_campaign", kText}, {"utm_term", kText},
		{"utm_content", kText}, {"owner_id", kInt}, {"score", kInt}, {"stage", kText}, {"attributes", kJSON},
		{"created_at", kTime}, {"updated_at", kTime}, {"stage_changed_at", kTime}, {"version", kInt},
		{"account_id", kNullInt}}},
	{name: "events", key: []string{"id"}, seq: serial("events"), cols: []column{
		{"id", kInt}, {"lead_id", kInt}, {"type", kText}, {"occurred_at", kTime}, {"recorded_at", kTime},
		{"actor", kText}, {"reason", kText}, {"agreement_version", kInt}, {"data", kText}}},
	{name: "deals", key: []string{"id"}, seq: serial("deals"), cols: []column{
		{"id", kInt}, {"lead_id", kInt}, {"source", kText}, {"external_id", kText}, {"owner_id", kNullInt},
		{"stage", kText}, {"amount_cents", kInt}, {"created_at", kTime}, {"engaged_at", kTime},
		{"closed_at", kNullTime}, {"lost_reason", kText}, {"account", kText}, {"product", kText},
		{"attributes", kJSON}, {"updated_at", kTime}, {"pipeline_stage", kText}, {"stage_changed_at", kNullTime},
		{"account_id", kNullInt}, {"product_id", kNullInt}}},
	{name: "deal_stage_entries", key: []string{"deal_id", "stage"}, cols: []column{
		{"deal_id", kInt}, {"stage", kText}, {"entered_at", kTime}}},
	{name: "marketing_touches", key: []string{"id"}, seq: serial("marketing_touches"), cols: []column{
		{"id", kInt}, {"lead_id", kInt}, {"campaign", kText}, {"origin", kText}, {"kind", kText},
		{"occurred_at", kTime}, {"actor", kText}}},
	{name: "handoffs", key: []string{"id"}, seq: serial("handoffs"), cols: []column{
		{"id", kInt}, {"lead_id", kInt}, {"owner_id", kNullInt}, {"hot", kBool}, {"note", kText},
		{"agreement_version", kInt}, {"started_at", kTime}, {"routed_at", kNullTime}, {"first_touch_due", kTime},
		{"first_touch_at", kNullTime}, {"accept_due", kTime}, {"decided_at", kNullTime}, {"decision", kText},
		{"reject_reason", kText}, {"cadence", kText}, {"cadence_from", kTime}, {"step", kInt}, {"touches", kInt},
		{"ended_at", kNullTime}, {"end_reason", kText}}},
	{name: "tasks", key: []string{"id"}, seq: serial("tasks"), cols: []column{
		{"id", kInt}, {"lead_id", kInt}, {"handoff_id", kInt}, {"owner_id", kNullInt}, {"cadence", kText},
		{"step", kInt}, {"channel", kText}, {"template", kText}, {"starts_at", kTime}, {"due_at", kTime},
		{"state", kText}, {"done_at", kNullTime}, {"breached", kBool}}},
	{name: "timers", key: []string{"id"}, seq: serial("timers"), cols: []column{
		{"id", kInt}, {"kind", kText}, {"lead_id", kNullInt}, {"due_at", kTime}, {"state", kText},
		{"payload", kText}, {"attempts", kInt}, {"last_error", kText}, {"claimed_by", kText},
		{"created_at", kTime}, {"fired_at", kNullTime}, {"stopped_at", kNullTime}}},
	{name: "routing_credits", key: []string{"pool", "user_id"}, cols: []column{
		{"pool", kText}, {"user_id", kInt}, {"credit", kInt}}},
	{name: "reviews", key: []string{"id"}, seq: serial("reviews"), cols: []column{
		{"id", kInt}, {"lead_id", kInt}, {"user_id", kInt}, {"rating", kInt}, {"tags", kText}, {"text", kText},
		{"created_at", kTime}}},
	{name: "outbox_events", key: []string{"id"}, seq: serial("outbox_events"), cols: []column{
		{"id", kInt}, {"type", kText}, {"version", kInt}, {"lead_id", kNullInt}, {"ledger_id", kNullInt}, {"data", kText},
		{"occurred_at", kTime}, {"created_at", kTime}}},
	{name: "notifications", key: []string{"id"}, seq: serial("notifications"), cols: []column{
		{"id", kInt}, {"user_id", kNullInt}, {"lead_id", kNullInt}, {"event_id", kNullInt}, {"channel", kText}, {"address", kText},
		{"subject", kText}, {"body", kText}, {"state", kText}, {"attempts", kInt}, {"next_at", kTime},
		{"claimed_by", kText}, {"last_error", kText}, {"created_at", kTime}, {"sent_at", kNullTime},
		{"read_at", kNullTime}}},
	{name: "webhook_subscriptions", key: []string{"id"}, seq: serial("webhook_subscriptions"), cols: []column{
		{"id", kInt}, {"url", kText}, {"secret", kText}, {"event_types", kText}, {"description", kText}, {"owner_id", kNullInt},
		{"state", kText}, {"failures", kInt}, {"failing_since", kNullTime}, {"paused_reason", kText}, {"created_at", kTime},
		{"updated_at", kTime}}},
	{name: "webhook_deliveries", key: []string{"id"}, seq: serial("webhook_deliveries"), cols: []column{
		{"id", kInt}, {"subscription_id", kInt}, {"event_id", kNullInt}, {"type", kText}, {"msg_id", kText}, {"body", kText},
		{"state", kText}, {"attempts", kInt}, {"next_at", kTime}, {"claimed_by", kText}, {"response_code", kInt},
		{"latency_ms", kInt}, {"last_error", kText}, {"created_at", kTime}, {"attempted_at", kNullTime},
		{"delivered_at", kNullTime}}},
	{name: "alerts", key: []string{"id"}, seq: serial("alerts"), cols: []column{
		{"id", kInt}, {"period", kText}, {"cause", kText}, {"summary", kText}, {"figures", kText},
		{"raised_at", kTime}}},
	{name: "scorecards", key: []string{"period"}, cols: []column{
		{"period", kText}, {"frozen_at", kTime}, {"body", kText}}},
	{name: "audit", key: []string{"id"}, seq: serial("audit"), cols: []column{
		{"id", kInt}, {"at", kTime}, {"actor", kText}, {"action", kText}, {"subject", kText}, {"changes", kText}}},
	{name: "lead_views", key: []string{"id"}, seq: serial("lead_views"), cols: []column{
		{"id", kInt}, {"user_id", kInt}, {"name", kText}, {"query", kText}, {"shared", kBool},
		{"created_at", kTime}, {"updated_at", kTime}}},
	{name: "schedules", key: []string{"id"}, seq: serial("schedules"), cols: []column{
		{"id", kInt}, {"kind", kText}, {"roles", kText}, {"addresses", kText}, {"created_by", kText},
		{"created_at", kTime}, {"removed_at", kNullTime}}},
	{name: "schedule_sends", key: []string{"id"}, seq: serial("schedule_sends"), cols: []column{
		{"id", kInt}, {"schedule_id", kInt}, {"occurrence", kText}, {"period", kText}, {"due_at", kTime}, {"state", kText},
		{"attempts", kInt}, {"next_at", kTime}, {"claimed_by", kText}, {"last_error", kText}, {"recipients", kInt},
		{"created_at", kTime}, {"sent_at", kNullTime}}},
	{name: "forms", key: []string{"id"}, seq: serial("forms"), cols: []column{
		{"id", kInt}, {"name", kText}, {"mapping", kText}, {"origins", kText}, {"redirect", kText}, {"thanks", kText},
		{"campaign", kText}, {"utm", kText}, {"honeypot", kText}, {"per_minute", kInt}, {"created_at", kTime},
		{"updated_at", kTime}}},
	{name: "form_submissions", key: []string{"id"}, seq: serial("form_submissions"), cols: []column{
		{"id", kInt}, {"form_id", kInt}, {"submission_id", kText}, {"at", kTime}, {"status", kText}, {"reason", kText},
		{"lead_id", kNullInt}, {"addr", kText}, {"origin", kText}}},
	{name: "content_items", key: []string{"code"}, cols: []column{
		{"code", kText}, {"kind", kText}, {"title", kText}, {"subject", kText}, {"body", kText}, {"url", kText},
		{"owner", kText}, {"campaign", kText}, {"segment", kText}, {"status", kText}, {"version", kInt},
		{"created_at", kTime}, {"updated_at", kTime}, {"updated_by", kText}}},
	{name: "content_versions", key: []string{"code", "version"}, cols: []column{
		{"code", kText}, {"version", kInt}, {"subject", kText}, {"body", kText}, {"url", kText},
		{"created_at", kTime}, {"created_by", kText}}},
	{name: "content_uses", key: []string{"id"}, seq: serial("content_uses"), cols: []column{
		{"id", kInt}, {"code", kText}, {"version", kInt}, {"lead_id", kInt}, {"user_id", kNullInt}, {"actor", kText},
		{"channel", kText}, {"outcome", kText}, {"used_at", kTime}}},
	{name: "content_links", key: []string{"token"}, cols: []column{
		{"token", kText}, {"code", kText}, {"lead_id", kInt}, {"created_at", kTime}}},
	{name: "content_clicks", key: []string{"id"}, seq: serial("content_clicks"), cols: []column{
		{"id", kInt}, {"code", kText}, {"version", kInt}, {"lead_id", kInt}, {"clicked_at", kTime}}},
	{name: "content_ratings", key: []string{"id"}, seq: serial("content_ratings"), cols: []column{
		{"id", kInt}, {"code", kText}, {"version", kInt}, {"user_id", kInt}, {"useful", kBool}, {"note", kText},
		{"created_at", kTime}}},
	{name: "action_items", key: []string{"id"}, seq: serial("action_items"), cols: []column{
		{"id", kInt}, {"period", kText}, {"what", kText}, {"owner_id", kInt}, {"due_on", kText}, {"due_at", kTime},
		{"agenda_topic", kText}, {"agenda_text", kText}, {"state", kText}, {"created_by", kText}, {"created_at", kTime},
		{"done_by", kText}, {"done_at", kNullTime}}},
	{name: "campaign_responses", key: []string{"period", "campaign"}, cols: []column{
		{"period", kText}, {"campaign", kText}, {"response", kText}, {"responded_by", kText}, {"responded_at", kTime}}},
	{name: "agreement_comments", key: []string{"id"}, seq: serial("agreement_comments"), cols: []column{
		{"id", kInt}, {"version", kInt}, {"clause", kText}, {"body", kText}, {"author_id", kInt}, {"created_at", kTime}}},
	{name: "agreement_answers", key: []string{"version"}, cols: []column{
		{"version", kInt}, {"answers", kInt}}},
}

// dumpDerived are the tables Load rebuilds from the loaded rows, as the
// store's backfill does (see DB.backfill): the stage entries from the
// events under the agreement in force, then the stage counts and the path
// they follow from the entries.
var dumpDerived = []string{"stage_entries", "stage_counts", "stage_counts_path"}

// dumpLeftOut are the tables and columns a dump does not hold, and why
// (docs/operations.md says the same).
var dumpLeftOut = map[string]string{
	"users.password_hash": "credentials: set a password again with tandem user set EMAIL --reset",
	"tokens":              "API token hashes are credentials: create the tokens again",
	"sessions":            "sign-ins: users sign in again",
	"hook_sources":        "inbound webhook sources hold their secrets: add them again",
	"hook_deliveries":     "delivered message ids, kept ten minutes against replays",
	"calendar_feeds":      "calendar feed token hashes are credentials: people create their feeds again",
	"kept_reports":        "computed reports, recomputed when asked or by tandem serve's worker",
	"backfills":           "the store's own bookkeeping",
	"goose_db_version":    "the migrations' bookkeeping: the manifest records the schema",
	"installation":        "a loaded database is another installation, with its own id (Message-IDs must not repeat)",
	"deals.lead_owner_id": "the deal's copy of its lead's owner: triggers copy it as the deals load (migration 00030)",
	"deals.lead_source":   "the deal's copy of its lead's source, kept as lead_owner_id is",
	"deals.lead_origin":   "the deal's copy of its lead's origin, kept as lead_owner_id is",
	"deals.lead_segment":  "the deal's copy of its lead's segment, kept as lead_owner_id is",
	"deals.lead_campaign": "the deal's copy of its lead's campaign, kept as lead_owner_id is",
	"lead_search":         "SQLite's search index (FTS5, with its lead_search_* tables): its triggers fill it as the leads load",
}

// leftOutNames lists dumpLeftOut's names, sorted.
func leftOutNames() []string {
	return slices.Sorted(maps.Keys(dumpLeftOut))
}

// schemaVersion is the last migration applied to the database.
func (tx *Tx) schemaVersion(ctx context.Context) (int64, error) {
	var v int64
	err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version_id), 0) FROM goose_db_version`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	return v, nil
}

// Dump writes the whole database to dir as JSON lines (see dumpTables),
// from one snapshot while other transactions go on writing, and then the
// manifest. dir must not exist or be empty. Memory does not grow with the
// rows: each is written as it is read. It returns ECONFLICT when dir holds
// anything, and EINVALID for text that is not UTF-8 (JSON cannot carry it
// unchanged), naming the table, the row and the column.
func (db *DB) Dump(ctx context.Context, dir string) (m Manifest, err error) {
	defer wrap(&err, "dump to %s", dir)
	if err := emptyDir(dir); err != nil {
		return m, err
	}
	m = Manifest{Format: DumpFormat, Version: DumpVersion, Dialect: db.d.name(), ExportedAt: db.Now(),
		Derived: dumpDerived, LeftOut: leftOutNames()}
	// One snapshot for every table: a transaction on SQLite (WAL keeps its
	// view), and REPEATABLE READ on PostgreSQL, whose default gives each
	// statement its own.
	opts := &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead}
	if db.d.name() == "sqlite" {
		opts = nil
	}
	err = db.transactOnce(ctx, db.read, opts, func(tx *Tx) error {
		var err error
		if m.Schema, err = tx.schemaVersion(ctx); err != nil {
			return err
		}
		for _, t := range dumpTables {
			n, err := tx.dumpTable(ctx, t, filepath.Join(dir, t.file()))
			if err != nil {
				return err
			}
			m.Tables = append(m.Tables, DumpCount{Table: t.name, File: t.file(), Rows: n})
		}
		return nil
	})
	if err != nil {
		return m, err
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return m, err
	}
	return m, writeFileSync(filepath.Join(dir, ManifestFile), append(b, '\n'))
}

// emptyDir makes dir if it does not exist, and refuses one that holds
// anything.
func emptyDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	names, err := f.Readdirnames(1)
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	if len(names) > 0 {
		return tandem.Errorf(tandem.ECONFLICT, "%s is not empty: dump into a new folder", dir)
	}
	return nil
}

func writeFileSync(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// orderBy is t's key as an ORDER BY list: text compared byte by byte on
// both databases (PostgreSQL's default collation follows the locale).
func (tx *Tx) orderBy(t dumpTable) string {
	parts := make([]string, len(t.key))
	for i, k := range t.key {
		parts[i] = k
		if tx.db.d.name() == "postgres" && t.kindOf(k) == kText {
			parts[i] += ` COLLATE "C"`
		}
	}
	return strings.Join(parts, ", ")
}

func (t dumpTable) kindOf(name string) colKind {
	for _, c := range t.cols {
		if c.name == name {
			return c.kind
		}
	}
	return -1
}

// dumpTable writes t's rows to path and returns how many.
func (tx *Tx) dumpTable(ctx context.Context, t dumpTable, path string) (n int64, err error) {
	defer wrap(&err, "dump %s", t.name)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return 0, err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	w := bufio.NewWriterSize(f, 1<<16)
	rows, err := tx.QueryContext(ctx, fmt.Sprintf(`SELECT %s FROM %s ORDER BY %s`,
		strings.Join(t.colNames(), ", "), t.name, tx.orderBy(t)))
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	scan := newRowValues(t)
	var line []byte
	var vals []any
	for rows.Next() {
		if err := rows.Scan(scan.dest...); err != nil {
			return n, fmt.Errorf("row %d: %w", n+1, err)
		}
		vals = scan.values(vals)
		if line, err = appendRow(line[:0], t, vals); err != nil {
			return n, fmt.Errorf("row %d: %w", n+1, err)
		}
		if _, err := w.Write(line); err != nil {
			return n, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	if err := w.Flush(); err != nil {
		return n, err
	}
	return n, f.Sync()
}

// rowValues are the scan destinations for one row of a table, reused row
// after row.
type rowValues struct {
	t     dumpTable
	dest  []any
	ints  []sql.NullInt64
	texts []string
	ntext []sql.NullString
	times []time.Time
	bools []bool
}

func newRowValues(t dumpTable) *rowValues {
	n := len(t.cols)
	v := &rowValues{t: t, dest: make([]any, n), ints: make([]sql.NullInt64, n), texts: make([]string, n),
		ntext: make([]sql.NullString, n), times: make([]time.Time, n), bools: make([]bool, n)}
	for i, c := range t.cols {
		switch c.kind {
		case kInt, kNullInt:
			v.dest[i] = &v.ints[i]
		case kText:
			v.dest[i] = &v.texts[i]
		case kNullText:
			v.dest[i] = &v.ntext[i]
		case kJSON:
			v.dest[i] = scanJSON{&v.texts[i]}
		case kTime, kNullTime:
			v.dest[i] = scanTime{&v.times[i]}
		case kBool:
			v.dest[i] = &v.bools[i]
		}
	}
	return v
}

// values returns the scanned row in the form appendRow takes: int64,
// string (JSON text for a JSON column), time.Time, bool, or nil for null.
func (v *rowValues) values(into []any) []any {
	into = into[:0]
	for i, c := range v.t.cols {
		var x any
		switch c.kind {
		case kInt, kNullInt:
			if v.ints[i].Valid {
				x = v.ints[i].Int64
			}
		case kText, kJSON:
			x = v.texts[i]
		case kNullText:
			if v.ntext[i].Valid {
				x = v.ntext[i].String
			}
		case kTime, kNullTime:
			if !v.times[i].IsZero() {
				x = v.times[i]
			}
		case kBool:
			x = v.bools[i]
		}
		into = append(into, x)
	}
	return into
}

// appendRow appends a row of t as one line of JSON (see rowValues.values
// for the values' types).
func appendRow(b []byte, t dumpTable, vals []any) ([]byte, error) {
	b = append(b, '{')
	for i, c := range t.cols {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, c.name...)
		b = append(b, `":`...)
		var err error
		switch x := vals[i].(type) {
		case nil:
			if c.kind != kNullInt && c.kind != kNullTime && c.kind != kNullText {
				return nil, fmt.Errorf("%s is null", c.name)
			}
			b = append(b, "null"...)
		case int64:
			b = strconv.AppendInt(b, x, 10)
		case bool:
			b = strconv.AppendBool(b, x)
		case time.Time:
			b = append(b, '"')
			b = x.UTC().AppendFormat(b, sqliteTimeLayout)
			b = append(b, '"')
		case string:
			if c.kind == kJSON {
				b, err = appendCanonical(b, x)
			} else {
				b, err = appendString(b, x)
			}
			if err != nil {
				return nil, fmt.Errorf("%s: %w", c.name, err)
			}
		default:
			return nil, fmt.Errorf("%s: unexpected %T", c.name, x)
		}
	}
	return append(b, "}\n"...), nil
}

// appendString appends s as a JSON string, refusing text that is not UTF-8
// rather than replacing it.
func appendString(b []byte, s string) ([]byte, error) {
	if !utf8.ValidString(s) {
		return nil, tandem.Errorf(tandem.EINVALID, "%q is not UTF-8 text", s)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...), nil
}

// canonical returns the JSON text s with insignificant space removed and
// object keys sorted, numbers as written: PostgreSQL's jsonb and SQLite's
// text give the same bytes.
func canonical(s string) ([]byte, error) {
	if s == "" {
		s = "{}"
	}
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	if d.More() {
		return nil, fmt.Errorf("not JSON: more than one value")
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func appendCanonical(b []byte, s string) ([]byte, error) {
	c, err := canonical(s)
	if err != nil {
		return nil, err
	}
	return append(b, c...), nil
}
