package tandem

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Role is what a user or an API token may do.
type Role string

// The roles. Heads sign the agreement; reps work leads; executives read.
const (
	RoleAdmin         Role = "admin"
	RoleMarketing     Role = "marketing"
	RoleMarketingHead Role = "marketing_head"
	RoleSalesRep      Role = "sales_rep"
	RoleSalesManager  Role = "sales_manager"
	RoleSalesHead     Role = "sales_head"
	RoleExecutive     Role = "executive"
)

// Roles lists every role.
var Roles = []Role{RoleAdmin, RoleMarketing, RoleMarketingHead, RoleSalesRep, RoleSalesManager, RoleSalesHead, RoleExecutive}

// ParseRole returns the role called s or an EINVALID error listing the roles.
func ParseRole(s string) (Role, error) {
	if r := Role(s); slices.Contains(Roles, r) {
		return r, nil
	}
	names := make([]string, len(Roles))
	for i, r := range Roles {
		names[i] = string(r)
	}
	return "", Invalid(FieldError{"role", fmt.Sprintf("%q is not a role (want one of %s)", s, strings.Join(names, ", "))})
}

// ManagerRoles returns the roles that may manage a user with role r: a sales
// rep reports to a sales manager or a sales head, a sales manager to a sales
// head, marketing to the marketing head. Every other role takes no manager,
// and ManagerRoles returns nil for it.
//
// Each role in the list ranks above r, so a chain of managers that follows
// these rules climbs and can never come back to where it started.
func (r Role) ManagerRoles() []Role {
	switch r {
	case RoleSalesRep:
		return []Role{RoleSalesManager, RoleSalesHead}
	case RoleSalesManager:
		return []Role{RoleSalesHead}
	case RoleMarketing:
		return []Role{RoleMarketingHead}
	}
	return nil
}

// CanManage reports whether a user with role r may manage one with role report.
func (r Role) CanManage(report Role) bool { return slices.Contains(report.ManagerRoles(), r) }

// ManagerRule says in words who may manage a user with role r, for error
// messages: "a sales_rep's manager is a sales_manager or a sales_head".
func (r Role) ManagerRule() string {
	ms := r.ManagerRoles()
	if len(ms) == 0 {
		return fmt.Sprintf("%s has no manager", r.withArticle())
	}
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = m.withArticle()
	}
	return fmt.Sprintf("%s's manager is %s", r.withArticle(), strings.Join(names, " or "))
}

// withArticle returns "a sales_rep", "an admin".
func (r Role) withArticle() string {
	if r != "" && strings.ContainsRune("aeiou", rune(r[0])) {
		return "an " + string(r)
	}
	return "a " + string(r)
}

// CheckManager says why m cannot manage a user with role r, or returns nil.
func (r Role) CheckManager(m User) error {
	switch {
	case m.Role.CanManage(r):
		return nil
	case len(r.ManagerRoles()) == 0:
		return fmt.Errorf("%s", r.ManagerRule())
	}
	return fmt.Errorf("%s is %s, but %s", m.Email, m.Role.withArticle(), r.ManagerRule())
}

// CheckReports says which of reports a user with role r could not manage,
// or returns nil: "cannot become a marketing_head while managing
// rex@example.com (sales_rep): give them another manager first".
func (r Role) CheckReports(reports []User) error {
	var stranded []string
	for _, u := range reports {
		if !r.CanManage(u.Role) {
			stranded = append(stranded, fmt.Sprintf("%s (%s)", u.Email, u.Role))
		}
	}
	if len(stranded) == 0 {
		return nil
	}
	const shown = 5
	list := strings.Join(stranded[:min(shown, len(stranded))], ", ")
	if len(stranded) > shown {
		list += fmt.Sprintf(" and %d more", len(stranded)-shown)
	}
	return fmt.Errorf("cannot become %s while managing %s: give them another manager first", r.withArticle(), list)
}

// MaxTeamLen is the longest team name, in characters.
const MaxTeamLen = 100

