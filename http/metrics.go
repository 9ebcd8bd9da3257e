package http

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb"
)

// getMetrics serves the metrics (package metrics) in Prometheus' text
// format to a scraper that sends the metrics token as a bearer token. With
// no token set, the metrics are not served here (serve may still serve
// them on --metrics-addr of their own), and the route answers 404.
func (s *Server) getMetrics(w http.ResponseWriter, r *http.Request) error {
	if s.Metrics == nil || s.MetricsToken == "" {
		return tandem.Errorf(tandem.ENOTFOUND, "metrics are not served on this address (see tandem serve --metrics-token and --metrics-addr)")
	}
	got, _ := cutPrefixFold(r.Header.Get("Authorization"), "Bearer ")
	// Hashes of equal length keep the comparison's time independent of
	// the token's length.
	a, b := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(s.MetricsToken))
	if subtle.ConstantTimeCompare(a[:], b[:]) != 1 {
		w.Header().Set("WWW-Authenticate", `Bearer realm="tandem metrics"`)
		http.Error(w, "send the metrics token: Authorization: Bearer TOKEN (tandem serve --metrics-token)", http.StatusUnauthorized)
		return nil
	}
	s.Metrics.Handler().ServeHTTP(w, r)
	return nil
}

// countLeads counts the leads an intake took by path (tandem_leads_taken_total):
// each result by its status, a rejected one as rejected.
func (s *Server) countLeads(path string, rs []sqldb.IntakeResult) {
	if s.Metrics == nil {
		return
	}
	for _, r := range rs {
		status := r.Status
		if r.Err != nil || status == "" {
			status = tandem.StatusRejected
		}
		s.Metrics.LeadsTaken(path, status, 1)
	}
}

// countLeadStatus counts one lead an intake took by path with its status.
func (s *Server) countLeadStatus(path, status string) {
	if s.Metrics != nil {
		s.Metrics.LeadsTaken(path, status, 1)
	}
}
