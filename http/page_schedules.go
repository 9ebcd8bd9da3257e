package http

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/schedule"
)

// The settings page's scheduled reports (docs/integrations.md, "Scheduled
// scorecard"): the schedules in force, and forms to add and remove one.
// tandem schedule does the same on the command line.

// scheduleForm refills the form to add a schedule after an error.
type scheduleForm struct {
	Kind      string
	Roles     map[tandem.Role]bool
	Addresses string
	Errors    map[string]string
}

// postAddSchedule adds a schedule from the form: a kind, the roles ticked,
// and addresses separated by commas, spaces or lines.
func (s *Server) postAddSchedule(w http.ResponseWriter, r *http.Request) error {
	f := scheduleForm{Kind: r.PostFormValue("kind"), Roles: map[tandem.Role]bool{}, Addresses: r.PostFormValue("addresses")}
	sc := schedule.Schedule{Kind: f.Kind}
	for _, role := range r.PostForm["role"] {
		sc.Roles = append(sc.Roles, tandem.Role(role))
		f.Roles[tandem.Role(role)] = true
	}
	sc.Addresses = strings.FieldsFunc(f.Addresses, func(c rune) bool { return c == ',' || c == ';' || c == ' ' || c == '\n' || c == '\r' || c == '\t' })
	added, err := s.DB.AddSchedule(r.Context(), sc)
	if err != nil {
		if !isFormError(err) {
			return err
		}
		v, verr := s.settingsData(r)
		if verr != nil {
			return verr
		}
		var top string
		f.Errors, top = formErrors(err, "kind", "roles", "addresses")
		v.NewSchedule = f
		return s.renderSettings(w, r, http.StatusUnprocessableEntity, v, "", top)
	}
	s.logChange(r, "add schedule", "id", added.ID, "kind", added.Kind)
	http.Redirect(w, r, "/settings?done=scheduled#schedules", http.StatusSeeOther)
	return nil
}

// postRemoveSchedule removes the schedule named by the form's id.
func (s *Server) postRemoveSchedule(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PostFormValue("id"), 10, 64)
	if err != nil {
		return tandem.Invalid(tandem.FieldError{Field: "id", Message: "name the schedule to remove"})
	}
	if err := s.DB.RemoveSchedule(r.Context(), id); err != nil {
		return err
	}
	s.logChange(r, "remove schedule", "id", id)
	http.Redirect(w, r, "/settings?done=unscheduled#schedules", http.StatusSeeOther)
	return nil
}
