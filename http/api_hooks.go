package http

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/inbound"
	"github.com/tandemhq/tandem/sqldb"
)

// Inbound webhooks (docs/integrations.md, "Inbound webhooks"):
// POST /api/v1/hooks/{source} takes what a source pushes, signed per the
// Standard Webhooks specification or HubSpot's v3 signature, as the
// source's kind says. The route takes no token: the signature is the
// credential. An unsigned, badly signed, stale or replayed request is
// answered 401 and changes nothing.

// signedRoutes are the public routes whose credential is a signature: they
// answer 401 to an unsigned request, as a route with roles does to a
// request without a token.
var signedRoutes = map[string]bool{"POST /api/v1/hooks/{source}": true}

// hookResult is one record's outcome in the answer.
type hookResult struct {
	Index  int       `json:"index"`
	ID     int64     `json:"id,omitempty"`
	Status string    `json:"status"`
	Error  *apiError `json:"error,omitempty"`
}

// hookAnswer is the answer to a delivery: leads' and deals' outcomes.
type hookAnswer struct {
	MessageID string       `json:"message_id"`
	Leads     []hookResult `json:"leads"`
	Deals     []hookResult `json:"deals"`
}

func (s *Server) postHook(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	src, err := s.DB.Source(ctx, r.PathValue("source"))
	if err != nil {
		return err
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	now := s.DB.Now()
	var (
		id string
		p  inbound.Payload
	)
	switch src.Kind {
	case inbound.KindHubSpot:
		scheme := "http"
		if s.client(r).HTTPS {
			scheme = "https"
		}
		sig := r.Header.Get(inbound.HubSpotSignatureHeader)
		uri := inbound.HubSpotURI(scheme, r.Host, r.URL.RequestURI())
		if err := inbound.VerifyHubSpot(src.Secrets, r.Method, uri, body, sig, r.Header.Get(inbound.HubSpotTimestampHeader), now); err != nil {
			return unsigned(w, err)
		}
		// HubSpot sends no message id: a replay is the same signed
		// request, whose signature is its id.
		sum := sha256.Sum256([]byte(sig))
		id = "hubspot-v3:" + hex.EncodeToString(sum[:16])
		p, err = inbound.ParseHubSpot(body)
	default:
		if id, err = verifyStandard(r.Header, body, now, src.Secrets); err != nil {
			return unsigned(w, err)
		}
		p, err = inbound.ParseStandard(body)
	}
	if err != nil {
		return err
	}
	ms, err := s.formLimits.sourceMappings(src)
	if err != nil {
		return err
	}
	ans := hookAnswer{MessageID: id, Leads: []hookResult{}, Deals: []hookResult{}}
	recorded := false
	if len(p.Leads) > 0 || len(p.Deals) == 0 {
		ins, errs := inbound.SourceLeads(ms.Leads, p.Leads)
		rs, err := s.DB.DeliverLeads(ctx, src, id, ins, errs)
		if err != nil {
			if tandem.ErrorCode(err) == tandem.EUNAUTHORIZED {
				return unsigned(w, err)
			}
			return err
		}
		recorded = true
		ans.Leads = hookResults(rs)
		s.countLeads("hook", rs)
	}
	if len(p.Deals) > 0 && ms.Deals != nil {
		ins, errs := inbound.Deals(ms.Deals, p.Deals)
		rs, err := s.DB.DeliverDeals(ctx, src, id, recorded, ins, errs)
		if err != nil {
			if tandem.ErrorCode(err) == tandem.EUNAUTHORIZED {
				return unsigned(w, err)
			}
			return err
		}
		ans.Deals = hookResults(rs)
	}
	return writeJSON(w, http.StatusOK, ans)
}

// unsigned answers 401 for a request whose signature does not hold.
func unsigned(w http.ResponseWriter, err error) error {
	w.Header().Set("WWW-Authenticate", `Signature realm="tandem"`)
	if tandem.ErrorCode(err) == tandem.EUNAUTHORIZED {
		return err
	}
	return tandem.Errorf(tandem.EUNAUTHORIZED, "%v", err)
}

func hookResults(rs []sqldb.IntakeResult) []hookResult {
	out := make([]hookResult, len(rs))
	for i, r := range rs {
		out[i] = hookResult{Index: i, ID: r.ID, Status: r.Status}
		if r.Err != nil {
			out[i].Error = ptr(toAPIError(r.Err))
		}
	}
	return out
}

// sourceMappings returns the source's compiled mappings, checked once per
// version of its settings.
func (l *formLimiter) sourceMappings(src inbound.Source) (inbound.Mappings, error) {
	key := "source\x00" + strconv.FormatInt(src.ID, 10) + "\x00" + src.Kind + "\x00" + src.Mapping + "\x00" + src.DealMapping
	if m, ok := l.mappings.Load(key); ok {
		return m.(inbound.Mappings), nil
	}
	ms, err := src.Check()
	if err != nil {
		return ms, err
	}
	l.mappings.Store(key, ms)
	return ms, nil
}

// listForms answers GET /api/v1/forms: every website form's settings.
func (s *Server) listForms(w http.ResponseWriter, r *http.Request) error {
	fs, err := s.DB.Forms(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"forms": fs})
}

// getFormSubmissions answers GET /api/v1/forms/{form}/submissions: the
// form's latest posts, newest first (limit: 1 to 1000, default 100).
func (s *Server) getFormSubmissions(w http.ResponseWriter, r *http.Request) error {
	limit := 100
	for name, vs := range r.URL.Query() {
		if name != "limit" {
			return tandem.Invalid(tandem.FieldError{Field: name, Message: "not a parameter of this request (limit)"})
		}
		n, err := strconv.Atoi(vs[len(vs)-1])
		if err != nil || n < 1 || n > 1000 {
			return tandem.Invalid(tandem.FieldError{Field: "limit", Message: "a whole number from 1 to 1000"})
		}
		limit = n
	}
	f, err := s.DB.Form(r.Context(), r.PathValue("form"))
	if err != nil {
		return err
	}
	ss, err := s.DB.Submissions(r.Context(), f.ID, limit)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"form": f.Name, "submissions": ss})
}
