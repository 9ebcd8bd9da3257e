package sqldb_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/access"
	"github.com/tandemhq/tandem/inbound"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

func TestFormSubmissions(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		db, _ := open(t, b)
		ctx := context.Background()
		f, err := db.SaveForm(ctx, inbound.Form{Name: "contact", Mapping: inbound.DefaultFormMapping, Origins: []string{"https://www.example.com"},
			PerMinute: 5, Campaign: "spring"})
		if err != nil {
			t.Fatalf("SaveForm: %v", err)
		}
		if _, err := db.SaveForm(ctx, inbound.Form{Name: "Bad Name", Mapping: inbound.DefaultFormMapping, PerMinute: 5}); tandem.ErrorCode(err) != tandem.EINVALID {
			t.Errorf("SaveForm(bad name) = %v; want EINVALID", err)
		}
		in := tandem.LeadInput{Fields: map[string]string{"email": "ines@example.com", "source": "form-contact"}, Initial: map[string]string{"campaign": "spring"}}
		post := sqldb.Post{SubmissionID: "sub-1", Addr: "192.0.2.1", Origin: "https://www.example.com"}
		first, err := db.SubmitForm(ctx, f, post, in, nil)
		if err != nil {
			t.Fatalf("SubmitForm: %v", err)
		}
		if first.Status != sqldb.SubmissionAccepted || first.LeadID == 0 || first.LeadStatus != tandem.StatusCreated {
			t.Fatalf("SubmitForm(first) = %+v; want accepted, a created lead", first)
		}
		again, err := db.SubmitForm(ctx, f, post, in, nil)
		if err != nil {
			t.Fatalf("SubmitForm(again): %v", err)
		}
		if !again.Repeated || again.LeadID != first.LeadID || again.ID != first.ID {
			t.Errorf("SubmitForm(the same submission id) = %+v; want the first outcome %+v, repeated", again, first)
		}
		l, err := db.Lead(ctx, first.LeadID)
		if err != nil {
			t.Fatalf("Lead(%d): %v", first.LeadID, err)
		}
		if l.Email != "ines@example.com" || l.Campaign != "spring" || l.Source != "form-contact" {
			t.Errorf("the form's lead = %s, %s, %s; want ines@example.com, spring, form-contact", l.Email, l.Campaign, l.Source)
		}
		refused, err := db.SubmitForm(ctx, f, sqldb.Post{SubmissionID: "sub-2"}, tandem.LeadInput{}, tandem.Invalid(tandem.FieldError{Field: "email", Message: "required"}))
		if err != nil || refused.Status != sqldb.SubmissionRefused || refused.Reason != "email: required" {
			t.Errorf("SubmitForm(a mapping error) = %+v, %v; want refused for \"email: required\"", refused, err)
		}
		if err := db.RefuseForm(ctx, f, sqldb.Post{Addr: "192.0.2.9"}, "the honeypot field website was filled"); err != nil {
			t.Fatalf("RefuseForm: %v", err)
		}
		ss, err := db.Submissions(ctx, f.ID, 10)
		if err != nil {
			t.Fatalf("Submissions: %v", err)
		}
		var got []string
		for _, s := range ss {
			got = append(got, s.Status+" "+s.Reason)
		}
		want := []string{"refused the honeypot field website was filled", "refused email: required", "accepted "}
		if len(got) != len(want) {
			t.Fatalf("Submissions = %q; want %q", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("Submissions[%d] = %q; want %q", i, got[i], want[i])
			}
		}
		forms, err := db.Forms(ctx)
		if err != nil || len(forms) != 1 || forms[0].Campaign != "spring" || forms[0].Origins[0] != "https://www.example.com" {
			t.Errorf("Forms() = %+v, %v; want the contact form as saved", forms, err)
		}
		if err := db.DeleteForm(ctx, "contact"); err != nil {
			t.Errorf("DeleteForm: %v", err)
		}
		if _, err := db.Form(ctx, "contact"); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("Form(deleted) = %v; want ENOTFOUND", err)
		}
	})
}

func TestHookDeliveries(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		db, clk := open(t, b)
		ctx := context.Background()
		src, err := db.SaveSource(ctx, inbound.Source{Name: "hubspot", Kind: inbound.KindHubSpot, Secrets: []string{"0123456789abcdef-secret"}})
		if err != nil {
			t.Fatalf("SaveSource: %v", err)
		}
		in := tandem.LeadInput{Fields: map[string]string{"source": "hubspot", "external_id": "123", "email": "ann@example.com"}}
		rs, err := db.DeliverLeads(ctx, src, "msg-1", []tandem.LeadInput{in, {}}, []error{nil, tandem.Errorf(tandem.EINVALID, "no objectId")})
		if err != nil {
			t.Fatalf("DeliverLeads: %v", err)
		}
		if rs[0].Status != tandem.StatusCreated || rs[1].Status != tandem.StatusRejected {
			t.Errorf("DeliverLeads = %v; want created, rejected", statuses(rs))
		}
		if _, err := db.DeliverLeads(ctx, src, "msg-1", []tandem.LeadInput{in}, []error{nil}); tandem.ErrorCode(err) != tandem.EUNAUTHORIZED {
			t.Errorf("DeliverLeads(the same message id) = %v; want EUNAUTHORIZED (a replay)", err)
		}
		// Past the time ids are kept, the id is forgotten.
		clk.Advance(sqldb.DeliveryKept + time.Second)
		rs, err = db.DeliverLeads(ctx, src, "msg-1", []tandem.LeadInput{in}, []error{nil})
		if err != nil || rs[0].Status != tandem.StatusUnchanged {
			t.Errorf("DeliverLeads(msg-1 after %v) = %v, %v; want unchanged", sqldb.DeliveryKept, statuses(rs), err)
		}
		l, err := db.Lead(ctx, rs[0].ID)
		if err != nil || l.Email != "ann@example.com" {
			t.Errorf("Lead(%d) = %+v, %v; want ann@example.com", rs[0].ID, l.Email, err)
		}
		got, err := db.Source(ctx, "hubspot")
		if err != nil || len(got.Secrets) != 1 || got.Secrets[0] != "0123456789abcdef-secret" {
			t.Errorf("Source(hubspot) = %+v, %v; want its secret kept", got, err)
		}
	})
}

