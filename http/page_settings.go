package http

import (
	"crypto/rand"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/access"
	"github.com/tandemhq/tandem/password"
	"github.com/tandemhq/tandem/report"
	"github.com/tandemhq/tandem/schedule"
	"github.com/tandemhq/tandem/web"
)

// The settings page (/settings, admins only): users, teams, API tokens and
// the notification channels this process sends on. Every change is a POST
// that either changes what it says or, on bad input, changes nothing and
// shows the page again with each error next to its field. A secret (a
// generated password, a token) is shown in the answer to the POST that made
// it, once: never in a URL, never again. Who changed what is logged with
// the admin's email (the store keeps no actor for users and tokens).

// NotifyInfo is what the settings page shows of the channels `tandem serve`
// sends escalations on: hosts and the sender address, never a password or a
// webhook's path (which is its secret).
type NotifyInfo struct {
	SMTPHost string // "" when email is off
	SMTPFrom string
	ChatHost string // "" when chat is off
}

// NotifyFrom reads the --smtp and --chat-webhook URLs as serve has them
// (already checked by package notify) into what the page may show.
func NotifyFrom(smtpURL, chatURL string) NotifyInfo {
	var n NotifyInfo
	if u, err := url.Parse(smtpURL); err == nil && smtpURL != "" {
		n.SMTPHost = u.Host
		n.SMTPFrom = u.Query().Get("from")
	}
	if u, err := url.Parse(chatURL); err == nil && chatURL != "" {
		n.ChatHost = u.Hostname()
	}
	return n
}

// userRow is one user in the table, with the edit form's state.
type userRow struct {
	tandem.User
	Manager     string // the manager's email
	HasPassword bool
	Editing     bool              // the edit form is open (after an error)
	Errors      map[string]string // the edit form's errors, by field
}

// teamView is a team as the users' team field makes it.
type teamView struct {
	Name     string
	Members  []tandem.User
	Managers []string // the managers of its members, by email
}

// userForm is the add-user form's values and errors.
type userForm struct {
	Email, Name, Role, Team, Manager string
	Errors                           map[string]string
}

// tokenForm is the create-token form's values and errors.
type tokenForm struct {
	Name, Role, User string
	Errors           map[string]string
}

// secretView is a secret shown once.
type secretView struct {
	What   string // "password" or "token"
	For    string // whose password, which token
	Secret string
}

type settingsView struct {
	Users    []userRow
	Managers []tandem.User // who may be picked as a manager
	Teams    []teamView
	Tokens   []tandem.Token
	Roles    []tandem.Role
	MaxW     int
	Add      userForm
	NewToken tokenForm
	Secret   *secretView
	Notify   NotifyInfo
	Hooks    webhooksView // outgoing webhooks and dead letters (page_webhooks.go)
	// Website forms, inbound sources and token scopes
	// (page_formsettings.go).
	Forms     []formRow
	Sources   []sourceRow
	NewForm   formForm
	NewSource sourceForm
	Scopes    []access.TokenScope
	Kinds     []string // the kinds of inbound source
	// Schedules are the scheduled reports (page_schedules.go).
	Schedules     []report.ScheduleRow
	ScheduleKinds []string
	NewSchedule   scheduleForm
}

// settingsData gathers the page.
func (s *Server) settingsData(r *http.Request) (settingsView, error) {
	ctx := r.Context()
	v := settingsView{Roles: tandem.Roles, MaxW: tandem.MaxWeight, Notify: s.Notify,
		Add: userForm{Role: string(tandem.RoleSalesRep)}, NewToken: tokenForm{Role: string(tandem.RoleMarketing)}}
	users, err := s.DB.Users(ctx)
	if err != nil {
		return v, err
	}
	withPw, err := s.DB.UsersWithPassword(ctx)
	if err != nil {
		return v, err
	}
	byID := map[int64]tandem.User{}
	for _, u := range users {
		byID[u.ID] = u
		if slices.ContainsFunc(tandem.Roles, u.Role.CanManage) { // offered as a manager
			v.Managers = append(v.Managers, u)
		}
	}
	teams := map[string]*teamView{}
	var names []string
	for _, u := range users {
		row := userRow{User: u, HasPassword: withPw[u.ID]}
		if m, ok := byID[u.ManagerID]; ok {
			row.Manager = m.Email
		}
		v.Users = append(v.Users, row)
		if u.Team == "" {
			continue
		}
		t := teams[u.Team]
		if t == nil {
			t = &teamView{Name: u.Team}
			teams[u.Team] = t
			names = append(names, u.Team)
		}
		t.Members = append(t.Members, u)
		if row.Manager != "" && !slices.Contains(t.Managers, row.Manager) {
			t.Managers = append(t.Managers, row.Manager)
		}
	}
	slices.Sort(names)
	for _, n := range names {
		slices.Sort(teams[n].Managers)
		v.Teams = append(v.Teams, *teams[n])
	}
	if v.Tokens, err = s.DB.Tokens(ctx); err != nil {
		return v, err
	}
	if v.Hooks, err = s.webhooksData(r); err != nil {
		return v, err
	}
	if err := s.integrationsData(r, &v); err != nil {
		return v, err
	}
	v.ScheduleKinds, v.NewSchedule = schedule.Kinds, scheduleForm{Kind: schedule.Scorecard}
	if v.Schedules, err = report.Schedules(ctx, s.DB, s.DB.Now()); err != nil {
		return v, err
	}
	return v, nil
}

