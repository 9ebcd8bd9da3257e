package inbound

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tandemhq/tandem"
)

func mustForm(t *testing.T, f Form) Form {
	t.Helper()
	if f.Mapping == "" {
		f.Mapping = DefaultFormMapping
	}
	if f.PerMinute == 0 {
		f.PerMinute = DefaultPerMinute
	}
	return f
}

func TestFormLeads(t *testing.T) {
	f := mustForm(t, Form{Name: "contact", Campaign: "spring", UTM: map[string]string{"utm_source": "site", "utm_medium": "form"}})
	m, err := f.Check()
	if err != nil {
		t.Fatalf("Check(%+v) = %v", f, err)
	}
	ins, errs := Leads(m, []Record{
		{"email": "ines@example.com", "first_name": " Ines ", "utm_source": "newsletter", "message": "call me"},
		{"first_name": "No email"},
		{"email": "bad\xffutf8"},
	})
	want := tandem.LeadInput{
		Fields:  map[string]string{"email": "ines@example.com", "first_name": "Ines", "utm_source": "newsletter", "attributes.message": "call me", "source": "form-contact"},
		Initial: map[string]string{"campaign": "spring", "utm_medium": "form"},
	}
	if errs[0] != nil {
		t.Fatalf("Leads(record 0) = %v; want no error", errs[0])
	}
	if diff := cmp.Diff(want, ins[0]); diff != "" {
		t.Errorf("Leads(record 0) (-want +got):\n%s", diff)
	}
	if errs[1] == nil || !strings.Contains(tandem.ErrorMessage(errs[1]), "email") {
		t.Errorf("Leads(a record without email) error = %v; want one naming email", errs[1])
	}
	if errs[2] == nil || tandem.ErrorCode(errs[2]) != tandem.EINVALID {
		t.Errorf("Leads(a record of bad UTF-8) error = %v; want EINVALID", errs[2])
	}
}

func TestFormCheck(t *testing.T) {
	bad := Form{Name: "Contact Us", Mapping: "kind: deals\nfields:\n  external_id: id\n", Origins: []string{"https://example.com/path", "HTTP://X.COM"},
		Redirect: "javascript:alert(1)", PerMinute: 0, UTM: map[string]string{"utm_nope": "x"}}
	_, err := bad.Check()
	var got []string
	for _, f := range tandem.ErrorFields(err) {
		got = append(got, f.Field)
	}
	want := []string{"name", "origins", "origins", "redirect", "per_minute", "utm", "mapping"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Check(%+v) fields (-want +got):\n%s\n%v", bad, diff, err)
	}
}

func TestSnippet(t *testing.T) {
	f := mustForm(t, Form{Name: "contact", Honeypot: "website"})
	m, err := f.Check()
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	s := f.Snippet("https://tandem.example.com/", m)
	for _, want := range []string{`action="https://tandem.example.com/f/contact"`, `name="email" required`, `name="first_name">`,
		`name="website" tabindex="-1"`, `name="submission_id"`} {
		if !strings.Contains(s, want) {
			t.Errorf("Snippet() lacks %s:\n%s", want, s)
		}
	}
}

// hubspotSig is the v3 signature written out by hand from HubSpot's
// documentation: base64(HMAC-SHA256(secret, method+uri+body+timestamp)).
func hubspotSig(secret, source string) string {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(source))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

func TestVerifyHubSpot(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	ts := "1796644800000" // now in Unix milliseconds
	if got := time.UnixMilli(1796644800000).UTC(); !got.Equal(now) {
		t.Fatalf("the test's timestamp is %v, not now", got)
	}
	body := []byte(`[{"objectId":1}]`)
	uri := "https://tandem.example.com/api/v1/hooks/hubspot"
	sig := hubspotSig("s3cret-s3cret-s3cret", "POST"+uri+string(body)+ts)
	stale := "1796644499000" // 5 minutes and a second before now
	cases := []struct {
		name    string
		secrets []string
		body    string
		sig, ts string
		ok      bool
	}{
		{"good", []string{"s3cret-s3cret-s3cret"}, string(body), sig, ts, true},
		{"second secret of a rotation", []string{"the-new-secret-123", "s3cret-s3cret-s3cret"}, string(body), sig, ts, true},
		{"other secret", []string{"the-new-secret-123"}, string(body), sig, ts, false},
		{"changed body", []string{"s3cret-s3cret-s3cret"}, `[{"objectId":2}]`, sig, ts, false},
		{"unsigned", []string{"s3cret-s3cret-s3cret"}, string(body), "", ts, false},
		{"stale", []string{"s3cret-s3cret-s3cret"}, string(body), hubspotSig("s3cret-s3cret-s3cret", "POST"+uri+string(body)+stale), stale, false},
		{"not a number", []string{"s3cret-s3cret-s3cret"}, string(body), sig, "12a", false},
		{"not base64", []string{"s3cret-s3cret-s3cret"}, string(body), "!!", ts, false},
	}
	for _, c := range cases {
		err := VerifyHubSpot(c.secrets, "POST", uri, []byte(c.body), c.sig, c.ts, now)
		if (err == nil) != c.ok {
			t.Errorf("VerifyHubSpot(%s) = %v; want ok=%v", c.name, err, c.ok)
		}
	}
	if got, want := HubSpotURI("https", "h.example.com", "/api/v1/hooks/x?a=%3A%2F%40"), "https://h.example.com/api/v1/hooks/x?a=:/@"; got != want {
		t.Errorf("HubSpotURI = %q; want %q", got, want)
	}
}

