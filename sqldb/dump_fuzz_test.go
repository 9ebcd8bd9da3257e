package sqldb

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzDumpRow reads arbitrary lines as rows of a dump: a line is refused
// with an error or read into values that write back to a line that reads
// to the same values and writes to the same bytes; nothing panics.
func FuzzDumpRow(f *testing.F) {
	f.Add(0, []byte(`{"id":1,"lead_id":2,"owner_id":null,"hot":true,"note":"<b>\u00e9","agreement_version":1,"started_at":"2026-11-02T09:00:00.000000Z","routed_at":null,"first_touch_due":"2026-11-02T10:00:00Z","first_touch_at":"2026-11-02T09:30:00+01:00","accept_due":"2026-11-03T09:00:00.5Z","decided_at":null,"decision":"","reject_reason":"","cadence":"std","cadence_from":"2026-11-02T09:00:00Z","step":0,"touches":3,"ended_at":null,"end_reason":""}`))
	f.Add(1, []byte(`{"id":7,"source":"web","external_id":"a1","email":"","first_name":"","last_name":"","company":"","title":"","phone":"","country":"","segment":"","territory":"","origin":"","campaign":"","landing_page":"","utm_source":"","utm_medium":"","utm_campaign":"","utm_term":"","utm_content":"","owner_id":0,"score":-3,"stage":"lead","attributes":{"b":[1.50,2e3],"a":"x"},"created_at":"2026-11-02T09:00:00.000000Z","updated_at":"2026-11-02T09:00:00.000000Z","stage_changed_at":"2026-11-02T09:00:00.000000Z","version":1}`))
	f.Add(1, []byte(`{"id":"7"}`))
	f.Add(0, []byte(`null`))
	f.Add(0, []byte(`{"id":1e400}`))
	tables := map[string]dumpTable{}
	for _, t := range dumpTables {
		tables[t.name] = t
	}
	choice := []dumpTable{tables["handoffs"], tables["leads"], tables["users"], tables["timers"]}
	f.Fuzz(func(t *testing.T, which int, line []byte) {
		tbl := choice[uint(which)%uint(len(choice))]
		row, err := decodeRow(tbl, line)
		if err != nil {
			return
		}
		out, err := appendRow(nil, tbl, row)
		if err != nil {
			t.Fatalf("appendRow(decodeRow(%q)) = %v", line, err)
		}
		again, err := decodeRow(tbl, bytes.TrimSuffix(out, []byte("\n")))
		if err != nil {
			t.Fatalf("decodeRow(%q) = %v; want the row it was written from", out, err)
		}
		if diff := cmp.Diff(row, again); diff != "" {
			t.Fatalf("decodeRow(appendRow(%q)) differs (-first +again):\n%s", line, diff)
		}
		out2, err := appendRow(nil, tbl, again)
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("appendRow again = %q, %v; want %q", out2, err, out)
		}
	})
}
