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

// teamAsked returns the users of the team the caller asks for (?team= on
// GET /api/v1/tasks) whom they may see. As for [Server.repAsked], which
// team names exist is not for a signed-in user to probe: a team that is
// nobody's and one whose members the caller may not see get the same
// 403; only an admin is told that the team is empty (422 naming team).
func (s *Server) teamAsked(r *http.Request, team string) ([]tandem.User, error) {
	us, err := s.DB.Team(r.Context(), team)
	unknown := tandem.ErrorCode(err) == tandem.ENOTFOUND
	if err != nil && !unknown {
		return nil, err
	}
	if unknown && caller(r).Role == tandem.RoleAdmin {
		return nil, tandem.Invalid(tandem.FieldError{Field: "team", Message: "nobody is in team " + strconv.Quote(team)})
	}
	var out []tandem.User
	for _, u := range us {
		if err := s.mayManage(r, u); err == nil {
			out = append(out, u)
		} else if tandem.ErrorCode(err) != tandem.EFORBIDDEN {
			return nil, err
		}
	}
	if len(out) == 0 {
		return nil, tandem.Errorf(tandem.EFORBIDDEN, "you may see your own tasks and those of the reps you manage; you manage nobody in team %s", strconv.Quote(team))
	}
	return out, nil
}