// renderSettings shows the page with v, and notice or error.
func (s *Server) renderSettings(w http.ResponseWriter, r *http.Request, status int, v settingsView, notice, errMsg string) error {
	p := newPage(r, "Settings")
	p.Data, p.Notice, p.Error = v, notice, errMsg
	return s.render(w, status, "settings", p)
}

func (s *Server) getSettings(w http.ResponseWriter, r *http.Request) error {
	v, err := s.settingsData(r)
	if err != nil {
		return err
	}
	notices := map[string]string{"edited": "the user is changed.", "signedout": "the user is signed out everywhere.",
		"revoked": "the token is revoked: it no longer works.",
		"form":    "the form is saved: paste its snippet in your site.", "formdeleted": "the form is deleted.",
		"retired": "the older secrets are retired: only the newest verifies.", "sourcedeleted": "the source is deleted.",
		"scheduled": "the schedule is added.", "unscheduled": "the schedule is removed; what it sent stays on record."}
	maps.Copy(notices, webhookNotices)
	notice, errMsg := notices[r.URL.Query().Get("done")], ""
	if id := r.URL.Query().Get("shown"); id != "" {
		if sec, ok := s.shown.take(id, viewer(r).ID, s.DB.Now()); ok {
			v.Secret, notice = &sec.secretView, sec.notice
		} else {
			errMsg = "That password was shown once and is not shown again (nor kept): reset it again for a new one."
		}
	}
	return s.renderSettings(w, r, http.StatusOK, v, notice, errMsg)
}

// formErrors splits a store error into the messages of the form's fields
// and the rest, for the top of the page. A field error the form has no
// field for joins the rest.
func formErrors(err error, fields ...string) (map[string]string, string) {
	byField := map[string]string{}
	var rest []string
	fes := tandem.ErrorFields(err)
	for _, fe := range fes {
		if slices.Contains(fields, fe.Field) {
			if byField[fe.Field] != "" {
				byField[fe.Field] += "; "
			}
			byField[fe.Field] += fe.Message
		} else {
			rest = append(rest, web.FieldLabel(fe.Field)+": "+fe.Message)
		}
	}
	if len(fes) == 0 {
		msg := tandem.ErrorMessage(err)
		// The store names the field in words for some errors ("manager: no user ...").
		for _, f := range fields {
			if m, ok := strings.CutPrefix(msg, f+": "); ok {
				byField[f] = m
				return byField, "Nothing was changed: see the field marked below."
			}
		}
		rest = append(rest, msg)
	}
	top := "Nothing was changed: see the fields marked below."
	if len(rest) > 0 {
		top = "Nothing was changed: " + strings.Join(rest, "; ")
	}
	return byField, top
}

// isFormError reports whether err is about the input (shown on the page)
// rather than a failure (an error page).
func isFormError(err error) bool {
	switch tandem.ErrorCode(err) {
	case tandem.EINVALID, tandem.ENOTFOUND, tandem.ECONFLICT:
		return true
	}
	return false
}

// logChange records who changed what, for the settings the store keeps
// no actor for.
func (s *Server) logChange(r *http.Request, action string, args ...any) {
	s.Logger.Info("settings", append([]any{"actor", viewer(r).Email, "action", action}, args...)...)
}

// newPassword generates a password and stores its hash for the user,
// which signs them out everywhere.
func (s *Server) newPassword(r *http.Request, email string) (string, error) {
	pw := password.Generate(email)
	h, err := s.hash(r.Context(), pw)
	if err != nil {
		return "", err
	}
	if _, err := s.DB.SetPassword(r.Context(), email, h); err != nil {
		return "", err
	}
	return pw, nil
}

