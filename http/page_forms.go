package http

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/csvimport"
	"github.com/tandemhq/tandem/inbound"
	"github.com/tandemhq/tandem/sqldb"
)

// Website forms (docs/integrations.md, "Website forms"): POST /f/{form}
// takes a form posted by a browser from the company's own site (urlencoded
// or multipart) or sent as JSON, and OPTIONS /f/{form} answers the CORS
// preflight of a script's post. The route is public; what guards it is the
// form's allowed origins (a browser's post from any other site is
// refused), its per-address rate limit and its honeypot. The server's
// cross-origin protection lets /f/ through to this file (see Handler),
// which applies the same check with the form's origins trusted.

// maxFormBytes bounds a form's body: a contact form is a few kilobytes.
const maxFormBytes = 64 << 10

// formLimiter holds the posts of each (form, client address), as the
// sign-in throttle holds attempts (throttle.go): bounded in memory.
type formLimiter struct {
	mu    sync.Mutex
	addrs *table[*formBucket]
	// mappings caches the forms' compiled mappings by their settings.
	mappings sync.Map // string -> *csvimport.Mapping
	nmaps    int
	// forms caches the forms by name for formKept, so that a busy form
	// is not read for every post; the settings page forgets them when it
	// changes one (another replica sees a change within formKept).
	forms map[string]keptForm
}

// formKept is how long a form read from the store is used.
const formKept = 5 * time.Second

type keptForm struct {
	form inbound.Form
	at   time.Time
}

// form returns the form with the name, from the cache or the store.
func (s *Server) form(r *http.Request, name string) (inbound.Form, error) {
	l, now := s.formLimits, time.Now()
	l.mu.Lock()
	k, ok := l.forms[name]
	l.mu.Unlock()
	if ok && now.Sub(k.at) < formKept {
		return k.form, nil
	}
	f, err := s.DB.Form(r.Context(), name)
	if err != nil {
		return f, err
	}
	l.mu.Lock()
	if l.forms == nil || len(l.forms) > 1000 {
		l.forms = map[string]keptForm{}
	}
	l.forms[name] = keptForm{f, now}
	l.mu.Unlock()
	return f, nil
}

// forget drops the cached forms, after the settings page changed one.
func (l *formLimiter) forget() {
	l.mu.Lock()
	l.forms = nil
	l.mu.Unlock()
}

type formBucket struct {
	lim    *rate.Limiter
	logged time.Time // when a refusal of this address was last recorded
}

func newFormLimiter() *formLimiter {
	return &formLimiter{addrs: newTable[*formBucket](50000, 10*time.Minute)}
}

// allow takes one post of the form from addr at now. ok is false when the
// address is over the form's limit; record says whether to record the
// refusal, at most once a minute per address, so that a flood is not
// written row by row.
func (l *formLimiter) allow(f inbound.Form, addr string, now time.Time) (ok, record bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	key := strconv.FormatInt(f.ID, 10) + "\x00" + strconv.Itoa(f.PerMinute) + "\x00" + addr
	b, found := l.addrs.get(key, now)
	if !found {
		b = &formBucket{lim: rate.NewLimiter(rate.Every(time.Minute/time.Duration(f.PerMinute)), f.PerMinute)}
	}
	l.addrs.put(key, b, now)
	if b.lim.AllowN(now, 1) {
		return true, false
	}
	if now.Sub(b.logged) >= time.Minute {
		b.logged = now
		return false, true
	}
	return false, false
}

// mapping returns the form's compiled mapping, checked once per version
// of its settings.
func (l *formLimiter) mapping(f inbound.Form) (*csvimport.Mapping, error) {
	b, _ := json.Marshal(f)
	key := string(b)
	if m, ok := l.mappings.Load(key); ok {
		return m.(*csvimport.Mapping), nil
	}
	m, err := f.Check()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	if l.nmaps++; l.nmaps > 1000 { // settings changed many times: start again
		l.mappings.Clear()
		l.nmaps = 0
	}
	l.mu.Unlock()
	l.mappings.Store(key, m)
	return m, nil
}

// wantsJSON reports whether the poster reads JSON: a script posting JSON
// or asking for it, rather than a browser's form.
func wantsJSON(r *http.Request) bool {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return ct == "application/json" || strings.Contains(r.Header.Get("Accept"), "application/json")
}

