package http

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// position returns the LINE:COL at which sub starts in s, 1-based.
func position(t *testing.T, s, sub string) string {
	t.Helper()
	i := strings.Index(s, sub)
	if i < 0 {
		t.Fatalf("%q is not in the file", sub)
	}
	return fmt.Sprintf("%d:%d", strings.Count(s[:i], "\n")+1, i-strings.LastIndex(s[:i], "\n"))
}

func TestAgreements(t *testing.T) {
	t.Parallel()
	def := string(agreement.Default())
	// The default with two mistakes, so that we know where they are.
	broken := strings.Replace(def, "marketing_mission: fill_pipeline", "marketing_mission: sell_more", 1)
	broken = strings.Replace(broken, `entry: score >= 60 and email != ""`, `entry: scor >= 60`, 1)
	syntax, err := os.ReadFile("testdata/agreement_syntax.yaml")
	if err != nil {
		t.Fatalf("os.ReadFile: %v", err)
	}
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ts := newTestServer(t, b)

		checkError(t, "GET /api/v1/agreement with no versions", ts.do("GET", "/api/v1/agreement", tandem.RoleExecutive, ""), 404, tandem.ENOTFOUND)
		var list struct {
			Items []tandem.AgreementVersion `json:"items"`
		}
		ts.call("GET", "/api/v1/agreements", tandem.RoleExecutive, "", 200, &list)
		if list.Items == nil || len(list.Items) != 0 {
			t.Errorf("GET /api/v1/agreements with no versions = %+v; want an empty list", list.Items)
		}

		for _, tc := range []struct {
			name string
			body string
			want []string // parts of the message
		}{
			{"two mistakes", broken, []string{
				"request body:" + position(t, broken, "sell_more") + ": marketing_mission",
				"request body:" + position(t, broken, "scor >= 60") + ": ",
				"unknown name scor",
			}},
			{"a YAML syntax error", string(syntax), []string{"request body:5: YAML syntax"}},
			{"empty", "", []string{"request body:1:1: "}},
		} {
			r := ts.do("POST", "/api/v1/agreements", tandem.RoleAdmin, tc.body)
			e := checkError(t, "POST /api/v1/agreements with "+tc.name, r, 422, tandem.EINVALID)
			for _, w := range tc.want {
				if !strings.Contains(e.Error.Message, w) {
					t.Errorf("POST /api/v1/agreements with %s: message\n%s\nwant it to say %q", tc.name, e.Error.Message, w)
				}
			}
		}

		var v1 tandem.AgreementVersion
		ts.call("POST", "/api/v1/agreements", tandem.RoleAdmin, def, 201, &v1)
		sum := sha256.Sum256([]byte(def))
		want := tandem.AgreementVersion{Version: 1, Body: def, SHA256: hex.EncodeToString(sum[:]), CreatedAt: epoch,
			CreatedBy: "token:admin", Signatures: []tandem.Signature{}}
		if diff := cmp.Diff(want, v1); diff != "" {
			t.Errorf("POST /api/v1/agreements (-want +got):\n%s", diff)
		}
		var got tandem.AgreementVersion
		ts.call("GET", "/api/v1/agreements/1", tandem.RoleSalesRep, "", 200, &got)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("GET /api/v1/agreements/1 (-want +got):\n%s", diff)
		}
		checkError(t, "GET /api/v1/agreement before signatures", ts.do("GET", "/api/v1/agreement", tandem.RoleExecutive, ""), 404, tandem.ENOTFOUND)

		// The same file again is the same version: 200, not 201.
		ts.clk.Advance(time.Minute)
		var again tandem.AgreementVersion
		r := ts.call("POST", "/api/v1/agreements", tandem.RoleAdmin, def, 200, &again)
		if again.Version != 1 || !again.CreatedAt.Equal(epoch) {
			t.Errorf("POST the same agreement again = %v; want version 1 as it was", r)
		}

		// Signed, it is in force.
		signDefault(t, ts.db)
		var inForce tandem.AgreementVersion
		ts.call("GET", "/api/v1/agreement", tandem.RoleExecutive, "", 200, &inForce)
		if inForce.Version != 1 || !inForce.InForceFrom.Equal(ts.clk.Now()) || len(inForce.Signatures) != 2 || inForce.Body != def {
			t.Errorf("GET /api/v1/agreement after two signatures = %+v; want version 1 in force from %v with 2 signatures", inForce, ts.clk.Now())
		}

		// A second version waits for its own signatures.
		ts.clk.Advance(time.Minute)
		def2 := strings.Replace(def, "name: Sales and marketing agreement", "name: The second agreement", 1)
		var v2 tandem.AgreementVersion
		ts.call("POST", "/api/v1/agreements", tandem.RoleAdmin, def2, 201, &v2)
		if v2.Version != 2 || v2.Body != def2 {
			t.Errorf("POST a changed agreement = version %d; want version 2 with the new body", v2.Version)
		}
		ts.call("GET", "/api/v1/agreement", tandem.RoleExecutive, "", 200, &inForce)
		if inForce.Version != 1 {
			t.Errorf("GET /api/v1/agreement with version 2 unsigned = version %d; want 1", inForce.Version)
		}
		ts.call("GET", "/api/v1/agreements", tandem.RoleExecutive, "", 200, &list)
		var summary []string
		for _, v := range list.Items {
			summary = append(summary, fmt.Sprintf("v%d signatures=%d in_force=%t body=%q", v.Version, len(v.Signatures), !v.InForceFrom.IsZero(), v.Body))
		}
		wantSummary := []string{`v1 signatures=2 in_force=true body=""`, `v2 signatures=0 in_force=false body=""`}
		if diff := cmp.Diff(wantSummary, summary); diff != "" {
			t.Errorf("GET /api/v1/agreements (-want +got):\n%s", diff)
		}
		for _, n := range []string{"3", "0", "-1", "abc", "1.0", "99999999999999999999"} {
			path := "/api/v1/agreements/" + n
			checkError(t, "GET "+path, ts.do("GET", path, tandem.RoleExecutive, ""), 404, tandem.ENOTFOUND)
		}
		if vs, err := ts.db.AgreementVersions(context.Background()); err != nil || len(vs) != 2 {
			t.Errorf("AgreementVersions() = %d versions, %v; want 2: the rejected files are not stored", len(vs), err)
		}
	})
}