func (s *Server) postAddUser(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f := userForm{Email: strings.TrimSpace(r.PostFormValue("email")), Name: strings.TrimSpace(r.PostFormValue("name")),
		Role: r.PostFormValue("role"), Team: strings.TrimSpace(r.PostFormValue("team")), Manager: r.PostFormValue("manager")}
	u := tandem.User{Email: f.Email, Name: f.Name, Role: tandem.Role(f.Role), Team: f.Team}
	fail := func(err error) error {
		if !isFormError(err) {
			return err
		}
		v, verr := s.settingsData(r)
		if verr != nil {
			return verr
		}
		var top string
		f.Errors, top = formErrors(err, "email", "name", "role", "team", "manager")
		if tandem.ErrorCode(err) == tandem.ECONFLICT {
			f.Errors = map[string]string{"email": tandem.ErrorMessage(err)}
			top = "Nothing was changed: see the fields marked below."
		}
		v.Add = f
		return s.renderSettings(w, r, http.StatusUnprocessableEntity, v, "", top)
	}
	if f.Manager != "" {
		m, err := s.DB.UserByEmail(ctx, f.Manager)
		if tandem.ErrorCode(err) == tandem.ENOTFOUND {
			return fail(tandem.Invalid(tandem.FieldError{Field: "manager", Message: "no user has the email " + f.Manager}))
		} else if err != nil {
			return err
		}
		u.ManagerID = m.ID
	}
	if err := s.DB.CreateUser(ctx, &u); err != nil {
		return fail(err)
	}
	pw, err := s.newPassword(r, u.Email)
	if err != nil {
		return err
	}
	s.logChange(r, "add user", "email", u.Email, "role", u.Role)
	v, err := s.settingsData(r)
	if err != nil {
		return err
	}
	v.Secret = &secretView{What: "password", For: u.Email, Secret: pw}
	return s.renderSettings(w, r, http.StatusOK, v, "added "+u.Email+" ("+strings.ReplaceAll(string(u.Role), "_", " ")+").", "")
}

func (s *Server) postEditUser(w http.ResponseWriter, r *http.Request) error {
	email := r.PostFormValue("email")
	role := tandem.Role(r.PostFormValue("role"))
	team := r.PostFormValue("team")
	manager := r.PostFormValue("manager")
	absent := r.PostFormValue("absent") != ""
	// The store refuses to take away the viewer's own admin role.
	up := tandem.UserUpdate{Role: &role, Team: &team, Manager: &manager, Absent: &absent, By: viewer(r).Email}
	var fieldErr error
	if n, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("weight"))); err != nil {
		fieldErr = tandem.Invalid(tandem.FieldError{Field: "weight", Message: "give a whole number from 1 to " + strconv.Itoa(tandem.MaxWeight)})
	} else {
		up.Weight = &n
	}
	var u tandem.User
	err := fieldErr
	if err == nil {
		u, err = s.DB.UpdateUser(r.Context(), email, up)
	}
	if err != nil {
		if !isFormError(err) {
			return err
		}
		v, verr := s.settingsData(r)
		if verr != nil {
			return verr
		}
		i := slices.IndexFunc(v.Users, func(row userRow) bool { return strings.EqualFold(row.Email, strings.TrimSpace(email)) })
		if i < 0 {
			return tandem.Errorf(tandem.ENOTFOUND, "no user with email %s", email)
		}
		row := &v.Users[i]
		var top string
		row.Errors, top = formErrors(err, "role", "team", "manager", "weight")
		if tandem.ErrorCode(err) == tandem.ECONFLICT {
			row.Errors = map[string]string{"role": tandem.ErrorMessage(err)}
			top = "Nothing was changed: see the fields marked below."
		}
		// Show what was asked for, so that the admin can correct it.
		row.Editing, row.Role, row.Team, row.Manager, row.Absent = true, role, team, manager, absent
		return s.renderSettings(w, r, http.StatusUnprocessableEntity, v, "", "Editing "+row.Email+". "+top)
	}
	s.logChange(r, "edit user", "email", u.Email, "role", u.Role, "team", u.Team, "manager", manager, "weight", u.Weight, "absent", u.Absent)
	http.Redirect(w, r, "/settings?done=edited#users", http.StatusSeeOther)
	return nil
}

// postResetPassword makes a new password and redirects to the page that
// shows it, once (see [shownOnce]): a reload of that page makes no other
// password, and shows none.
func (s *Server) postResetPassword(w http.ResponseWriter, r *http.Request) error {
	email := strings.TrimSpace(r.PostFormValue("email"))
	if email == "" {
		return tandem.Invalid(tandem.FieldError{Field: "email", Message: "name the user whose password to reset"})
	}
	pw, err := s.newPassword(r, email)
	if err != nil {
		return err
	}
	s.logChange(r, "reset password", "email", email)
	id := s.shown.put(viewer(r).ID, s.DB.Now(), onceSecret{
		secretView: secretView{What: "password", For: strings.ToLower(email), Secret: pw},
		notice:     "a new password for " + email + "; every session of theirs has ended.",
	})
	http.Redirect(w, r, "/settings?shown="+id+"#secret-title", http.StatusSeeOther)
	return nil
}