// formOrigin applies the cross-origin check to a post of the form: a
// browser's post from another origin passes only from one of the form's
// origins. It returns why the post is refused, or "".
func formOrigin(f inbound.Form, r *http.Request) string {
	cop := http.NewCrossOriginProtection()
	for _, o := range f.Origins {
		if err := cop.AddTrustedOrigin(o); err != nil {
			continue // checked when saved
		}
	}
	if err := cop.Check(r); err != nil {
		o := r.Header.Get("Origin")
		if o == "" {
			o = "another site (" + r.Header.Get("Sec-Fetch-Site") + ")"
		}
		return "posted from " + o + ", which is not one of the form's origins"
	}
	return ""
}

// corsHeaders lets a script on one of the form's origins read the answer.
func corsHeaders(w http.ResponseWriter, f inbound.Form, r *http.Request) {
	w.Header().Add("Vary", "Origin")
	if o := r.Header.Get("Origin"); f.Allows(o) {
		w.Header().Set("Access-Control-Allow-Origin", o)
	}
}

// optionsForm answers the CORS preflight of a script on one of the form's
// origins; any other origin gets no CORS headers, and its browser will not
// send the post.
func (s *Server) optionsForm(w http.ResponseWriter, r *http.Request) error {
	f, err := s.form(r, r.PathValue("form"))
	if err != nil {
		return err
	}
	corsHeaders(w, f, r)
	if f.Allows(r.Header.Get("Origin")) {
		w.Header().Set("Access-Control-Allow-Methods", "POST")
		w.Header().Set("Access-Control-Allow-Headers", "Content-Type, Idempotency-Key")
		w.Header().Set("Access-Control-Max-Age", "600")
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// formAnswer is the JSON answer to a post.
type formAnswer struct {
	Status       string    `json:"status"` // accepted or refused
	SubmissionID string    `json:"submission_id,omitempty"`
	LeadID       int64     `json:"lead_id,omitempty"`
	Repeated     bool      `json:"repeated,omitempty"`
	Error        *apiError `json:"error,omitempty"`
}

// postForm takes a post of a website form. See the top of this file.
func (s *Server) postForm(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f, err := s.form(r, r.PathValue("form"))
	if err != nil {
		return s.formRefused(w, r, err)
	}
	corsHeaders(w, f, r)
	post := sqldb.Post{Addr: s.client(r).Addr.String(), Origin: r.Header.Get("Origin")}
	if len(post.Origin) > 200 {
		post.Origin = post.Origin[:200]
	}
	if ok, record := s.formLimits.allow(f, post.Addr, s.DB.Now()); !ok {
		if record {
			if err := s.DB.RefuseForm(ctx, f, post, fmt.Sprintf("over the form's limit of %d posts a minute from %s (later posts of this minute are not listed)", f.PerMinute, post.Addr)); err != nil {
				return err
			}
		}
		w.Header().Set("Retry-After", "60")
		return s.formRefused(w, r, tandem.Errorf(codeTooMany, "too many posts from your address: try again in a minute"))
	}
	if why := formOrigin(f, r); why != "" {
		if err := s.DB.RefuseForm(ctx, f, post, why); err != nil {
			return err
		}
		return s.formRefused(w, r, tandem.Errorf(tandem.EFORBIDDEN, "%s", why))
	}
	rec, err := readFormRecord(r)
	if err != nil {
		if code := tandem.ErrorCode(err); code != tandem.EINTERNAL {
			if rerr := s.DB.RefuseForm(ctx, f, post, tandem.ErrorMessage(err)); rerr != nil {
				return rerr
			}
		}
		return s.formRefused(w, r, err)
	}
	post.SubmissionID = rec[inbound.SubmissionField]
	if post.SubmissionID == "" {
		post.SubmissionID = r.Header.Get("Idempotency-Key")
	}
	delete(rec, inbound.SubmissionField)
	if f.Honeypot != "" {
		filled := rec[f.Honeypot] != ""
		delete(rec, f.Honeypot)
		if filled {
			// A bot is told it succeeded, so that it does not learn.
			if err := s.DB.RefuseForm(ctx, f, post, "the honeypot field "+f.Honeypot+" was filled: a bot"); err != nil {
				return err
			}
			return s.formTaken(w, r, f, sqldb.Submission{SubmissionID: post.SubmissionID, Status: sqldb.SubmissionAccepted})
		}
	}
	m, err := s.formLimits.mapping(f)
	if err != nil {
		return err // saved forms are checked: a bug
	}
	in, mapErr := inbound.FormLead(m, rec)
	sub, err := s.formPosts.submit(ctx, sqldb.FormPost{Form: f, Post: post, In: in, MapErr: mapErr})
	if err != nil {
		return err
	}
	if sub.Status == sqldb.SubmissionAccepted {
		s.countLeads("form", []sqldb.IntakeResult{{ID: sub.LeadID, Status: sub.LeadStatus}})
	} else {
		s.countLeads("form", []sqldb.IntakeResult{{Status: tandem.StatusRejected}})
	}
	if sub.Status != sqldb.SubmissionAccepted {
		return s.formRefused(w, r, tandem.Errorf(tandem.EINVALID, "%s", sub.Reason))
	}
	return s.formTaken(w, r, f, sub)
}

// readFormRecord reads the post's names and values: urlencoded (already
// parsed by the page wrapper), multipart (files are ignored) or JSON. A
// name given more than once has its values joined with ", ".
func readFormRecord(r *http.Request) (inbound.Record, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	r.Body = http.MaxBytesReader(nil, r.Body, maxFormBytes)
	var values map[string][]string
	switch ct {
	case "application/json":
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, tandem.Errorf(tandem.ETOOLARGE, "the form is over %d KiB", maxFormBytes>>10)
		}
		return inbound.ParseRecord(body)
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			return nil, tandem.Errorf(tandem.EMALFORMED, "the form cannot be read: %v", err)
		}
		values = r.PostForm
	case "multipart/form-data":
		if err := r.ParseMultipartForm(maxFormBytes); err != nil {
			return nil, tandem.Errorf(tandem.EMALFORMED, "the form cannot be read: %v", err)
		}
		values = r.MultipartForm.Value
		if err := checkParams(values, "field"); err != nil {
			return nil, err
		}
	default:
		return nil, tandem.Errorf(tandem.EMALFORMED, "post the form as application/x-www-form-urlencoded, multipart/form-data or application/json, not %q", ct)
	}
	rec := make(inbound.Record, len(values))
	for k, vs := range values {
		rec[k] = strings.Join(vs, ", ")
	}
	return rec, nil
}

