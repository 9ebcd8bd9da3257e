package http

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/password"
)

// Messages people see. Wrong password and unknown email read the same, so
// that the form does not tell who has an account; a pair is locked the same
// way for an email that has no account.
const (
	msgWrong     = "Wrong email or password."
	msgThrottled = "Too many attempts."
	msgMissing   = "Enter your email and your password."
)

// attempt lets one attempt from the request's client (address, and email
// unless it is "") through the throttle (throttle.go), or answers 429 on the
// page tmpl, with p, and returns ok false.
func (s *Server) attempt(w http.ResponseWriter, r *http.Request, email, tmpl string, p page) (a attempt, ok bool, err error) {
	a, wait := s.signins.begin(throttleKey(s.client(r).Addr), email, s.DB.Now())
	if wait == 0 {
		return a, true, nil
	}
	secs := int(math.Ceil(wait.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	when := "a minute"
	if mins := (secs + 59) / 60; mins > 1 {
		when = strconv.Itoa(mins) + " minutes"
	}
	p.Error = msgThrottled + " Wait " + when + ", then try again."
	s.Logger.Info("sign-in throttled", "email", email, "addr", s.client(r).Addr, "retry_after", secs)
	return attempt{}, false, s.render(w, http.StatusTooManyRequests, tmpl, p)
}

// verify checks a password against a stored hash. At most a few checks run
// at once: each takes 19 MiB and a core for about 80 ms. A user without a
// password (or no user: hash "") is checked against a hash of nothing, so
// that an unknown email takes as long to refuse as a wrong password.
func (s *Server) verify(ctx context.Context, hash, pw string) (bool, error) {
	if len(pw) > password.MaxLen {
		return false, nil
	}
	select {
	case s.hashing <- struct{}{}:
		defer func() { <-s.hashing }()
	case <-ctx.Done():
		return false, ctx.Err()
	}
	if hash == "" {
		s.dummyOnce.Do(func() { s.dummyHash = password.Hash(password.Generate()) })
		password.Verify(s.dummyHash, pw)
		return false, nil
	}
	ok, err := password.Verify(hash, pw)
	if err != nil {
		s.Logger.Error("a stored password hash is malformed", "err", err)
		return false, nil
	}
	return ok, nil
}

// hash hashes a new password under the same limit as verify.
func (s *Server) hash(ctx context.Context, pw string) (string, error) {
	select {
	case s.hashing <- struct{}{}:
		defer func() { <-s.hashing }()
	case <-ctx.Done():
		return "", ctx.Err()
	}
	return password.Hash(pw), nil
}

// signIn starts a new session for the user and sets its cookie. A session
// the browser already had ends: a sign-in never reuses a secret someone
// else may have planted.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request, u tandem.User) error {
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		if err := s.DB.RevokeSession(r.Context(), c.Value); err != nil {
			return err
		}
	}
	_, secret, err := s.DB.CreateSession(r.Context(), u.ID)
	if err != nil {
		return err
	}
	s.setSessionCookie(w, r, secret)
	return nil
}

func (s *Server) getLogin(w http.ResponseWriter, r *http.Request) error {
	if open, err := s.DB.SetupOpen(r.Context()); err != nil {
		return err
	} else if open {
		http.Redirect(w, r, "/setup", http.StatusSeeOther)
		return nil
	}
	next := localPath(r.URL.Query().Get("next"))
	if _, err := s.signedIn(r); err == nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	p := newPage(r, "Sign in")
	if next != "/" {
		p.Next = next
	}
	switch r.URL.Query().Get("ended") {
	case "expired":
		p.Error = "Your session has expired. Sign in again."
	case "signed-out":
		p.Error = "You were signed out (your password may have changed). Sign in again."
	}
	if r.URL.Query().Get("out") == "1" {
		p.Notice = "you have signed out."
	}
	return s.render(w, http.StatusOK, "login", p)
}

func (s *Server) postLogin(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return tandem.Errorf(tandem.EMALFORMED, "the sign-in form could not be read")
	}
	email := normalEmail(r.PostForm.Get("email"))
	pw := r.PostForm.Get("password")
	next := localPath(r.PostForm.Get("next"))
	p := newPage(r, "Sign in")
	p.Email = email
	if next != "/" {
		p.Next = next
	}
	if email == "" || pw == "" {
		p.Error = msgMissing
		return s.render(w, http.StatusUnprocessableEntity, "login", p)
	}
	a, ok, err := s.attempt(w, r, email, "login", p)
	if !ok {
		return err
	}
	u, hash, err := s.DB.UserPassword(r.Context(), email)
	if err != nil && tandem.ErrorCode(err) != tandem.ENOTFOUND {
		a.cancel()
		return err
	}
	ok, err = s.verify(r.Context(), hash, pw)
	if err != nil {
		a.cancel()
		return err
	}
	if !ok {
		s.Logger.Info("sign-in refused", "email", email, "addr", s.client(r).Addr)
		p.Error = msgWrong
		return s.render(w, http.StatusUnauthorized, "login", p)
	}
	a.succeeded()
	if err := s.signIn(w, r, u); err != nil {
		return err
	}
	s.Logger.Info("signed in", "email", u.Email, "addr", s.client(r).Addr)
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

