package http

import (
	"net/http"
	"strconv"

	"github.com/tandemhq/tandem"
)

// repAsked returns the user whose tasks or queue the caller asks for by
// email (?rep= on GET /api/v1/tasks and /queue), if the caller may see
// them (see [Server.mayManage]). Which emails are users' is not for a
// signed-in user to probe: an email that is nobody's and one that is
// someone the caller may not see get the same 403. Only an admin, who
// may see everyone, is told that nobody has the email (422 naming rep).
func (s *Server) repAsked(r *http.Request, email string) (tandem.User, error) {
	u, err := s.DB.UserByEmail(r.Context(), email)
	unknown := tandem.ErrorCode(err) == tandem.ENOTFOUND
	if err != nil && !unknown {
		return tandem.User{}, err
	}
	if unknown && caller(r).Role == tandem.RoleAdmin {
		return tandem.User{}, tandem.Invalid(tandem.FieldError{Field: "rep", Message: "no user with email " + strconv.Quote(email)})
	}
	if !unknown {
		err := s.mayManage(r, u)
		if err == nil {
			return u, nil
		} else if tandem.ErrorCode(err) != tandem.EFORBIDDEN {
			return tandem.User{}, err
		}
	}
	return tandem.User{}, tandem.Errorf(tandem.EFORBIDDEN,
		"you may see your own tasks and those of the reps you manage; %s is not one of them", strconv.Quote(email))
}
