package sqldb

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/csvimport"
)

// ImportOptions says how [DB.Import] stores the rows of a file.
type ImportOptions struct {
	// File is the file's name: a lead's change gives "import of FILE" as
	// its reason.
	File string
	// Actor is recorded on every event; "" means "import:FILE".
	Actor string
	// DryRun computes every outcome and writes nothing.
	DryRun bool
	// As is the caller who imports, whom every lead is checked against
	// ([IntakeOptions.As]); nil for the operator at the command line.
	As *tandem.Token
}

// Import stores a batch of rows read from a CSV file of kind (leads,
// deals, users or spend; see package csvimport) and says what happened to
// each, in order, as [DB.IntakeLeads], [DB.ImportDeals], [DB.ImportSpend]
// and the users import do. It is the store of both `tandem import` and the
// import page, for a [csvimport.Import]. Rows of users must be the whole
// file (csvimport.ReadWhole). Errors: EINVALID for an unknown kind; a bad
// row is a rejected result, not an error.
func (db *DB) Import(ctx context.Context, kind string, rows []csvimport.Row, o ImportOptions) ([]csvimport.Result, error) {
	if o.Actor == "" {
		o.Actor = "import:" + o.File
	}
	var results []IntakeResult
	var err error
	switch kind {
	case "leads":
		in := make([]tandem.LeadInput, len(rows))
		for i, row := range rows {
			in[i] = tandem.LeadInput{Fields: row.Fields, Initial: row.Initial, Reason: "import of " + o.File}
		}
		results, err = db.IntakeLeads(ctx, in, IntakeOptions{DefaultSource: csvimport.DefaultSource, Actor: o.Actor, DryRun: o.DryRun, As: o.As})
	case "deals":
		in := make([]tandem.DealInput, len(rows))
		for i, row := range rows {
			in[i] = tandem.DealInput{Fields: row.Fields, Initial: row.Initial}
		}
		results, err = db.ImportDeals(ctx, in, DealImportOptions{DefaultSource: csvimport.DefaultSource, Actor: o.Actor, DryRun: o.DryRun})
	case "spend":
		in := make([]SpendInput, len(rows))
		for i, row := range rows {
			in[i] = SpendInput{Fields: row.Fields, Initial: row.Initial}
		}
		results, err = db.ImportSpend(ctx, in, o.Actor, o.DryRun)
	case "users":
		results, err = db.importUsers(ctx, rows, o.DryRun)
	default:
		return nil, tandem.Errorf(tandem.EINVALID, "no import of %q: want one of %s", kind, strings.Join(csvimport.Kinds(), ", "))
	}
	if err != nil {
		return nil, err
	}
	out := make([]csvimport.Result, len(results))
	for i, res := range results {
		out[i] = csvimport.Result{Status: res.Status, Err: res.Err}
	}
	return out, nil
}

// userRow is one row of a users file, read.
type userRow struct {
	email, name, team, manager string
	role                       tandem.Role
	weight                     int
	hasTeam, hasManager        bool
	exists                     bool // the user was in Tandem before the import
	cur                        tandem.User
}

