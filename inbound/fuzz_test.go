package inbound

import (
	"testing"
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
			Leads(ms.Leads, p.Leads)
			Deals(ms.Deals, p.Deals)
		}
		if p, err := ParseStandard(body); err == nil {
			ins, errs := Leads(std.Leads, p.Leads)
			for i := range ins {
				if errs[i] == nil && ins[i].Fields["external_id"] == "" {
					t.Errorf("Leads(%q) took a record without external_id", p.Leads[i])
				}
			}
		}
	})
}
