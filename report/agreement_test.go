package report_test

import (
	"context"
	"testing"
	"time"

	"github.com/tandemhq/tandem/report"
	"github.com/tandemhq/tandem/sqldb"
)

// TestAgreementWithoutADatabase: a command with no database reads the one
// default agreement the store reads while none is signed.
func TestAgreementWithoutADatabase(t *testing.T) {
	def, err := sqldb.DefaultAgreement()
	if err != nil {
		t.Fatalf("sqldb.DefaultAgreement: %v", err)
	}
	a, v, err := report.Agreement(context.Background(), nil, time.Now())
	if err != nil || v != nil || a != def {
		t.Errorf("Agreement(no database) = %p, %v, %v; want the default %p and no version", a, v, err, def)
	}
}
