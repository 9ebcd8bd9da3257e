package inbound

import (
	"strings"
	"testing"
	"time"
)

// FuzzParse feeds any body to both payload readers and maps what they
// return: nothing may panic, and every record maps or says why.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`[{"objectId":1,"subscriptionType":"contact.propertyChange","propertyName":"email","propertyValue":"a@b.c"}]`))
	f.Add([]byte(`{"type":"lead.created","data":[{"external_id":"1","email":"x@y.z"}]}`))
	f.Add([]byte(`{"data":{"external_id":"1","a,b":"\"q\"","=x":"'=1"}}`))
	ms, err := Source{Name: "hs", Kind: KindHubSpot, Secrets: []string{"0123456789abcdef"}}.Check()
	if err != nil {
		f.Fatalf("Check(hubspot) = %v", err)
	}
	std, err := Source{Name: "std", Kind: KindStandard, Secrets: []string{"0123456789abcdef"}}.Check()
	if err != nil {
		f.Fatalf("Check(standard) = %v", err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if p, err := ParseHubSpot(body); err == nil {
			SourceLeads(ms.Leads, p.Leads)
			Deals(ms.Deals, p.Deals)
		}
		if p, err := ParseStandard(body); err == nil {
			ins, errs := SourceLeads(std.Leads, p.Leads)
			for i := range ins {
				if errs[i] == nil && strings.TrimSpace(ins[i].Fields["external_id"]) == "" {
					t.Errorf("Leads(%q) took a record without external_id", p.Leads[i])
				}
			}
		}
	})
}

// FuzzFormPost feeds any JSON body to a form's record reader and mapping,
// and any headers to HubSpot's signature check: nothing may panic, a
// record that maps has its email, and no made-up signature verifies.
func FuzzFormPost(f *testing.F) {
	f.Add([]byte(`{"email":"a@b.c","first_name":"A","x":"'=1+2"}`), "c2ln", "1796644800000")
	f.Add([]byte(`{"email":"","utm_source":"news"}`), "", "")
	m, err := Form{Name: "f", Mapping: DefaultFormMapping, PerMinute: 1, Campaign: "c"}.Check()
	if err != nil {
		f.Fatalf("Check: %v", err)
	}
	now := time.UnixMilli(1796644800000)
	f.Fuzz(func(t *testing.T, body []byte, sig, ts string) {
		if rec, err := ParseRecord(body); err == nil {
			in, err := FormLead(m, rec)
			if err == nil && strings.TrimSpace(in.Fields["email"]) == "" {
				t.Errorf("Leads(%q) took a post without email", rec)
			}
		}
		if err := VerifyHubSpot([]string{"0123456789abcdef"}, "POST", "https://x/api/v1/hooks/h", body, sig, ts, now); err == nil {
			t.Errorf("VerifyHubSpot(%q, %q) verified a made-up signature", sig, ts)
		}
	})
}
