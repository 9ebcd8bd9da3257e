package report

import (
	"context"

	"github.com/tandemhq/tandem/sla"
	"github.com/tandemhq/tandem/sqldb"
)

// SLA returns the SLA report of the period q names (see [sla.Report]):
// sales measured over the hand-offs started in it, each against the clocks
// of the version it ran on, and marketing against the commitments of the
// version in force at the period's end (now, while it runs), with the
// reviews written in it. The store reads the rows ([sqldb.DB.SLAInput]);
// package sla computes. EINVALID names a bad period or by; ECONFLICT when
// no signed agreement is in force.
func SLA(ctx context.Context, db *sqldb.DB, q sqldb.SLAQuery) (sla.Report, error) {
	in, err := db.SLAInput(ctx, q)
	if err != nil {
		return sla.Report{}, err
	}
	return sla.NewReport(in), nil
}