func TestScopedTokens(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		db, clk := open(t, b)
		ctx := context.Background()
		tok, secret, err := db.CreateScopedToken(ctx, sqldb.TokenSpec{Name: "site", Role: tandem.RoleMarketing,
			Scopes: []access.TokenScope{access.ScopeLeadsWrite, access.ScopeLeadsRead}, ExpiresAt: clk.Now().Add(48 * time.Hour)})
		if err != nil {
			t.Fatalf("CreateScopedToken: %v", err)
		}
		got, err := db.Authenticate(ctx, secret)
		if err != nil {
			t.Fatalf("Authenticate: %v", err)
		}
		if len(got.Scopes) != 2 || got.Scopes[0] != "leads:write" || got.Scopes[1] != "leads:read" || !got.ExpiresAt.Equal(tok.ExpiresAt) {
			t.Errorf("Authenticate = scopes %q, expires %v; want [leads:write leads:read], %v", got.Scopes, got.ExpiresAt, tok.ExpiresAt)
		}
		clk.Advance(48 * time.Hour)
		if _, err := db.Authenticate(ctx, secret); tandem.ErrorCode(err) != tandem.EUNAUTHORIZED {
			t.Errorf("Authenticate(an expired token) = %v; want EUNAUTHORIZED", err)
		}
		if _, _, err := db.CreateScopedToken(ctx, sqldb.TokenSpec{Name: "old", Role: tandem.RoleMarketing, ExpiresAt: clk.Now().Add(-time.Hour)}); tandem.ErrorCode(err) != tandem.EINVALID {
			t.Errorf("CreateScopedToken(expired already) = %v; want EINVALID", err)
		}
		if _, _, err := db.CreateScopedToken(ctx, sqldb.TokenSpec{Name: "odd", Role: tandem.RoleMarketing, Scopes: []access.TokenScope{"leads:delete"}}); tandem.ErrorCode(err) != tandem.EINVALID {
			t.Errorf("CreateScopedToken(an unknown scope) = %v; want EINVALID", err)
		}
	})
}

// TestSubmitFormsBatch sends posts of two forms in one batch, one of them
// twice (the same submission id): one lead each, the repeat answered from
// the first, a refusal kept apart.
func TestSubmitFormsBatch(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		db, _ := open(t, b)
		ctx := context.Background()
		var forms []inbound.Form
		for _, name := range []string{"a", "b"} {
			f, err := db.SaveForm(ctx, inbound.Form{Name: name, Mapping: inbound.DefaultFormMapping, PerMinute: 5})
			if err != nil {
				t.Fatalf("SaveForm(%s): %v", name, err)
			}
			forms = append(forms, f)
		}
		lead := func(email string) tandem.LeadInput {
			return tandem.LeadInput{Fields: map[string]string{"email": email}}
		}
		ss, err := db.SubmitForms(ctx, []sqldb.FormPost{
			{Form: forms[0], Post: sqldb.Post{SubmissionID: "x"}, In: lead("one@example.com")},
			{Form: forms[1], Post: sqldb.Post{SubmissionID: "x"}, In: lead("two@example.com")},
			{Form: forms[0], Post: sqldb.Post{SubmissionID: "x"}, In: lead("one@example.com")},
			{Form: forms[0], MapErr: tandem.Errorf(tandem.EINVALID, "no email")},
		})
		if err != nil {
			t.Fatalf("SubmitForms: %v", err)
		}
		got := make([]string, len(ss))
		for i, s := range ss {
			got[i] = fmt.Sprintf("%s repeated=%t lead=%t", s.Status, s.Repeated, s.LeadID != 0)
		}
		want := []string{"accepted repeated=false lead=true", "accepted repeated=false lead=true", "accepted repeated=true lead=true", "refused repeated=false lead=false"}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("SubmitForms post %d = %s; want %s", i, got[i], want[i])
			}
		}
		if ss[2].LeadID != ss[0].LeadID || ss[1].LeadID == ss[0].LeadID {
			t.Errorf("leads = %d, %d, %d; want the repeat on the first's lead and the other form's apart", ss[0].LeadID, ss[1].LeadID, ss[2].LeadID)
		}
		for i, f := range forms {
			n, err := db.Submissions(ctx, f.ID, 10)
			if want := []int{2, 1}[i]; err != nil || len(n) != want {
				t.Errorf("Submissions(%s) = %d, %v; want %d (a repeat is not listed again)", f.Name, len(n), err, want)
			}
		}
	})
}
