// Package sim makes realistic, reproducible data for Tandem: the same seed
// always gives the same company. The demo and the benchmarks use it.
package sim

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
)

var (
	firstNames = []string{"Ana", "Ben", "Carla", "Dev", "Elif", "Femi", "Greta", "Hiro", "Ines", "Jon", "Kemal", "Lena", "Mateo", "Nora", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Vera", "Wei", "Yara", "Zoe"}
	lastNames  = []string{"Silva", "Okafor", "Novak", "Schmidt", "Tanaka", "Haddad", "Kowalski", "Moreau", "Rossi", "Jensen", "Costa", "Nguyen", "Patel", "Garcia", "Müller", "Andersen", "Byrne", "Dubois", "Ivanova", "Lopez"}
	companyA   = []string{"North", "Blue", "Bright", "Iron", "Green", "Swift", "Clear", "Prime", "Open", "True", "Silver", "Red"}
	companyB   = []string{"Harbor", "Peak", "Field", "Stone", "Wave", "Bridge", "Forge", "Grove", "Lake", "Path", "Works", "Labs"}
	titles     = []string{"Head of Operations", "CFO", "IT Manager", "Procurement Lead", "Marketing Director", "Founder", "VP Sales", "Office Manager", "CTO", "Analyst"}
	countries  = []string{"US", "US", "US", "CA", "GB", "DE", "BR", "FR", "NL", "AU"}
	segments   = []string{"smb", "smb", "smb", "mid_market", "mid_market", "enterprise"}
	// origins are weighted roughly like a B2B inbound mix.
	origins   = []string{"organic_search", "organic_search", "organic_search", "paid_search", "paid_search", "social", "social", "email", "referral", "direct_traffic", "display", "other"}
	campaigns = []string{"spring-webinar", "pricing-guide", "retargeting-q2", "partner-summit", "newsletter", "product-launch", "free-trial", "case-study-pack"}
	mediums   = map[string]string{"organic_search": "organic", "paid_search": "cpc", "social": "social", "email": "email", "referral": "referral", "display": "display"}
	sources   = map[string]string{"organic_search": "google", "paid_search": "google", "social": "linkedin", "email": "newsletter", "referral": "partner", "display": "adnet"}
)

// Leads returns n lead inputs made from the seed, with external ids
// "sim-SEED-1" onwards, created over the year before until.
func Leads(seed uint64, n int, until time.Time) []tandem.LeadInput {
	r := rand.New(rand.NewPCG(seed, 0x7a6e))
	out := make([]tandem.LeadInput, n)
	for i := range out {
		out[i] = Lead(r, fmt.Sprintf("sim-%d-%d", seed, i+1), until)
	}
	return out
}

// Lead makes one realistic lead input with the external id.
func Lead(r *rand.Rand, externalID string, until time.Time) tandem.LeadInput {
	first, last := pick(r, firstNames), pick(r, lastNames)
	company := pick(r, companyA) + " " + pick(r, companyB)
	domain := strings.ToLower(strings.ReplaceAll(company, " ", "")) + ".example"
	origin := pick(r, origins)
	created := until.Add(-time.Duration(r.Int64N(int64(365 * 24 * time.Hour)))).Truncate(time.Second)
	f := map[string]string{
		"source":                   "web",
		"external_id":              externalID,
		"email":                    strings.ToLower(first+"."+strings.ReplaceAll(last, "ü", "u")) + "@" + domain,
		"first_name":               first,
		"last_name":                last,
		"company":                  company,
		"title":                    pick(r, titles),
		"phone":                    fmt.Sprintf("+1-555-%04d", r.IntN(10000)),
		"country":                  pick(r, countries),
		"segment":                  pick(r, segments),
		"origin":                   origin,
		"score":                    strconv.Itoa(scoreFor(r)),
		"created_at":               created.Format(time.RFC3339),
		"landing_page":             "/lp/" + pick(r, campaigns),
		"attributes.employees":     strconv.Itoa(5 + r.IntN(2000)),
		"attributes.first_visited": created.Add(-time.Duration(r.IntN(72)) * time.Hour).Format("2006-01-02"),
	}
	if origin != "organic_search" && origin != "direct_traffic" && origin != "other" {
		c := pick(r, campaigns)
		f["campaign"] = c
		f["utm_campaign"] = c
		f["utm_source"] = sources[origin]
		f["utm_medium"] = mediums[origin]
	}
	return tandem.LeadInput{Fields: f}
}

// scoreFor draws a lead score: most leads are cold, a third qualify.
func scoreFor(r *rand.Rand) int {
	s := int(r.NormFloat64()*18 + 48)
	return max(0, min(100, s))
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// Pick returns one of xs, drawn from r.
func Pick[T any](r *rand.Rand, xs []T) T { return pick(r, xs) }
