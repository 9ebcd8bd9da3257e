package sqldb_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestMoveLeadChecksReason: a reason goes into the ledger as text, so it is
// held to the rules of a lead's text. PostgreSQL cannot store a NUL byte or
// invalid UTF-8; such a reason must be bad input, not an internal error.
func TestMoveLeadChecksReason(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, _ := open(t, b)
		rs, err := db.IntakeLeads(ctx, []tandem.LeadInput{input("external_id", "r1")}, sqldb.IntakeOptions{})
		if err != nil || rs[0].Err != nil {
			t.Fatal(err, rs)
		}
		id := rs[0].ID
		tests := []struct {
			reason string
			want   []tandem.FieldError
		}{
			{"nul\x00byte", []tandem.FieldError{{Field: "reason", Message: "contains a NUL byte"}}},
			{"latin-1 \xe9", []tandem.FieldError{{Field: "reason", Message: "not valid UTF-8"}}},
		}
		for _, tt := range tests {
			_, err := db.MoveLead(ctx, id, "mql", tt.reason, "user:sam@example.com")
			if code := tandem.ErrorCode(err); code != tandem.EINVALID {
				t.Errorf("MoveLead(%d, mql, %q) = %v (%s); want %s", id, tt.reason, err, code, tandem.EINVALID)
			}
			if diff := cmp.Diff(tt.want, tandem.ErrorFields(err)); diff != "" {
				t.Errorf("MoveLead(%d, mql, %q) fields (-want +got):\n%s", id, tt.reason, diff)
			}
		}
		// The same reason through intake, as the stage of an existing lead.
		in := input("external_id", "r1", "stage", "mql")
		in.Reason = "nul\x00byte"
		rs, err = db.IntakeLeads(ctx, []tandem.LeadInput{in}, sqldb.IntakeOptions{})
		if err != nil {
			t.Fatalf("IntakeLeads(reason with NUL) = %v; want the row rejected, not the batch", err)
		}
		if got, want := statuses(rs), []string{"rejected: reason: contains a NUL byte"}; !cmp.Equal(got, want) {
			t.Errorf("IntakeLeads(reason with NUL) = %q; want %q", got, want)
		}
		if l, err := db.Lead(ctx, id); err != nil || l.Stage != "lead" || l.Version != 1 {
			t.Errorf("Lead(%d) = stage %q version %d, %v; want untouched", id, l.Stage, l.Version, err)
		}
	})
}
