package tandem

import (
	"fmt"
	"slices"
	"strings"
	"time"
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

// User is a person who uses Tandem.
type User struct {
	ID        int64     `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name,omitempty"`
	Role      Role      `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

// Validate checks the user's email and role.
func (u *User) Validate() error {
	var errs []FieldError
	if !plausibleEmail(u.Email) {
		errs = append(errs, FieldError{"email", fmt.Sprintf("%q is not an email address", u.Email)})
	}
	if _, err := ParseRole(string(u.Role)); err != nil {
		errs = append(errs, ErrorFields(err)...)
	}
	if len(u.Name) > MaxTextLen {
		errs = append(errs, FieldError{"name", fmt.Sprintf("longer than %d characters", MaxTextLen)})
	}
	if len(errs) > 0 {
		return Invalid(errs...)
	}
	return nil
}

// Token is an API token. Only a hash of its secret is kept; the secret is
// shown once, when the token is made.
type Token struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Role      Role      `json:"role"`
	CreatedAt time.Time `json:"created_at"`
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
}

// SignerRoles are the roles whose signatures put an agreement in force.
var SignerRoles = []Role{RoleMarketingHead, RoleSalesHead}