// formTaken answers a post the form took: JSON for a script; for a
// browser, the form's redirect or its thank-you text.
func (s *Server) formTaken(w http.ResponseWriter, r *http.Request, f inbound.Form, sub sqldb.Submission) error {
	if wantsJSON(r) {
		status := http.StatusOK
		if sub.LeadStatus == tandem.StatusCreated {
			status = http.StatusCreated
		}
		return writeJSON(w, status, formAnswer{Status: sqldb.SubmissionAccepted, SubmissionID: sub.SubmissionID, LeadID: sub.LeadID, Repeated: sub.Repeated})
	}
	if f.Redirect != "" {
		http.Redirect(w, r, f.Redirect, http.StatusSeeOther)
		return nil
	}
	thanks := f.Thanks
	if thanks == "" {
		thanks = "Thank you: we have your message and will be in touch."
	}
	return writeFormPage(w, http.StatusOK, "Thank you", thanks)
}

// formRefused answers a post the form refused, with why.
func (s *Server) formRefused(w http.ResponseWriter, r *http.Request, err error) error {
	if tandem.ErrorCode(err) == tandem.EINTERNAL {
		return err
	}
	status := statusOf[tandem.ErrorCode(err)]
	if tandem.ErrorCode(err) == codeTooMany {
		status = http.StatusTooManyRequests
	}
	if wantsJSON(r) {
		e := toAPIError(err)
		return writeJSON(w, status, formAnswer{Status: sqldb.SubmissionRefused, Error: &e})
	}
	return writeFormPage(w, status, "Your form was not sent", tandem.ErrorMessage(err)+" Go back, correct it and send it again.")
}

// codeTooMany is the error code of a post over the form's rate limit,
// answered 429 (the API has no such error: only forms are rate-limited).
const codeTooMany = "too_many_requests"

// formPage is the small page a browser sees after posting a form: it is
// not one of the app's pages (the visitor is not signed in).
var formPage = template.Must(template.New("form").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{{.Title}}</title></head>
<body><main><h1>{{.Title}}</h1><p data-testid="form-answer">{{.Text}}</p></main></body></html>
`))

func writeFormPage(w http.ResponseWriter, status int, title, text string) error {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	return formPage.Execute(w, struct{ Title, Text string }{title, text})
}
