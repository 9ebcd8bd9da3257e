package http

import (
	"context"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
	"github.com/tandemhq/tandem/tandemtest"
)

// TestBacktestPageBadInput: a period with no data, a bad period and a bad
// version are said in words, and a head who saw only those has no backtest
// recorded on signing.
func TestBacktestPageBadInput(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, _ := openDB(t, b)
		users := pageUsers(t, db)
		head, mh := users[tandem.RoleSalesHead], users[tandem.RoleMarketingHead]
		tandemtest.Sign(t, db, string(agreement.Default()), mh.Email, head.Email)
		five := strings.Replace(string(agreement.Default()), "first_touch_within: 10m", "first_touch_within: 5m", 1)
		if _, _, err := db.ProposeAgreement(ctx, "five.yaml", five, mh.Email); err != nil {
			t.Fatal(err)
		}
		s := startServer(t, db, nil)
		wc := newWebClient(t, s.URL())
		want(t, "head sign-in", wc.login(head.Email, testPassword), 303, "/")
		want(t, "a quarter with no data", wc.get("/agreement/backtest?version=2&period=2026-Q3"), 200, "nothing to replay", `name="period" value="2026-Q3"`)
		want(t, "a bad period", wc.get("/agreement/backtest?version=2&period=2026-Q9"), 200, "period")
		want(t, "a bad version", wc.get("/agreement/backtest?version=two"), 422, "is not an agreement version")
		want(t, "an unknown version", wc.get("/agreement/backtest?version=9"), 404)
		if _, err := db.SignAgreement(ctx, 2, head.Email); err != nil {
			t.Fatal(err)
		}
		v, err := db.AgreementVersion(ctx, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Signatures) != 1 || v.Signatures[0].BacktestPeriod != "" || !v.Signatures[0].BacktestSeenAt.IsZero() {
			t.Errorf("signature after seeing only errors: %+v; want no backtest recorded", v.Signatures)
		}
	})
}
