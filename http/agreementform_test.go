package http

import (
	"context"
	"html"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// formDraft returns the file the agreement form on a page was made from
// (its hidden draft field), as the browser would post it back.
func formDraft(t *testing.T, page string) string {
	t.Helper()
	const at = `name="draft" value="`
	i := strings.Index(page, at)
	if i < 0 {
		t.Fatalf("the agreement form carries no draft")
	}
	rest := page[i+len(at):]
	return html.UnescapeString(rest[:strings.IndexByte(rest, '"')])
}

// TestAgreementFormItems: the agreement form adds an item to a list (a copy
// of the last, proposing nothing yet), removes the items checked, and
// proposes the result as one version; a path the file does not have is a
// 422 that stores nothing.
func TestAgreementFormItems(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		bs := newBoardServer(t, b)
		ctx := context.Background()
		admin := bs.browser("ada@example.com")
		v1, err := bs.db.AgreementVersion(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		a1, err := agreement.Parse("v1", []byte(v1.Body))
		if err != nil {
			t.Fatal(err)
		}
		n := len(a1.Sales.Cadence)

		r := admin.get("/agreement")
		want(t, "the form with its list tools", r, 200, `name="remove" value="sales.cadence[2]"`, `name="add" value="sales.cadence"`,
			"Add a step", "Add a reason", "Remove step 2")

		// Add a step: the form comes back with it, nothing is stored.
		r = admin.post("/agreement/propose", url.Values{"via": {"form"}, "base": {"1"}, "draft": {formDraft(t, string(r.body))}, "add": {"sales.cadence"}})
		last := "sales.cadence[" + strconv.Itoa(n+1) + "]"
		want(t, "add a step", r, 200, "a new step is at the end of sales cadence", `data-path="`+last+`.channel"`)
		if vs, _ := bs.db.AgreementVersions(ctx); len(vs) != 1 {
			t.Fatalf("adding a step stored a version: %d versions", len(vs))
		}
		if f := fieldBlock(string(r.body), last+".channel"); !strings.Contains(f, `value="`+string(a1.Sales.Cadence[n-1].Channel)+`"`) {
			t.Errorf("the new step's channel field = %q; want a copy of the last step's, %s", f, a1.Sales.Cadence[n-1].Channel)
		}

		// Fill it in, remove the 2nd step, and propose.
		r = admin.post("/agreement/propose", url.Values{"via": {"form"}, "base": {"1"}, "draft": {formDraft(t, string(r.body))},
			"f:" + last + ".offset": {"9d"}, "remove": {"sales.cadence[2]"}})
		want(t, "propose the edited cadence", r, 303, "/agreement?proposed=2")
		v2, err := bs.db.AgreementVersion(ctx, 2)
		if err != nil {
			t.Fatal(err)
		}
		a2, err := agreement.Parse("v2", []byte(v2.Body))
		if err != nil {
			t.Fatalf("version 2 does not parse: %v", err)
		}
		wantSteps := append([]agreement.Step{a1.Sales.Cadence[0]}, a1.Sales.Cadence[2:]...)
		if len(a2.Sales.Cadence) != n || a2.Sales.Cadence[n-1].Offset.String() != "9d" {
			t.Fatalf("version 2's cadence = %v; want %d steps ending with one after 9d", a2.Sales.Cadence, n)
		}
		for i, s := range wantSteps {
			if a2.Sales.Cadence[i].String() != s.String() {
				t.Errorf("version 2 step %d = %s; want %s", i+1, a2.Sales.Cadence[i], s)
			}
		}

		// A path the file does not have.
		r = admin.post("/agreement/propose", url.Values{"via": {"form"}, "base": {"2"}, "draft": {v2.Body}, "remove": {"sales.cadence[99]"}})
		want(t, "remove an item that is not there", r, 422, "sales.cadence[99]: the agreement file has no such item")
		if vs, _ := bs.db.AgreementVersions(ctx); len(vs) != 2 {
			t.Errorf("a refused form stored a version: %d versions", len(vs))
		}
	})
}