func (s *Server) postLogout(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		if err := s.DB.RevokeSession(r.Context(), c.Value); err != nil {
			return err
		}
	}
	s.clearSessionCookie(w, r)
	http.Redirect(w, r, "/login?out=1", http.StatusSeeOther)
	return nil
}

// setupData fills the first-run form.
type setupData struct {
	Name   string
	MinLen int
}

func (s *Server) getSetup(w http.ResponseWriter, r *http.Request) error {
	if open, err := s.DB.SetupOpen(r.Context()); err != nil {
		return err
	} else if !open {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return nil
	}
	p := newPage(r, "Set up Tandem")
	p.Data = setupData{MinLen: password.MinLen}
	return s.render(w, http.StatusOK, "setup", p)
}

func (s *Server) postSetup(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return tandem.Errorf(tandem.EMALFORMED, "the form could not be read")
	}
	if open, err := s.DB.SetupOpen(r.Context()); err != nil {
		return err
	} else if !open {
		return tandem.Errorf(tandem.ECONFLICT, "Tandem is already set up: sign in, or ask an admin for an account")
	}
	f := r.PostForm
	u := tandem.User{Email: normalEmail(f.Get("email")), Name: strings.TrimSpace(f.Get("name"))}
	p := newPage(r, "Set up Tandem")
	p.Email = u.Email
	p.Data = setupData{Name: u.Name, MinLen: password.MinLen}
	fail := func(status int, msg string) error {
		p.Error = msg
		return s.render(w, status, "setup", p)
	}
	pw := f.Get("password")
	if pw != f.Get("password2") {
		return fail(http.StatusUnprocessableEntity, "The two passwords differ.")
	}
	if err := password.Check(pw, u.Email); err != nil {
		return fail(http.StatusUnprocessableEntity, upperFirst(err.Error())+".")
	}
	// Each setup attempt hashes a password: the address is throttled.
	if _, ok, err := s.attempt(w, r, "", "setup", p); !ok {
		return err
	}
	hash, err := s.hash(r.Context(), pw)
	if err != nil {
		return err
	}
	if err := s.DB.CreateFirstAdmin(r.Context(), &u, hash); err != nil {
		if code := tandem.ErrorCode(err); code == tandem.EINVALID || code == tandem.ECONFLICT {
			return fail(statusOf[code], upperFirst(tandem.ErrorMessage(err))+".")
		}
		return err
	}
	if err := s.signIn(w, r, u); err != nil {
		return err
	}
	s.Logger.Info("first admin created", "email", u.Email, "addr", s.client(r).Addr)
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

func (s *Server) getPassword(w http.ResponseWriter, r *http.Request) error {
	p := newPage(r, "Change your password")
	p.Data = setupData{MinLen: password.MinLen}
	return s.render(w, http.StatusOK, "password", p)
}

func (s *Server) postPassword(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return tandem.Errorf(tandem.EMALFORMED, "the form could not be read")
	}
	u := viewer(r)
	f := r.PostForm
	p := newPage(r, "Change your password")
	p.Data = setupData{MinLen: password.MinLen}
	fail := func(status int, msg string) error {
		p.Error = msg
		return s.render(w, status, "password", p)
	}
	a, ok, err := s.attempt(w, r, u.Email, "password", p)
	if !ok {
		return err
	}
	_, hash, err := s.DB.UserPassword(r.Context(), u.Email)
	if err != nil {
		a.cancel()
		return err
	}
	if ok, err = s.verify(r.Context(), hash, f.Get("current")); err != nil {
		a.cancel()
		return err
	} else if !ok {
		return fail(http.StatusUnauthorized, "Your current password is not right.")
	}
	a.succeeded() // only a wrong current password counts against the user
	pw := f.Get("new")
	switch {
	case pw != f.Get("new2"):
		return fail(http.StatusUnprocessableEntity, "The two new passwords differ.")
	}
	if err := password.Check(pw, u.Email); err != nil {
		return fail(http.StatusUnprocessableEntity, upperFirst(err.Error())+".")
	}
	if hash, err = s.hash(r.Context(), pw); err != nil {
		return err
	}
	// Every session of the user ends, this one too; this browser gets a
	// new one.
	if _, err := s.DB.SetPassword(r.Context(), u.Email, hash); err != nil {
		return err
	}
	if err := s.signIn(w, r, u); err != nil {
		return err
	}
	s.Logger.Info("password changed", "email", u.Email, "addr", s.client(r).Addr)
	p.Notice = "your password is changed, and every other session of yours is signed out."
	return s.render(w, http.StatusOK, "password", p)
}

func normalEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
