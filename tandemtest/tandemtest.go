// Package tandemtest builds the one test world Tandem's tests share: the
// company's people (a cast with fixed names, emails, roles, teams and
// managers) and the agreement signed by both heads. Tests open their own
// store on a fake clock (package clock) and hand it here; the package knows
// the store only through the few methods of [Store], so the store's own
// tests can use it too.
package tandemtest

import (
	"context"
	"slices"
	"testing"

	"github.com/tandemhq/tandem"
)

// Store is what the world needs of a store: *sqldb.DB satisfies it.
type Store interface {
	CreateUser(ctx context.Context, u *tandem.User) error
	ProposeAgreement(ctx context.Context, file, body, by string) (v tandem.AgreementVersion, created bool, err error)
	SignAgreement(ctx context.Context, version int, email string) (tandem.AgreementVersion, error)
}

// Cast is the company of Tandem's tests. A member a test did not ask for is
// the zero User.
type Cast struct {
	Admin tandem.User // ada@example.com, admin
	Mia   tandem.User // mia@example.com, head of marketing
	Mark  tandem.User // mark@example.com, marketing
	Sam   tandem.User // sam@example.com, head of sales
	Eve   tandem.User // eve@example.com, executive
	Manu  tandem.User // manu@example.com, sales manager under Sam
	Rex   tandem.User // rex@example.com, sales rep in team East under Manu
	Ria   tandem.User // ria@example.com, sales rep in team West under Manu
}

// Member names, as [People] takes them.
const (
	Admin = "admin"
	Mia   = "mia"
	Mark  = "mark"
	Sam   = "sam"
	Eve   = "eve"
	Manu  = "manu"
	Rex   = "rex"
	Ria   = "ria"
)

// Everyone is every member of the cast, in the order they are created.
var Everyone = []string{Admin, Mia, Mark, Sam, Eve, Manu, Rex, Ria}

// Signers is the least cast that can sign the default agreement: both heads,
// and someone in every role its escalations notify.
var Signers = []string{Mia, Sam, Manu, Rex}

type member struct {
	name, email string
	role        tandem.Role
	team        string
	manager     string
	slot        func(*Cast) *tandem.User
}

var members = []member{
	{Admin, "ada@example.com", tandem.RoleAdmin, "", "", func(c *Cast) *tandem.User { return &c.Admin }},
	{Mia, "mia@example.com", tandem.RoleMarketingHead, "", "", func(c *Cast) *tandem.User { return &c.Mia }},
	{Mark, "mark@example.com", tandem.RoleMarketing, "", "", func(c *Cast) *tandem.User { return &c.Mark }},
	{Sam, "sam@example.com", tandem.RoleSalesHead, "", "", func(c *Cast) *tandem.User { return &c.Sam }},
	{Eve, "eve@example.com", tandem.RoleExecutive, "", "", func(c *Cast) *tandem.User { return &c.Eve }},
	{Manu, "manu@example.com", tandem.RoleSalesManager, "", Sam, func(c *Cast) *tandem.User { return &c.Manu }},
	{Rex, "rex@example.com", tandem.RoleSalesRep, "East", Manu, func(c *Cast) *tandem.User { return &c.Rex }},
	{Ria, "ria@example.com", tandem.RoleSalesRep, "West", Manu, func(c *Cast) *tandem.User { return &c.Ria }},
}

// People creates the named members of the cast (all of them when none is
// named), in the cast's order, so that a manager exists before the reps
// under them. A member whose manager is not named has no manager.
func People(t testing.TB, s Store, names ...string) Cast {
	t.Helper()
	if len(names) == 0 {
		names = Everyone
	}
	for _, n := range names {
		if !slices.ContainsFunc(members, func(m member) bool { return m.name == n }) {
			t.Fatalf("tandemtest.People: %q is not in the cast %v", n, Everyone)
		}
	}
	var c Cast
	for _, m := range members {
		if !slices.Contains(names, m.name) {
			continue
		}
		u := tandem.User{Email: m.email, Role: m.role, Team: m.team}
		if m.manager != "" {
			u.ManagerID = c.byName(m.manager).ID
		}
		if err := s.CreateUser(context.Background(), &u); err != nil {
			t.Fatalf("CreateUser(%s, %s) = %v", u.Email, u.Role, err)
		}
		*m.slot(&c) = u
	}
	return c
}

func (c *Cast) byName(name string) *tandem.User {
	for _, m := range members {
		if m.name == name {
			return m.slot(c)
		}
	}
	return &tandem.User{}
}

// Sign proposes the agreement body as the admin would and has both heads
// (Mia and Sam, who must exist) sign it; it returns the version in force.
func (c Cast) Sign(t testing.TB, s Store, body string) tandem.AgreementVersion {
	t.Helper()
	return Sign(t, s, body, c.Mia.Email, c.Sam.Email)
}

// Sign proposes the agreement body and has each of the signers sign it, in
// order; it returns the version as the last signature left it.
func Sign(t testing.TB, s Store, body string, signers ...string) tandem.AgreementVersion {
	t.Helper()
	ctx := context.Background()
	v, _, err := s.ProposeAgreement(ctx, "agreement.yaml", body, "admin@example.com")
	if err != nil {
		t.Fatalf("ProposeAgreement(agreement.yaml) = %v", err)
	}
	for _, who := range signers {
		signed, err := s.SignAgreement(ctx, v.Version, who)
		if err != nil {
			t.Fatalf("SignAgreement(%d, %s) = %v", v.Version, who, err)
		}
		v = signed
	}
	return v
}

// Token is the API token a user's session would carry.
func Token(u tandem.User) tandem.Token {
	return tandem.Token{UserID: u.ID, UserEmail: u.Email, Role: u.Role}
}