// User is a person who uses Tandem.
type User struct {
	ID int64 `json:"id"`
	// Email identifies the user at sign-in; "" for a user known only by
	// name, who cannot sign in until one is set (see [User.Validate]).
	Email string `json:"email"`
	Name  string `json:"name,omitempty"`
	Role  Role   `json:"role"`
	// Team is a free-form team name ("EMEA", "Inbound"); users with the
	// same name form the team. Empty when the user is in none.
	Team string `json:"team,omitempty"`
	// ManagerID is the id of the user's manager, 0 for none. Which roles
	// may manage which is [Role.ManagerRoles].
	ManagerID int64 `json:"manager_id,omitempty"`
	// Absent users keep their leads and their place in the hierarchy, but
	// routing skips them until they are back.
	Absent bool `json:"absent,omitempty"`
	// Weight is the user's share of hand-offs under weighted routing,
	// relative to the other reps (1 to MaxWeight; 0 is taken as 1).
	Weight    int       `json:"weight,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Label is how a page names the user: their name, else their email, else
// their number. Pages put the email in a title beside it.
func (u User) Label() string {
	if n := strings.TrimSpace(u.Name); n != "" {
		return n
	}
	if u.Email != "" {
		return u.Email
	}
	return fmt.Sprintf("user %d", u.ID)
}

// MaxWeight bounds a rep's routing weight.
const MaxWeight = 100

// Validate checks the user's email, role and team. A user may have no
// email, if they have a name: such a user (brought by a users file that
// names people only) owns leads and deals and leads a team, but cannot sign
// in until an email is set. Whether the manager
// exists and may manage the user is for the store to check.
func (u *User) Validate() error {
	var errs []FieldError
	nameOK := utf8.ValidString(u.Name) && len(u.Name) <= MaxTextLen && strings.TrimSpace(u.Name) != ""
	switch {
	case u.Email == "" && !nameOK:
		errs = append(errs, FieldError{"email", "is required, or at least a name: a user without an email is known by name and cannot sign in until one is set"})
	case u.Email != "" && !plausibleEmail(u.Email):
		errs = append(errs, FieldError{"email", fmt.Sprintf("%q is not an email address", u.Email)})
	}
	if _, err := ParseRole(string(u.Role)); err != nil {
		errs = append(errs, ErrorFields(err)...)
	}
	if !utf8.ValidString(u.Name) {
		errs = append(errs, FieldError{"name", "not valid UTF-8"})
	} else if len(u.Name) > MaxTextLen {
		errs = append(errs, FieldError{"name", fmt.Sprintf("longer than %d characters", MaxTextLen)})
	}
	if err := CheckTextLen(u.Team, MaxTeamLen); err != nil {
		errs = append(errs, FieldError{"team", err.Error()})
	}
	if u.ManagerID < 0 {
		errs = append(errs, FieldError{"manager", fmt.Sprintf("%d is not a user id", u.ManagerID)})
	}
	if u.Weight < 0 || u.Weight > MaxWeight {
		errs = append(errs, FieldError{"weight", fmt.Sprintf("%d is not a weight: give a whole number from 1 to %d", u.Weight, MaxWeight)})
	}
	if len(errs) > 0 {
		return Invalid(errs...)
	}
	return nil
}

// UserUpdate is a change to a user: each field that is not nil is set, the
// others are left as they are.
type UserUpdate struct {
	// Email sets the email of a user who has none, or changes it.
	Email *string
	Team  *string // "" takes the user out of their team
	// Manager is the manager's email; "" leaves the user without a manager.
	Manager *string
	Absent  *bool
	Role    *Role
	Weight  *int
	// By is the email of the user who makes the change, "" for the
	// operator at the command line: nobody takes away their own admin
	// role (another admin must).
	By string
}

// IsZero reports whether the update changes nothing.
func (up UserUpdate) IsZero() bool {
	return up.Email == nil && up.Team == nil && up.Manager == nil && up.Absent == nil && up.Role == nil && up.Weight == nil
}

// Token is an API token. Only a hash of its secret is kept; the secret is
// shown once, when the token is made.
type Token struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Role      Role      `json:"role"`
	CreatedAt time.Time `json:"created_at"`
	// LastUsedAt is when the token last authenticated a request, to the
	// minute (zero: never); it is written at most once a minute.
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
	// UserID and UserEmail name the user a token acts for, if any: it
	// then has the user's current role, and its changes are the user's.
	UserID    int64  `json:"user_id,omitempty"`
	UserEmail string `json:"user_email,omitempty"`
	// Scopes are what the token may be used for on top of its role
	// (access.Scopes); none means every scope, as for a token made
	// before scopes existed.
	Scopes []string `json:"scopes,omitempty"`
	// ExpiresAt is when the token stops working (zero: never).
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// Actor names who acts with the token, for the ledger: "user:EMAIL" for a
// user's token, "token:NAME" for an integration's.
func (t Token) Actor() string {
	if t.UserEmail != "" {
		return "user:" + t.UserEmail
	}
	return "token:" + t.Name
}

// AgreementVersion is one stored version of the agreement file. It is in
// force from the moment both a marketing head and a sales head have signed it
// until a later version comes into force.
type AgreementVersion struct {
	Version    int         `json:"version"`
	Body       string      `json:"body,omitempty"` // left out of lists
	SHA256     string      `json:"sha256"`
	CreatedAt  time.Time   `json:"created_at"`
	CreatedBy  string      `json:"created_by"`
	Signatures []Signature `json:"signatures"`
	// InForceFrom is when the second required signature arrived; zero
	// while the version awaits a signature.
	InForceFrom time.Time `json:"in_force_from,omitzero"`
}

// Signature is one head's sign-off of an agreement version.
type Signature struct {
	UserID   int64     `json:"user_id"`
	Email    string    `json:"email"`
	Role     Role      `json:"role"`
	SignedAt time.Time `json:"signed_at"`
	// BacktestSeenAt is when the head last opened the backtest of the
	// version before signing it, and BacktestPeriod the period it replayed;
	// zero and "" when the head signed without seeing one.
	BacktestSeenAt time.Time `json:"backtest_seen_at,omitzero"`
	BacktestPeriod string    `json:"backtest_period,omitempty"`
}

// SignerRoles are the roles whose signatures put an agreement in force.
var SignerRoles = []Role{RoleMarketingHead, RoleSalesHead}

// Session is a browser signed in as a user. Only a hash of its secret (the
// cookie's value) is stored. A session ends at the first of: IdleTimeout
// after it was last used, MaxSessionAge after sign-in, sign-out, or a new
// password for its user.
type Session struct {
	ID         int64     `json:"id"`
	UserID     int64     `json:"user_id"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"` // CreatedAt + MaxSessionAge
}

// How long a session lasts: a working day of idleness, a week in all, so
// that a stolen cookie is not good for long and a rep signs in about once a
// day.
const (
	IdleTimeout   = 12 * time.Hour
	MaxSessionAge = 7 * 24 * time.Hour
)

// EndsAt is when the session ends unless it is used again first.
func (s Session) EndsAt() time.Time {
	if idle := s.LastSeenAt.Add(IdleTimeout); idle.Before(s.ExpiresAt) {
		return idle
	}
	return s.ExpiresAt
}
