package browsertest

import (
	"context"
	"fmt"
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

// TestDealsBoard: Rex opens the deals board, moves his deal from
// qualification to proposal with the card's button, drags it on to
// negotiation (the page's script clicks the same button), opens it and
// wins it: the board then shows it won, and the weighted pipeline is
// empty.
func TestDealsBoard(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		e := Start(t, b, time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC))
		ctx := context.Background()
		c := tandemtest.People(t, e.DB)
		c.Sign(t, e.DB, string(agreement.Default()))
		const pw = "rex's long password"
		if _, err := e.DB.SetPassword(ctx, c.Rex.Email, password.HashWith(pw, password.Params{Time: 1, Memory: 64, Threads: 1})); err != nil {
			t.Fatalf("SetPassword: %v", err)
		}
		if rs, err := e.DB.IntakeLeads(ctx, []tandem.LeadInput{{Fields: map[string]string{"external_id": "L1", "first_name": "Lena",
			"last_name": "Lind", "company": "Acme", "score": "10", "owner_id": fmt.Sprint(c.Rex.ID)}}}, sqldb.IntakeOptions{DefaultSource: "crm"}); err != nil || rs[0].Err != nil {
			t.Fatalf("IntakeLeads = %v, %v", rs, err)
		}
		rs, err := e.DB.ImportDeals(ctx, []tandem.DealInput{{Fields: map[string]string{"lead_source": "crm", "lead_external_id": "L1",
			"external_id": "D1", "stage": "qualification", "amount": "12000", "owner": c.Rex.Email, "account": "Acme", "product": "Widget"}}},
			sqldb.DealImportOptions{DefaultSource: "crm"})
		if err != nil || rs[0].Err != nil {
			t.Fatalf("ImportDeals = %v, %v", rs, err)
		}
		id := rs[0].ID
		card := fmt.Sprintf("[data-testid=deal-%d]", id)
		in := func(col string) string { return fmt.Sprintf("[data-testid=col-%s] %s", col, card) }

		e.Open("/login")
		e.Submit("button[type=submit]", "#email", c.Rex.Email, "#password", pw)
		e.Open("/deals")
		if got := e.Text(in("qualification")); !strings.Contains(got, "Lena Lind") {
			t.Fatalf("the qualification column's card = %q; want Lena Lind's deal", got)
		}
		if got := e.Text("[data-testid=weighted-total]"); !strings.HasPrefix(got, "2,400") { // 12,000 × 0.2
			t.Errorf("weighted pipeline = %q; want 2,400", got)
		}
		e.Screenshot("deals-board")

		// The button.
		e.Submit(in("qualification") + " button[value=proposal]")
		if got := e.Text("[role=status]"); !strings.Contains(got, fmt.Sprintf("deal %d moved", id)) {
			t.Errorf("after the move, the notice = %q", got)
		}
		if got := e.Text(in("proposal")); !strings.Contains(got, "Lena Lind") {
			t.Errorf("after the move, the proposal column's card = %q", got)
		}
		if got := e.Text("[data-testid=weighted-total]"); !strings.HasPrefix(got, "6,000") { // 12,000 × 0.5
			t.Errorf("weighted pipeline after the move = %q; want 6,000", got)
		}

		// The drag, as a person's mouse sends it.
		e.Do("drag to negotiation",
			chromedp.Evaluate[chromedp.Void](`document.body.dataset.old = "1"`),
			chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
				const card = document.querySelector(%q), col = document.querySelector("[data-testid=col-negotiation]");
				const dt = new DataTransfer();
				card.dispatchEvent(new DragEvent("dragstart", {bubbles: true, dataTransfer: dt}));
				col.dispatchEvent(new DragEvent("dragover", {bubbles: true, cancelable: true, dataTransfer: dt}));
				col.dispatchEvent(new DragEvent("drop", {bubbles: true, cancelable: true, dataTransfer: dt}));
			})()`, in("proposal"))),
			chromedp.WaitVisible(chromedp.CSS("body:not([data-old]) main")))
		if got := e.Text(in("negotiation")); !strings.Contains(got, "Lena Lind") {
			t.Errorf("after the drag, the negotiation column's card = %q", got)
		}
		if d, err := e.DB.Deal(ctx, id); err != nil || d.PipelineStage != "negotiation" {
			t.Errorf("after the drag, the deal = %+v, %v; want in negotiation", d, err)
		}

		// Win it from its page.
		e.Submit(in("negotiation") + " a.close-link")
		if got := e.Path(); !strings.HasPrefix(got, fmt.Sprintf("/deals/%d", id)) {
			t.Fatalf("the card's link opened %s", got)
		}
		if got := e.Text("[data-testid=history]"); !strings.Contains(got, "negotiation") {
			t.Errorf("the deal's history = %q; want its moves", got)
		}
		e.Do("clear the amount", chromedp.Evaluate[chromedp.Void](`document.querySelector("#amount").value = ""`))
		e.Submit("[data-testid=win] button", "#amount", "12500.25")
		if got := e.Text("[data-testid=deal-summary]"); !strings.Contains(got, "Won") {
			t.Errorf("after the win, the summary = %q; want Won", got)
		}
		e.Screenshot("deal-won")
		if d, err := e.DB.Deal(ctx, id); err != nil || d.Stage != tandem.DealWon || d.AmountCents != 1250025 {
			t.Errorf("after the win, the deal = %+v, %v; want won for 1250025 cents", d, err)
		}
		e.Open("/deals")
		if got := e.Text(in("won")); !strings.Contains(got, "12,500") {
			t.Errorf("the won column's card = %q; want the deal for 12,500", got)
		}
		if got := e.Text("[data-testid=weighted-total]"); !strings.HasPrefix(got, "0") {
			t.Errorf("weighted pipeline after the win = %q; want 0", got)
		}
		e.Screenshot("deals-board-won")
	})
}
