package report

import (
	"context"
	"time"

	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/backtest"
	"github.com/tandemhq/tandem/sqldb"
)

// Backtest replays period of the ledger under the proposed agreement
// (version number, 0 for a file not stored) beside the version in force at
// the period's end (docs/agreement.md, "Backtest"). The ledger is read once;
// each side's plan is the plan of the period under its agreement, reading the
// funnel's history only when the agreement leaves a rate to it. A plan that
// cannot be made leaves the side's plan figures at 0.
func Backtest(ctx context.Context, db *sqldb.DB, proposed *agreement.Agreement, number int, period string, now time.Time) (backtest.Report, error) {
	l, inForce, err := db.BacktestLedger(ctx, period)
	if err != nil {
		return backtest.Report{}, err
	}
	prop := backtest.Version{Number: number, Agreement: proposed}
	for _, v := range []*backtest.Version{&inForce, &prop} {
		if p, err := planFor(ctx, db, v.Agreement, now, Request{Period: period, Known: true}); err == nil {
			v.Plan = &p
		}
	}
	return backtest.Run(l, inForce, prop)
}
