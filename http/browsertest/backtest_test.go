package browsertest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/password"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
	"github.com/tandemhq/tandem/tandemtest"
)

// TestBacktestOnProposal has the sales head open the backtest of a proposed
// version that shortens the first touch to 5 minutes: the last quarter held
// three hand-offs, one touched 7 minutes in and two never, so the table shows
// 2 first-touch breaches in force and 3 proposed. Signing then records that
// the backtest was seen, and the version's history says so.
func TestBacktestOnProposal(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		e := Start(t, b, time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC))
		ctx := context.Background()
		c := tandemtest.People(t, e.DB, tandemtest.Signers...)
		c.Sign(t, e.DB, string(agreement.Default()))
		// Tuesday 14 July, 10:00 in New York: three hand-offs to Rex.
		handoff := time.Date(2026, 7, 14, 14, 0, 0, 0, time.UTC)
		e.Clock.Set(handoff)
		var in []tandem.LeadInput
		for _, id := range []string{"a", "b", "c"} {
			in = append(in, tandem.LeadInput{Fields: map[string]string{"external_id": id, "source": "web", "email": id + "@example.com", "score": "70"}})
		}
		rs, err := e.DB.IntakeLeads(ctx, in, sqldb.IntakeOptions{})
		if err != nil {
			t.Fatalf("IntakeLeads: %v", err)
		}
		e.Clock.Set(handoff.Add(7 * time.Minute))
		if _, err := e.DB.LogTouch(ctx, rs[0].ID, tandem.Touch{Channel: "call", Outcome: tandem.OutcomeNoAnswer}, tandemtest.Token(c.Rex)); err != nil {
			t.Fatalf("LogTouch: %v", err)
		}
		e.Clock.Set(epoch) // 2 November: the last quarter is 2026-Q3
		five := strings.Replace(string(agreement.Default()), "first_touch_within: 10m", "first_touch_within: 5m", 1)
		if _, _, err := e.DB.ProposeAgreement(ctx, "five.yaml", five, c.Mia.Email); err != nil {
			t.Fatalf("ProposeAgreement: %v", err)
		}

		const pw = "a long test password"
		if _, err := e.DB.SetPassword(ctx, c.Sam.Email, password.HashWith(pw, password.Params{Time: 1, Memory: 64, Threads: 1})); err != nil {
			t.Fatalf("SetPassword: %v", err)
		}
		e.Open("/login")
		e.Submit("button[type=submit]", "#email", c.Sam.Email, "#password", pw)
		e.Open("/agreement")
		e.Submit(`[data-testid=backtest-2]`)
		if got := e.Path(); got != "/agreement/backtest?version=2" {
			t.Errorf("the backtest button led to %s; want /agreement/backtest?version=2", got)
		}
		row := func(figure string) string {
			return Run(e, "the row "+figure, chromedp.Evaluate[string](`(() => {
				for (const tr of document.querySelectorAll('[data-testid=backtest] tbody tr')) {
					if (tr.querySelector('th').textContent.trim() === `+"`"+figure+"`"+`) {
						return [...tr.querySelectorAll('td')].slice(0, 2).map(td => td.textContent.trim()).join(' | ');
					}
				}
				return 'no such row';
			})()`))
		}
		for figure, want := range map[string]string{
			"MQLs handed over":       "3 of 1200 committed | 3 of 1200 committed",
			"first touch":            "2 | 3",
			"first-touch compliance": "1 of 3 in time (33.3%) | 0 of 3 in time (0.0%)",
		} {
			if got := row(figure); got != want {
				t.Errorf("backtest row %q: %q; want %q", figure, got, want)
			}
		}
		if got := e.Text(`[data-testid=backtest-recorded]`); !strings.Contains(got, "2026-Q3") {
			t.Errorf("the backtest page says %q; want that the signature will record the backtest of 2026-Q3", got)
		}
		e.Screenshot("agreement-backtest")

		e.Open("/agreement")
		e.Submit(`[data-testid=sign-2]`)
		if got := e.Text(`[data-testid=version-2] .signatures`); !strings.Contains(got, "sam@example.com") || !strings.Contains(got, "having seen the backtest of 2026-Q3") {
			t.Errorf("version 2's signatures read %q; want Sam's, having seen the backtest of 2026-Q3", got)
		}
	})
}
