package access

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/tandemhq/tandem"
)

// Caller is who asks, as the lead rule sees them: a user, or an
// integration's token (UserID 0), with the users below them.
type Caller struct {
	// UserID is the user the caller acts for; 0 for a token that acts for
	// no user (an integration).
	UserID int64
	Role   tandem.Role
	// Name names the caller in messages: the user's email or the token's
	// name.
	Name string
	// Below holds the users below the caller in the manager chain, at any
	// distance. The store fills it; nil for a caller who manages nobody.
	Below map[int64]bool
}

// Operator is the person at the command line (`tandem import`, `tandem
// lead move`): whoever can open the database may do what an admin may.
func Operator(name string) Caller { return Caller{Role: tandem.RoleAdmin, Name: name} }

// Lead is what the rule needs to know of a lead.
type Lead struct {
	ID      int64
	OwnerID int64 // 0: unassigned
	// Owner is the owner's email, for messages; "" when unassigned.
	Owner string
	// PastOwners are the users who held one of the lead's hand-offs,
	// ended or not.
	PastOwners []int64
}

// owner names the lead's owner for a message.
func (l Lead) owner() string {
	switch {
	case l.OwnerID == 0:
		return "nobody yet"
	case l.Owner == "":
		return fmt.Sprintf("user %d", l.OwnerID)
	}
	return l.Owner
}

// isOrAbove reports whether the caller is the user id or a manager above
// them.
func (c Caller) isOrAbove(id int64) bool {
	return id != 0 && (c.UserID != 0 && id == c.UserID || c.Below[id])
}

// CanOwn reports whether a user with the role may own leads: leads go to
// people in sales (reps, their managers, the head of sales).
func CanOwn(r tandem.Role) bool { return inSales(r) }

// inSales reports whether the role sells: reps, their managers, the head
// of sales.
func inSales(r tandem.Role) bool {
	return r == tandem.RoleSalesRep || r == tandem.RoleSalesManager || r == tandem.RoleSalesHead
}

// inMarketing reports whether the role is marketing's.
func inMarketing(r tandem.Role) bool {
	return r == tandem.RoleMarketing || r == tandem.RoleMarketingHead
}

// Scope is the set of leads a caller may read, in a form the store can
// turn into a query: every lead, or those owned (now or in a past
// hand-off) by one of Users, plus the unassigned ones when Unassigned.
type Scope struct {
	All        bool
	Users      []int64 // sorted
	Unassigned bool
}

// ReadScope is the reading rule: a sales rep reads the leads they own or
// held a hand-off of, and the unassigned ones (marketing's leads, and
// those routing could not place); a sales manager reads the same for
// themselves and every user below them; everyone else (admins, the head
// of sales, marketing, executives) reads every lead.
func (c Caller) ReadScope() Scope {
	if c.Role != tandem.RoleSalesRep && c.Role != tandem.RoleSalesManager {
		return Scope{All: true}
	}
	sc := Scope{Unassigned: true}
	if c.UserID != 0 {
		sc.Users = append(sc.Users, c.UserID)
	}
	for id := range c.Below {
		sc.Users = append(sc.Users, id)
	}
	slices.Sort(sc.Users)
	return sc
}

// Allows reports whether the scope holds the lead.
func (sc Scope) Allows(l Lead) bool {
	if sc.All || sc.Unassigned && l.OwnerID == 0 {
		return true
	}
	if _, ok := slices.BinarySearch(sc.Users, l.OwnerID); ok && l.OwnerID != 0 {
		return true
	}
	return slices.ContainsFunc(l.PastOwners, func(id int64) bool {
		_, ok := slices.BinarySearch(sc.Users, id)
		return ok
	})
}

