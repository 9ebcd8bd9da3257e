package http

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/web"
)

// The web app's pages share the route table, and its roles, with the API.
// What differs is how a caller proves who they are (a session cookie, not a
// bearer token) and how errors look (a page, or a redirect to sign in, not
// JSON). A route is a page unless its path is under /api/ or is /healthz.

// sessionCookie holds the secret of the browser's session; the database
// keeps only its hash.
const sessionCookie = "tandem_session"

// isPage reports whether the route serves the web app rather than the API.
func (rt route) isPage() bool {
	_, path, _ := strings.Cut(rt.pattern, " ")
	return isPagePath(path)
}

func isPagePath(p string) bool { return !strings.HasPrefix(p, "/api/") && p != "/healthz" }

type userKey struct{}

// viewer returns the signed-in user of a page request; zero outside pages.
func viewer(r *http.Request) tandem.User {
	u, _ := r.Context().Value(userKey{}).(tandem.User)
	return u
}

// withViewer puts the signed-in user in the request's context, as the
// user and, for the handlers the API and the pages share, as a token that
// acts for the user.
func withViewer(r *http.Request, u tandem.User) *http.Request {
	ctx := context.WithValue(r.Context(), userKey{}, u)
	tok := tandem.Token{Name: "web", Role: u.Role, UserID: u.ID, UserEmail: u.Email}
	ctx = context.WithValue(ctx, ctxKey{}, tok)
	return r.WithContext(sqldb.WithActor(ctx, tok.Actor()))
}

// wrapPage is [Server.wrap] for a page.
func (s *Server) wrapPage(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil && v != http.ErrAbortHandler {
				s.Logger.Error("panic", "method", r.Method, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				s.errorPage(w, r, http.StatusInternalServerError, "Something went wrong", "internal error")
			}
		}()
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		pageHeaders(w)
		if rt.roles != nil {
			u, err := s.signedIn(r)
			if err != nil {
				s.toLogin(w, r, err)
				return
			}
			r = s.withUnread(withViewer(r, u), u)
			if !allowed(rt.roles, u.Role) {
				s.errorPage(w, r, http.StatusForbidden, "Not for your role",
					"Your role ("+strings.ReplaceAll(string(u.Role), "_", " ")+") may not open this page.")
				return
			}
		}
		if err := readForm(r); err != nil {
			s.pageError(w, r, err)
			return
		}
		b := newBuffered(w)
		if err := rt.handler(b, r); err != nil {
			s.pageError(w, r, err)
			return
		}
		b.send()
	})
}

// readForm reads a page request's query and, for a posted form, its
// fields, and refuses a name or a value that is not valid UTF-8 text,
// naming it. (A multipart form, the import page's upload, is read by its
// handler; csvimport checks the file.)
func readForm(r *http.Request) error {
	if err := checkParams(r.URL.Query(), "parameter"); err != nil {
		return err
	}
	ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
	if r.Method != http.MethodPost || strings.TrimSpace(strings.ToLower(ct)) != "application/x-www-form-urlencoded" {
		return nil
	}
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return err
		}
		return tandem.Errorf(tandem.EMALFORMED, "the form cannot be read: %v", err)
	}
	return checkParams(r.PostForm, "field")
}

// contentSecurityPolicy lets a page load script and style from Tandem
// itself only, and be framed by nobody.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"

// pageHeaders are the headers of every page: never cached (it shows who
// is signed in), never framed, and no script or style from anywhere but
// Tandem itself.
func pageHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
}

// signedIn returns the user of the request's session, or EUNAUTHORIZED.
func (s *Server) signedIn(r *http.Request) (tandem.User, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return tandem.User{}, tandem.Errorf(tandem.EUNAUTHORIZED, "sign in to see this page")
	}
	_, u, err := s.DB.Session(r.Context(), c.Value)
	return u, err
}

// toLogin sends a browser without a live session to the sign-in page,
// which then brings it back. A request for a page fragment (htmx) is told
// to load the sign-in page in full.
func (s *Server) toLogin(w http.ResponseWriter, r *http.Request, err error) {
	if tandem.ErrorCode(err) != tandem.EUNAUTHORIZED {
		s.pageError(w, r, err)
		return
	}
	q := url.Values{}
	next := "/"
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		next = r.URL.RequestURI()
	}
	if next != "/" {
		q.Set("next", next)
	}
	if c, cerr := r.Cookie(sessionCookie); cerr == nil && c.Value != "" {
		// A cookie that no longer signs anyone in: say why, and drop it.
		if strings.Contains(tandem.ErrorMessage(err), "expired") {
			q.Set("ended", "expired")
		} else {
			q.Set("ended", "signed-out")
		}
		s.clearSessionCookie(w, r)
	}
	target := "/login"
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	if r.Header.Get("HX-Request") == "true" {
		w.Header().Set("HX-Redirect", target)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// localPath returns next if it is a path on this site, and "/" otherwise,
// so that the sign-in page cannot be used to send people elsewhere.
func localPath(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.ContainsAny(next, "\\\r\n\t\x00") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return next
}

// setSessionCookie sets the session cookie, Secure whenever the browser's
// request was HTTPS, directly or through a trusted proxy ([Server.client]).
func (s *Server) setSessionCookie(w http.ResponseWriter, r *http.Request, secret string) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: secret, Path: "/", HttpOnly: true,
		Secure: s.client(r).HTTPS, SameSite: http.SameSiteLaxMode, MaxAge: int(tandem.MaxSessionAge / time.Second)})
}