// shownOnceFor is how long a secret waits for the page that shows it.
const shownOnceFor = 5 * time.Minute

// shownOnce keeps the secrets that a settings POST made until the page it
// redirects to (/settings?shown=ID) shows them: once, to the admin who made
// them, within shownOnceFor. They live in this process's memory, never in
// the database nor a URL (the ID names the secret, it is not the secret).
// Behind several replicas the redirect must reach the same one (as the
// import page's uploads do); else the page says the secret is gone, and
// the admin resets again. The zero value is ready.
type shownOnce struct {
	mu sync.Mutex
	m  map[string]onceSecret
}

// onceSecret is a secret kept for the page that shows it, with the
// notice that goes with it.
type onceSecret struct {
	secretView
	notice string
	admin  int64
	until  time.Time
}

// put keeps v for the admin until now+shownOnceFor and returns its ID.
func (o *shownOnce) put(admin int64, now time.Time, v onceSecret) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.m == nil {
		o.m = map[string]onceSecret{}
	}
	for id, old := range o.m { // few: one per reset, gone once shown
		if now.After(old.until) {
			delete(o.m, id)
		}
	}
	id := rand.Text()
	v.admin, v.until = admin, now.Add(shownOnceFor)
	o.m[id] = v
	return id
}

// take returns the admin's secret with the ID and forgets it; false when
// there is none (shown already, too old, or another admin's).
func (o *shownOnce) take(id string, admin int64, now time.Time) (onceSecret, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	v, ok := o.m[id]
	if !ok || v.admin != admin {
		return onceSecret{}, false
	}
	delete(o.m, id)
	return v, !now.After(v.until)
}

func (s *Server) postSignOutUser(w http.ResponseWriter, r *http.Request) error {
	email := strings.TrimSpace(r.PostFormValue("email"))
	if email == "" {
		return tandem.Invalid(tandem.FieldError{Field: "email", Message: "name the user to sign out"})
	}
	n, err := s.DB.RevokeSessions(r.Context(), email)
	if err != nil {
		return err
	}
	s.logChange(r, "sign out everywhere", "email", email, "sessions", n)
	http.Redirect(w, r, "/settings?done=signedout#users", http.StatusSeeOther)
	return nil
}

func (s *Server) postCreateToken(w http.ResponseWriter, r *http.Request) error {
	f := tokenForm{Name: strings.TrimSpace(r.PostFormValue("name")), Role: r.PostFormValue("role"), User: strings.TrimSpace(r.PostFormValue("user"))}
	var (
		tok    tandem.Token
		secret string
		err    error
	)
	spec, err := tokenSpec(r, f)
	if err == nil {
		tok, secret, err = s.DB.CreateScopedToken(r.Context(), spec)
	}
	if f.User != "" && tandem.ErrorCode(err) == tandem.ENOTFOUND {
		err = tandem.Invalid(tandem.FieldError{Field: "user", Message: "no user has the email " + f.User})
	}
	if err != nil {
		if !isFormError(err) {
			return err
		}
		v, verr := s.settingsData(r)
		if verr != nil {
			return verr
		}
		var top string
		f.Errors, top = formErrors(err, "name", "role", "user", "scopes", "expires_at")
		if tandem.ErrorCode(err) == tandem.ECONFLICT {
			f.Errors = map[string]string{"name": tandem.ErrorMessage(err)}
			top = "Nothing was changed: see the fields marked below."
		}
		v.NewToken = f
		return s.renderSettings(w, r, http.StatusUnprocessableEntity, v, "", top)
	}
	s.logChange(r, "create token", "name", tok.Name, "role", tok.Role, "user", tok.UserEmail)
	v, err := s.settingsData(r)
	if err != nil {
		return err
	}
	v.Secret = &secretView{What: "token", For: tok.Name, Secret: secret}
	return s.renderSettings(w, r, http.StatusOK, v, "created the token "+tok.Name+".", "")
}

func (s *Server) postRevokeToken(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PostFormValue("id"), 10, 64)
	if err != nil {
		return tandem.Invalid(tandem.FieldError{Field: "id", Message: "name the token to revoke"})
	}
	tok, err := s.DB.RevokeToken(r.Context(), id)
	if err != nil {
		return err
	}
	s.logChange(r, "revoke token", "name", tok.Name, "id", tok.ID)
	http.Redirect(w, r, "/settings?done=revoked#tokens", http.StatusSeeOther)
	return nil
}