// CanRead returns nil if the caller may read the lead (its fields, its
// events, hand-offs and cadence; see [Caller.ReadScope]), or EFORBIDDEN
// naming the lead and its owner.
func CanRead(c Caller, l Lead) error {
	if c.ReadScope().Allows(l) {
		return nil
	}
	return tandem.Errorf(tandem.EFORBIDDEN, "lead %d is not yours: it belongs to %s, and a %s reads only the leads they or the reps below them own or held, and unassigned ones",
		l.ID, l.owner(), c.Role)
}

// CanWork returns nil if the caller may work a lead that ownerID owns
// (log a touch, accept, reject or disqualify its hand-off, review it): the
// owner, a manager above the owner, or an admin. EFORBIDDEN otherwise,
// naming the lead and the owner.
func CanWork(c Caller, l Lead) error {
	if c.Role == tandem.RoleAdmin {
		return nil
	}
	if c.UserID == 0 {
		return tandem.Errorf(tandem.EFORBIDDEN, "token %s acts for no user: only lead %d's owner, a manager above the owner, or an admin may work it", c.Name, l.ID)
	}
	if c.isOrAbove(l.OwnerID) {
		return nil
	}
	return tandem.Errorf(tandem.EFORBIDDEN, "lead %d belongs to %s: only its owner, a manager above the owner, or an admin may work it", l.ID, l.owner())
}

// Edit is what a change asks of a lead: to create it, to set some of its
// plain fields, its owner, its stage. Only what the caller asks counts;
// what entry rules and routing do next is the agreement's doing.
type Edit struct {
	New    bool     // the change creates the lead
	Fields []string // plain fields it changes (not owner_id, not stage)
	// Owner says the owner changes, from OwnerFrom to OwnerTo (0: nobody).
	Owner              bool
	OwnerFrom, OwnerTo int64
	// OwnerToName is the new owner's email, for messages ("" unknown).
	OwnerToName string
	// Stage says the stage changes, from StageFrom ("" for a new lead) to
	// StageTo.
	Stage              bool
	StageFrom, StageTo string
}

// IsZero reports whether the edit changes nothing.
func (e Edit) IsZero() bool { return !e.New && len(e.Fields) == 0 && !e.Owner && !e.Stage }

// EditOf reads what a change made by intake ([tandem.Intake]) asks of a
// lead: the events the actor wrote, not those entry rules add.
func EditOf(ch tandem.Change, actor string) Edit {
	var e Edit
	for _, ev := range ch.Events {
		if ev.Actor != actor {
			continue
		}
		switch ev.Type {
		case tandem.EventCreated:
			e.New = true
			for _, fc := range ev.Changes {
				switch fc.Field {
				case "stage":
					e.Stage, e.StageTo = true, fc.To
				case "owner_id":
					id := ownerID(fc.To)
					e.Owner, e.OwnerTo = id != 0, id
				}
			}
		case tandem.EventUpdated:
			for _, fc := range ev.Changes {
				if fc.Field == "owner_id" {
					e.Owner, e.OwnerFrom, e.OwnerTo = true, ownerID(fc.From), ownerID(fc.To)
					continue
				}
				e.Fields = append(e.Fields, fc.Field)
			}
		case tandem.EventStageChanged:
			for _, fc := range ev.Changes {
				if fc.Field == "stage" {
					if !e.Stage {
						e.StageFrom = fc.From
					}
					e.Stage, e.StageTo = true, fc.To
				}
			}
		}
	}
	return e
}

// ownerID reads an owner_id as events write it ("" for none).
func ownerID(s string) int64 {
	id, _ := strconv.ParseInt(s, 10, 64) // written by intake from an int64: "" is 0
	return id
}

