package sqldb_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestAgreementAt walks "the agreement in force, else the default": the
// default and no version before any is signed (and at an instant before
// the signature), the signed one and its version after.
func TestAgreementAt(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, clk := open(t, b)
		def, err := sqldb.DefaultAgreement()
		if err != nil || def.Goal.Revenue != 1200000 {
			t.Fatalf("DefaultAgreement() = revenue %v, %v; want the default file's 1200000", def.Goal.Revenue, err)
		}
		before := clk.Now()
		a, v, err := db.AgreementAt(ctx, before)
		if err != nil || v != nil || a != def {
			t.Errorf("AgreementAt(nothing signed) = %p, %v, %v; want the default %p and no version", a, v, err, def)
		}
		clk.Advance(time.Minute)
		body := strings.Replace(string(agreement.Default()), "revenue: 1200000", "revenue: 900000", 1)
		signed := signDefault(t, db, body)
		clk.Advance(time.Minute)
		a, v, err = db.AgreementAt(ctx, clk.Now())
		if err != nil || v == nil || v.Version != signed.Version || len(v.Signatures) != 2 || v.Body != body || a.Goal.Revenue != 900000 {
			t.Errorf("AgreementAt(signed) = revenue %v, version %+v, %v; want 900000 under version %d with 2 signatures", a.Goal.Revenue, v, err, signed.Version)
		}
		if a, v, err = db.AgreementAt(ctx, before); err != nil || v != nil || a != def {
			t.Errorf("AgreementAt(before the signature) = %p, %v, %v; want the default %p and no version", a, v, err, def)
		}
	})
}
