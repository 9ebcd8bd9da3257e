package http

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/access"
	"github.com/tandemhq/tandem/inbound"
	"github.com/tandemhq/tandem/sqldb"
)

// The settings page's website forms and inbound sources (admins only), and
// the scopes and expiry of the tokens it creates. A source's secret is
// shown once, in the answer to the POST that made it, as a token's is.

// formRow is a form in the settings page's table.
type formRow struct {
	inbound.Form
	URL     string // where it posts
	Snippet string // the HTML to paste
}

// formForm is the save-form form's values and errors.
type formForm struct {
	Name, Mapping, Origins, Redirect, Thanks, Campaign, Honeypot, PerMinute string
	UTMSource, UTMMedium, UTMCampaign                                       string
	Errors                                                                  map[string]string
}

// sourceRow is a source in the settings page's table.
type sourceRow struct {
	inbound.Source
	URL      string
	NSecrets int
}

// sourceForm is the add-source form's values and errors.
type sourceForm struct {
	Name, Kind, Mapping string
	Errors              map[string]string
}

// publicBase is Tandem's address as the browser asking sees it, for the
// snippets and the sources' URLs.
func (s *Server) publicBase(r *http.Request) string {
	scheme := "http"
	if s.client(r).HTTPS {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// integrationsData adds the forms and the sources to the settings page.
func (s *Server) integrationsData(r *http.Request, v *settingsView) error {
	base := s.publicBase(r)
	fs, err := s.DB.Forms(r.Context())
	if err != nil {
		return err
	}
	for _, f := range fs {
		row := formRow{Form: f, URL: base + "/f/" + f.Name}
		if m, err := s.formLimits.mapping(f); err == nil {
			row.Snippet = f.Snippet(base, m)
		}
		v.Forms = append(v.Forms, row)
	}
	srcs, err := s.DB.Sources(r.Context())
	if err != nil {
		return err
	}
	for _, src := range srcs {
		v.Sources = append(v.Sources, sourceRow{Source: src, URL: base + "/api/v1/hooks/" + src.Name, NSecrets: len(src.Secrets)})
	}
	v.Scopes = access.Scopes
	v.Kinds = inbound.Kinds
	if v.NewForm.Mapping == "" {
		v.NewForm = formForm{Mapping: inbound.DefaultFormMapping, PerMinute: strconv.Itoa(inbound.DefaultPerMinute), Honeypot: "website"}
	}
	if v.NewSource.Kind == "" {
		v.NewSource.Kind = inbound.KindStandard
	}
	return nil
}

func (s *Server) postSaveForm(w http.ResponseWriter, r *http.Request) error {
	ff := formForm{Name: strings.TrimSpace(r.PostFormValue("name")), Mapping: r.PostFormValue("mapping"),
		Origins: r.PostFormValue("origins"), Redirect: strings.TrimSpace(r.PostFormValue("redirect")),
		Thanks: strings.TrimSpace(r.PostFormValue("thanks")), Campaign: strings.TrimSpace(r.PostFormValue("campaign")),
		Honeypot: strings.TrimSpace(r.PostFormValue("honeypot")), PerMinute: strings.TrimSpace(r.PostFormValue("per_minute")),
		UTMSource: strings.TrimSpace(r.PostFormValue("utm_source")), UTMMedium: strings.TrimSpace(r.PostFormValue("utm_medium")),
		UTMCampaign: strings.TrimSpace(r.PostFormValue("utm_campaign"))}
	f := inbound.Form{Name: ff.Name, Mapping: ff.Mapping, Origins: strings.Fields(strings.ReplaceAll(ff.Origins, ",", " ")),
		Redirect: ff.Redirect, Thanks: ff.Thanks, Campaign: ff.Campaign, Honeypot: ff.Honeypot, UTM: map[string]string{}}
	for k, v := range map[string]string{"utm_source": ff.UTMSource, "utm_medium": ff.UTMMedium, "utm_campaign": ff.UTMCampaign} {
		if v != "" {
			f.UTM[k] = v
		}
	}
	var err error
	if f.PerMinute, err = strconv.Atoi(ff.PerMinute); err != nil {
		err = tandem.Invalid(tandem.FieldError{Field: "per_minute", Message: "a whole number of posts a minute"})
	} else {
		f, err = s.DB.SaveForm(r.Context(), f)
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
		ff.Errors, top = formErrors(err, "name", "mapping", "origins", "redirect", "thanks", "campaign", "honeypot", "per_minute", "utm_source", "utm_medium", "utm_campaign")
		v.NewForm = ff
		return s.renderSettings(w, r, http.StatusUnprocessableEntity, v, "", top)
	}
	s.formLimits.forget()
	s.logChange(r, "save form", "name", f.Name)
	http.Redirect(w, r, "/settings?done=form#forms", http.StatusSeeOther)
	return nil
}

func (s *Server) postDeleteForm(w http.ResponseWriter, r *http.Request) error {
	name := r.PostFormValue("name")
	if err := s.DB.DeleteForm(r.Context(), name); err != nil {
		return err
	}
	s.formLimits.forget()
	s.logChange(r, "delete form", "name", name)
	http.Redirect(w, r, "/settings?done=formdeleted#forms", http.StatusSeeOther)
	return nil
}

// getFormPage shows a form's latest posts, taken and refused, with why.
func (s *Server) getFormPage(w http.ResponseWriter, r *http.Request) error {
	f, err := s.DB.Form(r.Context(), r.PathValue("form"))
	if err != nil {
		return err
	}
	ss, err := s.DB.Submissions(r.Context(), f.ID, 200)
	if err != nil {
		return err
	}
	p := newPage(r, "Form "+f.Name)
	p.Data = struct {
		Form        inbound.Form
		Submissions []sqldb.Submission
	}{f, ss}
	return s.render(w, http.StatusOK, "formsubmissions", p)
}

// newSourceSecret makes a secret for a source of the kind: a Standard
// Webhooks secret ("whsec_..."), or for HubSpot the app's client secret,
// which HubSpot makes and the admin pastes (given).
func newSourceSecret(kind, given string) (string, error) {
	if kind == inbound.KindHubSpot {
		if len(given) < 16 {
			return "", tandem.Invalid(tandem.FieldError{Field: "secret", Message: "paste the HubSpot app's client secret (HubSpot makes it)"})
		}
		return given, nil
	}
	if given != "" {
		if err := checkStandardSecret(given); err != nil {
			return "", tandem.Invalid(tandem.FieldError{Field: "secret", Message: err.Error()})
		}
		return given, nil
	}
	return newStandardSecret(), nil
}

func (s *Server) postSaveSource(w http.ResponseWriter, r *http.Request) error {
	sf := sourceForm{Name: strings.TrimSpace(r.PostFormValue("name")), Kind: r.PostFormValue("kind"), Mapping: r.PostFormValue("mapping")}
	secret, err := newSourceSecret(sf.Kind, strings.TrimSpace(r.PostFormValue("secret")))
	var src inbound.Source
	if err == nil {
		src, err = s.DB.SaveSource(r.Context(), inbound.Source{Name: sf.Name, Kind: sf.Kind, Mapping: sf.Mapping, Secrets: []string{secret}})
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
		sf.Errors, top = formErrors(err, "name", "kind", "mapping", "secret")
		v.NewSource = sf
		return s.renderSettings(w, r, http.StatusUnprocessableEntity, v, "", top)
	}
	s.logChange(r, "save source", "name", src.Name, "kind", src.Kind)
	return s.showSourceSecret(w, r, src, secret, "saved the source "+src.Name+".")
}

func (s *Server) showSourceSecret(w http.ResponseWriter, r *http.Request, src inbound.Source, secret, notice string) error {
	v, err := s.settingsData(r)
	if err != nil {
		return err
	}
	if src.Kind != inbound.KindHubSpot { // HubSpot's is the admin's own
		v.Secret = &secretView{What: "source", For: src.Name, Secret: secret}
	}
	return s.renderSettings(w, r, http.StatusOK, v, notice, "")
}

// postRotateSource adds a new secret to a source, keeping the others
// (up to inbound.MaxSecrets, the newest), so that the sender can move to
// it before the old ones are retired.
func (s *Server) postRotateSource(w http.ResponseWriter, r *http.Request) error {
	src, err := s.DB.Source(r.Context(), r.PostFormValue("name"))
	if err != nil {
		return err
	}
	secret, err := newSourceSecret(src.Kind, strings.TrimSpace(r.PostFormValue("secret")))
	if err != nil {
		return err
	}
	src.Secrets = append([]string{secret}, src.Secrets...)
	if len(src.Secrets) > inbound.MaxSecrets {
		src.Secrets = src.Secrets[:inbound.MaxSecrets]
	}
	if src, err = s.DB.SaveSource(r.Context(), src); err != nil {
		return err
	}
	s.logChange(r, "rotate source secret", "name", src.Name, "secrets", len(src.Secrets))
	return s.showSourceSecret(w, r, src, secret, "added a secret to "+src.Name+": the older ones still verify until you retire them.")
}

// postRetireSecrets keeps only a source's newest secret.
func (s *Server) postRetireSecrets(w http.ResponseWriter, r *http.Request) error {
	src, err := s.DB.Source(r.Context(), r.PostFormValue("name"))
	if err != nil {
		return err
	}
	src.Secrets = src.Secrets[:1]
	if _, err := s.DB.SaveSource(r.Context(), src); err != nil {
		return err
	}
	s.logChange(r, "retire source secrets", "name", src.Name)
	http.Redirect(w, r, "/settings?done=retired#sources", http.StatusSeeOther)
	return nil
}

func (s *Server) postDeleteSource(w http.ResponseWriter, r *http.Request) error {
	name := r.PostFormValue("name")
	if err := s.DB.DeleteSource(r.Context(), name); err != nil {
		return err
	}
	s.logChange(r, "delete source", "name", name)
	http.Redirect(w, r, "/settings?done=sourcedeleted#sources", http.StatusSeeOther)
	return nil
}

// tokenSpec reads the create-token form's scopes (checkboxes) and expiry
// (a date: the token stops working at the start of that day, UTC).
func tokenSpec(r *http.Request, f tokenForm) (sqldb.TokenSpec, error) {
	spec := sqldb.TokenSpec{Name: f.Name, Role: tandem.Role(f.Role), Email: f.User}
	sc, err := access.ParseScopes(strings.Join(r.PostForm["scopes"], " "))
	if err != nil {
		return spec, err
	}
	spec.Scopes = sc
	if e := strings.TrimSpace(r.PostFormValue("expires")); e != "" {
		t, err := time.Parse(time.DateOnly, e)
		if err != nil {
			return spec, tandem.Invalid(tandem.FieldError{Field: "expires_at", Message: "a date such as 2027-01-31"})
		}
		spec.ExpiresAt = t
	}
	if spec.Email != "" {
		spec.Role = ""
	}
	return spec, nil
}