// CanChange returns nil if the caller may make the edit to the lead (the
// zero Lead for a new one), or EFORBIDDEN naming the lead, its owner and
// the rule. won is the stage a won deal moves a lead to (customer): only a
// won deal, or an admin, puts a lead there. The rule, by role:
//
//   - admin: any change.
//   - executive: none; executives read.
//   - marketing, marketing_head: create leads unassigned; change the plain
//     fields of any lead (they bring its data: forms, campaigns, scores);
//     move the stage of an unassigned lead. No owner: routing or sales
//     gives one.
//   - sales_rep: create leads as their own or unassigned; change the
//     fields and stage of the leads they own; the plain fields of an
//     unassigned lead. No reassigning.
//   - sales_manager, sales_head: as a rep, for themselves and every user
//     below them; and reassign a lead between users they are above (see
//     [CanAssign]).
func CanChange(c Caller, l Lead, e Edit, won string) error {
	if e.IsZero() || c.Role == tandem.RoleAdmin {
		return nil
	}
	lead := "a new lead"
	if !e.New {
		lead = fmt.Sprintf("lead %d", l.ID)
	}
	if !inSales(c.Role) && !inMarketing(c.Role) {
		return tandem.Errorf(tandem.EFORBIDDEN, "the %s role reads leads and changes none", c.Role)
	}
	if e.Stage && won != "" && e.StageTo == won {
		return tandem.Errorf(tandem.EFORBIDDEN, "%s: only a won deal makes a lead a %s (POST /api/v1/deals/{id}/won), or an admin by hand", lead, won)
	}
	if e.New {
		switch {
		case !e.Owner:
			return nil
		case inMarketing(c.Role):
			return tandem.Errorf(tandem.EFORBIDDEN, "%s: marketing creates leads unassigned (owner_id 0): routing or a sales manager gives them an owner", lead)
		case c.isOrAbove(e.OwnerTo):
			return nil
		}
		to := e.OwnerToName
		if to == "" {
			to = fmt.Sprintf("user %d", e.OwnerTo)
		}
		return tandem.Errorf(tandem.EFORBIDDEN, "%s for %s: %s may create leads as their own, for the reps below them, or unassigned", lead, to, c.Name)
	}
	if e.Owner {
		if err := CanAssign(c, l, e.OwnerTo, e.OwnerToName); err != nil {
			return err
		}
	}
	mine := l.OwnerID != 0 && c.isOrAbove(l.OwnerID)
	if e.Stage && !mine {
		if l.OwnerID != 0 || !inMarketing(c.Role) {
			return tandem.Errorf(tandem.EFORBIDDEN, "lead %d belongs to %s: only its owner, a manager above the owner, or an admin may move its stage, and marketing while it is unassigned",
				l.ID, l.owner())
		}
	}
	if len(e.Fields) > 0 && !mine && l.OwnerID != 0 && !inMarketing(c.Role) {
		return tandem.Errorf(tandem.EFORBIDDEN, "lead %d belongs to %s: only its owner, a manager above the owner, marketing or an admin may change its %s",
			l.ID, l.owner(), e.Fields[0])
	}
	return nil
}

// CanAssign returns nil if the caller may give the lead to the user to (0:
// take it from its owner; toName is their email, for the message): an admin, or a sales manager or head who is
// above the current owner (or the lead is unassigned) and is the new owner
// or above them. EFORBIDDEN otherwise, naming the lead and its owner.
func CanAssign(c Caller, l Lead, to int64, toName string) error {
	if c.Role == tandem.RoleAdmin {
		return nil
	}
	manager := c.Role == tandem.RoleSalesManager || c.Role == tandem.RoleSalesHead
	if manager && (l.OwnerID == 0 || c.isOrAbove(l.OwnerID)) && (to == 0 || c.isOrAbove(to)) {
		return nil
	}
	if toName == "" {
		toName = fmt.Sprintf("user %d", to)
	}
	return tandem.Errorf(tandem.EFORBIDDEN, "lead %d belongs to %s: only an admin, or a sales manager above both its owner and the new owner (%s), may reassign it",
		l.ID, l.owner(), toName)
}

// CanSeeWorkOf reports whether the caller may see the tasks and queue of
// the user id: the user themselves, a manager above them, or an admin.
func CanSeeWorkOf(c Caller, id int64) bool {
	return c.Role == tandem.RoleAdmin || c.isOrAbove(id)
}