func (s *Server) clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true,
		Secure: s.client(r).HTTPS, SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// page is what every template gets.
type page struct {
	Title  string
	User   *tandem.User // nil when nobody is signed in
	Nav    []navItem
	Notice string // what just succeeded
	Error  string // what just failed, in words for the person
	// Email and Next refill the sign-in and setup forms.
	Email string
	Next  string
	Data  any // the page's own
	// unread counts the viewer's unread notifications ([page.Unread]).
	unread func() int
}

// newPage starts a page for the request's viewer, if any.
func newPage(r *http.Request, title string) page {
	p := page{Title: title}
	if u := viewer(r); u.ID != 0 {
		p.User = &u
		p.Nav = nav(u.Role, r.URL.Path)
		p.unread, _ = r.Context().Value(unreadKey{}).(func() int)
	}
	return p
}

func (s *Server) render(w http.ResponseWriter, status int, name string, p page) error {
	return s.templates.Render(w, status, name, p)
}

// pageError answers a page's error with a page in words: a request that
// needs a session goes to sign in; an internal error is logged and shown as
// "internal error".
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, err error) {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		err = tandem.Errorf(tandem.ETOOLARGE, "the form is over %d MiB", MaxBodyBytes>>20)
	}
	code := tandem.ErrorCode(err)
	switch code {
	case tandem.EUNAUTHORIZED:
		s.toLogin(w, r, err)
		return
	case tandem.EINTERNAL:
		s.Logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	titles := map[string]string{tandem.ENOTFOUND: "Not found", tandem.EFORBIDDEN: "Not allowed", tandem.EINTERNAL: "Something went wrong"}
	title, ok := titles[code]
	if !ok {
		title = "That did not work"
	}
	s.errorPage(w, r, statusOf[code], title, errorText(err))
}

// errorText says what went wrong, for a page: the error's message, each
// field named by its label (web.FieldLabel) rather than as stored.
func errorText(err error) string {
	var e *tandem.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return tandem.ErrorMessage(err)
	}
	var parts []string
	if e.Message != "" {
		parts = append(parts, e.Message)
	}
	for _, f := range e.Fields {
		parts = append(parts, web.FieldLabel(f.Field)+": "+f.Message)
	}
	return strings.Join(parts, "; ")
}

func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, status int, title, msg string) {
	pageHeaders(w)
	p := newPage(r, title)
	p.Data = msg
	if err := s.render(w, status, "error", p); err != nil {
		s.Logger.Error("error page", "err", err)
		http.Error(w, msg, status)
	}
}

// notFoundPage answers a path no route takes, outside the API, with a page
// that still shows who is signed in.
func (s *Server) notFoundPage(w http.ResponseWriter, r *http.Request) {
	if u, err := s.signedIn(r); err == nil {
		r = s.withUnread(withViewer(r, u), u)
	}
	s.errorPage(w, r, http.StatusNotFound, "Not found", "There is no page at "+r.URL.Path+".")
}

// static serves the embedded files under /static/. Their URLs carry a hash
// of their content (see [web.Templates.Asset]), so browsers may keep them
// for a year.
func (s *Server) static() func(w http.ResponseWriter, r *http.Request) error {
	fs := http.StripPrefix("/static/", http.FileServerFS(web.Static()))
	return func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		fs.ServeHTTP(w, r)
		return nil
	}
}

// crossOriginDenied answers a state-changing request that a browser sent
// from another site (a forged form post): 403, in JSON for the API and as
// a page otherwise. See [http.CrossOriginProtection].
func (s *Server) crossOriginDenied(w http.ResponseWriter, r *http.Request) {
	const msg = "this request came from another web site, so Tandem refused it: open Tandem itself and try again"
	if isPagePath(r.URL.Path) {
		s.errorPage(w, r, http.StatusForbidden, "Refused", "This form was sent from another web site, so Tandem refused it. Open Tandem itself and try again.")
		return
	}
	s.writeError(w, r, tandem.Errorf(tandem.EFORBIDDEN, msg))
}