func TestParseHubSpot(t *testing.T) {
	body := `[
	 {"eventId":1,"subscriptionId":9,"portalId":62515,"occurredAt":1796644800000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM"},
	 {"eventId":2,"occurredAt":1796644800001,"subscriptionType":"contact.propertyChange","objectId":123,"propertyName":"email","propertyValue":"ann@example.com"},
	 {"eventId":3,"occurredAt":1796644800002,"subscriptionType":"contact.propertyChange","objectId":123,"propertyName":"lifecyclestage","propertyValue":"marketingqualifiedlead"},
	 {"eventId":4,"occurredAt":1796644800003,"subscriptionType":"deal.propertyChange","objectId":77,"propertyName":"dealstage","propertyValue":"closedwon"},
	 {"eventId":5,"occurredAt":1796644800004,"subscriptionType":"company.creation","objectId":5}
	]`
	p, err := ParseHubSpot([]byte(body))
	if err != nil {
		t.Fatalf("ParseHubSpot: %v", err)
	}
	want := Payload{
		Leads: []Record{{"objectId": "123", "occurredAt": "2026-12-07T12:00:00Z", "email": "ann@example.com", "lifecyclestage": "marketingqualifiedlead"}},
		Deals: []Record{{"objectId": "77", "occurredAt": "2026-12-07T12:00:00Z", "dealstage": "closedwon"}},
	}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("ParseHubSpot (-want +got):\n%s", diff)
	}
	ms, err := Source{Name: "hs", Kind: KindHubSpot, Secrets: []string{"0123456789abcdef"}}.Check()
	if err != nil {
		t.Fatalf("Check(hubspot source) = %v", err)
	}
	ins, errs := Leads(ms.Leads, p.Leads)
	if errs[0] != nil {
		t.Fatalf("Leads(hubspot contact) = %v", errs[0])
	}
	wantLead := map[string]string{"source": "hubspot", "external_id": "123", "email": "ann@example.com", "stage": "mql", "created_at": "2026-12-07T12:00:00Z"}
	if diff := cmp.Diff(wantLead, ins[0].Fields); diff != "" {
		t.Errorf("Leads(hubspot contact) fields (-want +got):\n%s", diff)
	}
	deals, errs := Deals(ms.Deals, p.Deals)
	if errs[0] != nil {
		t.Fatalf("Deals(hubspot deal) = %v", errs[0])
	}
	if got := deals[0].Fields["stage"]; got != "won" {
		t.Errorf("Deals(hubspot deal) stage = %q; want won", got)
	}
	for _, bad := range []string{`{}`, `[{"objectId":"x1","subscriptionType":"contact.creation"}]`, `[{"objectId":1,"subscriptionType":"contact.propertyChange","propertyName":"email","propertyValue":{"a":1}}]`, `[] []`} {
		if _, err := ParseHubSpot([]byte(bad)); tandem.ErrorCode(err) != tandem.EMALFORMED {
			t.Errorf("ParseHubSpot(%s) = %v; want EMALFORMED", bad, err)
		}
	}
}

func TestParseStandard(t *testing.T) {
	p, err := ParseStandard([]byte(`{"type":"lead.created","timestamp":"2026-12-07T12:00:00Z","data":{"external_id":"L1","email":"a@example.com","score":12,"vip":true,"note":null}}`))
	if err != nil {
		t.Fatalf("ParseStandard: %v", err)
	}
	want := []Record{{"external_id": "L1", "email": "a@example.com", "score": "12", "vip": "true", "note": ""}}
	if diff := cmp.Diff(want, p.Leads); diff != "" {
		t.Errorf("ParseStandard (-want +got):\n%s", diff)
	}
	for _, bad := range []string{`{"type":"x"}`, `{"data":{"a":[1]}}`, `nope`, `{"data":5}`} {
		if _, err := ParseStandard([]byte(bad)); tandem.ErrorCode(err) != tandem.EMALFORMED {
			t.Errorf("ParseStandard(%s) = %v; want EMALFORMED", bad, err)
		}
	}
}