// importUsers adds and updates the users of a whole file. Every row is
// checked first; then the users who do not exist are added, without their
// managers; then roles, teams, weights and managers are set, in rounds, so
// that a row whose change depends on another's (a rep whose new manager is
// promoted further down the file) succeeds once the other has. A constant
// or default of the mapping only fills a user who is added.
func (db *DB) importUsers(ctx context.Context, rows []csvimport.Row, dryRun bool) ([]IntakeResult, error) {
	results := make([]IntakeResult, len(rows))
	reject := func(i int, err error) { results[i] = IntakeResult{Status: tandem.StatusRejected, Err: err} }
	invalid := func(i int, field, format string, args ...any) {
		reject(i, tandem.Invalid(tandem.FieldError{Field: field, Message: fmt.Sprintf(format, args...)}))
	}
	us := make([]userRow, len(rows))
	firstLine := map[string]int{}
	for i, row := range rows {
		u := &us[i]
		u.email = strings.ToLower(strings.TrimSpace(row.Fields["email"]))
		if u.email == "" {
			invalid(i, "email", "is required: a user is known by their email")
			continue
		}
		if line, dup := firstLine[u.email]; dup {
			invalid(i, "email", "%s is given again (first on line %d)", u.email, line)
			continue
		}
		firstLine[u.email] = row.Line
		cur, err := db.UserByEmail(ctx, u.email)
		switch {
		case err == nil:
			u.exists, u.cur = true, cur
		case tandem.ErrorCode(err) != tandem.ENOTFOUND:
			return nil, err
		}
		value := func(name string) (string, bool) {
			if v := row.Fields[name]; v != "" {
				return v, true
			}
			v := row.Initial[name]
			return v, v != "" && !u.exists
		}
		u.name, _ = value("name")
		u.team, u.hasTeam = value("team")
		u.manager, u.hasManager = value("manager")
		if role, ok := value("role"); ok {
			r, err := tandem.ParseRole(role)
			if err != nil {
				reject(i, err)
				continue
			}
			u.role = r
		} else if !u.exists {
			invalid(i, "role", "is required for a new user (one of admin, marketing, marketing_head, sales_rep, sales_manager, sales_head, executive)")
			continue
		}
		if w, ok := value("weight"); ok {
			n, err := strconv.Atoi(w)
			if err != nil || n < 1 || n > tandem.MaxWeight {
				invalid(i, "weight", "%q is not a weight: give a whole number from 1 to %d", w, tandem.MaxWeight)
				continue
			}
			u.weight = n
		}
		if !u.exists {
			nu := tandem.User{Email: u.email, Name: u.name, Role: u.role, Team: u.team, Weight: u.weight}
			if err := nu.Validate(); err != nil {
				reject(i, err)
				continue
			}
		}
	}
	// A manager must be in the file or in Tandem, before anyone is added.
	for i := range us {
		u := &us[i]
		if results[i].Status == tandem.StatusRejected || !u.hasManager {
			continue
		}
		u.manager = strings.ToLower(strings.TrimSpace(u.manager))
		if _, inFile := firstLine[u.manager]; inFile {
			continue
		}
		if _, err := db.UserByEmail(ctx, u.manager); tandem.ErrorCode(err) == tandem.ENOTFOUND {
			invalid(i, "manager", "no user with email %s, in the file or in Tandem", u.manager)
		} else if err != nil {
			return nil, err
		}
	}
	// Pass 1: add who is missing, without a manager.
	for i := range us {
		u := &us[i]
		if results[i].Status == tandem.StatusRejected || u.exists {
			continue
		}
		results[i].Status = tandem.StatusCreated
		if dryRun {
			continue
		}
		nu := tandem.User{Email: u.email, Name: u.name, Role: u.role, Team: u.team, Weight: u.weight}
		if err := db.CreateUser(ctx, &nu); tandem.ErrorCode(err) == tandem.EINTERNAL {
			return nil, err
		} else if err != nil {
			reject(i, err)
			continue
		}
		results[i].ID, u.cur = nu.ID, nu
	}
	// Pass 2: the changes, managers included.
	managerEmail := map[int64]string{}
	emailOf := func(id int64) (string, error) {
		if id == 0 {
			return "", nil
		}
		if e, ok := managerEmail[id]; ok {
			return e, nil
		}
		mu, err := db.UserByID(ctx, id)
		if err != nil {
			return "", err
		}
		managerEmail[id] = mu.Email
		return mu.Email, nil
	}
	type pending struct {
		i  int
		up tandem.UserUpdate
	}
	var todo []pending
	for i := range us {
		u := &us[i]
		if results[i].Status == tandem.StatusRejected {
			continue
		}
		var up tandem.UserUpdate
		if u.exists {
			results[i] = IntakeResult{ID: u.cur.ID, Status: tandem.StatusUnchanged}
			if u.role != "" && u.role != u.cur.Role {
				up.Role = &u.role
			}
			if u.hasTeam && strings.TrimSpace(u.team) != u.cur.Team {
				up.Team = &u.team
			}
			if u.weight != 0 && u.weight != u.cur.Weight {
				up.Weight = &u.weight
			}
		}
		if u.hasManager {
			cur, err := emailOf(u.cur.ManagerID)
			if err != nil {
				return nil, err
			}
			if u.manager != cur {
				up.Manager = &u.manager
			}
		}
		if up.IsZero() {
			continue
		}
		if u.exists {
			results[i].Status = tandem.StatusUpdated
		}
		if !dryRun {
			todo = append(todo, pending{i, up})
		}
	}
	errs := map[int]error{}
	for progress := true; progress && len(todo) > 0; {
		progress = false
		var again []pending
		for _, p := range todo {
			_, err := db.UpdateUser(ctx, us[p.i].email, p.up)
			switch {
			case err == nil:
				progress = true
				delete(errs, p.i)
			case tandem.ErrorCode(err) == tandem.EINTERNAL:
				return nil, err
			default:
				errs[p.i] = err
				again = append(again, p)
			}
		}
		todo = again
	}
	for _, p := range todo {
		err := errs[p.i]
		if !us[p.i].exists {
			// Added in pass 1, but not all of it: importing again, once
			// the row is fixed, finishes it.
			err = tandem.Errorf(tandem.ErrorCode(err), "added without its changes: %s", tandem.ErrorMessage(err))
			if fe := tandem.ErrorFields(errs[p.i]); len(fe) > 0 {
				err.(*tandem.Error).Fields = fe
			}
		}
		reject(p.i, err)
	}
	return results, nil
}
