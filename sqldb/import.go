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
	// Introduced, if set, collects across the batches of one file what the
	// rows created by name: a deal's account or product, an account's
	// parent, a manager named only in a users file's manager column.
	Introduced *Introduced
	// As is the caller who imports, whom every lead is checked against
	// ([IntakeOptions.As]); nil for the operator at the command line.
	As *tandem.Token
}

// catalogInput is a row of accounts or products: its values, its own over the mapping's initial ones.
func catalogInput(row csvimport.Row) map[string]string {
	in := map[string]string{}
	for k, v := range row.Initial {
		in[k] = v
	}
	for k, v := range row.Fields {
		if strings.TrimSpace(v) != "" {
			in[k] = v
		}
	}
	return in
}

// catalogNames are the keys of the account and product names a batch of
// deals names that exist before it is stored.
type catalogNames struct{ accounts, products map[string]bool }

func (db *DB) catalogNames(ctx context.Context, in []tandem.DealInput) (c catalogNames, err error) {
	c = catalogNames{accounts: map[string]bool{}, products: map[string]bool{}}
	err = db.view(ctx, func(tx *Tx) error {
		for _, d := range in {
			for _, k := range []struct {
				field string
				seen  map[string]bool
				find  func(context.Context, string) (bool, error)
			}{
				{"account", c.accounts, func(ctx context.Context, n string) (bool, error) {
					_, ok, err := tx.accountByName(ctx, n)
					return ok, err
				}},
				{"product", c.products, func(ctx context.Context, n string) (bool, error) {
					_, ok, err := tx.productByName(ctx, n)
					return ok, err
				}},
			} {
				name := d.Fields[k.field]
				if name == "" {
					name = d.Initial[k.field]
				}
				key := tandem.NameKey(name)
				if _, done := k.seen[key]; done || key == "" {
					continue
				}
				ok, err := k.find(ctx, name)
				if err != nil {
					return err
				}
				k.seen[key] = ok
			}
		}
		return nil
	})
	return c, err
}

// introduced records in intro the names the stored rows of a batch of
// deals created: those that did not exist before it.
func (c catalogNames) introduced(in []tandem.DealInput, results []IntakeResult, intro *Introduced) {
	if intro == nil {
		return
	}
	for i, d := range in {
		if results[i].Status == tandem.StatusRejected {
			continue
		}
		for _, k := range []struct {
			field string
			known map[string]bool
			list  *[]string
		}{{"account", c.accounts, &intro.Accounts}, {"product", c.products, &intro.Products}} {
			name := d.Fields[k.field]
			if name == "" {
				name = d.Initial[k.field]
			}
			if key := tandem.NameKey(name); key != "" && !k.known[key] {
				intro.add(k.list, tandem.CleanName(name))
			}
		}
	}
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
		var known catalogNames
		if o.Introduced != nil {
			if known, err = db.catalogNames(ctx, in); err != nil {
				return nil, err
			}
		}
		results, err = db.ImportDeals(ctx, in, DealImportOptions{DefaultSource: csvimport.DefaultSource, Actor: o.Actor, DryRun: o.DryRun})
		if err == nil {
			known.introduced(in, results, o.Introduced)
		}
	case "spend":
		in := make([]SpendInput, len(rows))
		for i, row := range rows {
			in[i] = SpendInput{Fields: row.Fields, Initial: row.Initial}
		}
		results, err = db.ImportSpend(ctx, in, o.Actor, o.DryRun)
	case "users":
		results, err = db.importUsers(ctx, rows, o.DryRun, o.Introduced)
	case "accounts", "products":
		in := make([]map[string]string, len(rows))
		for i, row := range rows {
			in[i] = catalogInput(row)
		}
		results, err = db.importCatalog(ctx, kind, in, o.DryRun, o.Introduced)
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
	// The manager the row names: a row of the file (mgrRow, else -1), a
	// user of Tandem (mgrID), or a manager the file names only in the
	// manager column (mgrNew, a key of the import's new managers).
	mgrRow int
	mgrID  int64
	mgrNew string
}

// newManager is a manager a users file names only in the manager column:
// added once, with the role that manages the first report who names them,
// in that report's team (an office or region becomes a team its manager
// leads).
type newManager struct {
	name, team string
	role       tandem.Role
	id         int64
	err        error
}

// userIndex is the users of Tandem, by email and by name, read once for
// an import (users are few).
type userIndex struct {
	byEmail map[string]tandem.User
	byName  map[string][]tandem.User
}

func (tx *Tx) userIndex(ctx context.Context) (userIndex, error) {
	ix := userIndex{byEmail: map[string]tandem.User{}, byName: map[string][]tandem.User{}}
	us, err := tx.users(ctx, "TRUE")
	if err != nil {
		return ix, err
	}
	for _, u := range us {
		if u.Email != "" {
			ix.byEmail[u.Email] = u
		}
		if k := tandem.NameKey(u.Name); k != "" {
			ix.byName[k] = append(ix.byName[k], u)
		}
	}
	return ix, nil
}

// isEmail tells an email from a name where a file may give either.
func isEmail(ref string) bool { return strings.Contains(ref, "@") }

// userRef names a user a file refers to, for messages: `email "a@b.c"`
// or `name "Ana Smith"`.
func userRef(ref string) string {
	if isEmail(ref) {
		return fmt.Sprintf("email %q", ref)
	}
	return fmt.Sprintf("name %q", ref)
}

// userByEmailOrName returns the user a file names by email or, for a value
// without "@", by name (as [tandem.NameKey] compares names): ENOTFOUND for
// none, ECONFLICT when several users have the name.
func (tx *Tx) userByEmailOrName(ctx context.Context, ref string) (tandem.User, error) {
	if isEmail(ref) {
		return tx.userByEmail(ctx, ref)
	}
	us, err := tx.users(ctx, "name = $1", strings.TrimSpace(ref))
	if err != nil {
		return tandem.User{}, err
	}
	if len(us) == 0 {
		// Another case or spacing: compare every user's name.
		all, err := tx.users(ctx, "TRUE")
		if err != nil {
			return tandem.User{}, err
		}
		for _, u := range all {
			if tandem.NameKey(u.Name) == tandem.NameKey(ref) {
				us = append(us, u)
			}
		}
	}
	switch len(us) {
	case 0:
		return tandem.User{}, tandem.Errorf(tandem.ENOTFOUND, "no user named %q", ref)
	case 1:
		return us[0], nil
	}
	return tandem.User{}, tandem.Errorf(tandem.ECONFLICT, "%d users are named %q: name the user by email", len(us), ref)
}

// importUsers adds and updates the users of a whole file, in one
// transaction (a dry run rolls it back). A user is known by their email
// or, in a file without emails, by their name; so is a manager. Every row
// is checked first; then the managers the file names only in the manager
// column are added, once each; then the users who do not exist, without
// their managers; then roles, teams, weights, emails and managers are set,
// in rounds, so that a row whose change depends on another's (a rep whose
// new manager is promoted further down the file) succeeds once the other
// has. A constant or default of the mapping only fills a user who is
// added. A row with an email and a name that names a user without an email
// gives that user the email.
func (db *DB) importUsers(ctx context.Context, rows []csvimport.Row, dryRun bool, intro *Introduced) ([]IntakeResult, error) {
	var results []IntakeResult
	var managers []string
	err := db.transact(ctx, func(tx *Tx) error {
		var err error
		results, managers, err = tx.importUsers(ctx, rows)
		if err == nil && dryRun {
			return errRollback
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if dryRun {
		for i := range results {
			if results[i].Status == tandem.StatusCreated {
				results[i].ID = 0
			}
		}
	}
	if intro != nil {
		intro.Managers = append(intro.Managers, managers...)
	}
	return results, nil
}

func (tx *Tx) importUsers(ctx context.Context, rows []csvimport.Row) ([]IntakeResult, []string, error) {
	results := make([]IntakeResult, len(rows))
	rejected := func(i int) bool { return results[i].Status == tandem.StatusRejected }
	reject := func(i int, err error) { results[i] = IntakeResult{Status: tandem.StatusRejected, Err: err} }
	invalid := func(i int, field, format string, args ...any) {
		reject(i, tandem.Invalid(tandem.FieldError{Field: field, Message: fmt.Sprintf(format, args...)}))
	}
	ix, err := tx.userIndex(ctx)
	if err != nil {
		return nil, nil, err
	}
	us := make([]userRow, len(rows))
	byEmail, byName := map[string]int{}, map[string]int{} // the file's rows
	for i, row := range rows {
		u := &us[i]
		u.mgrRow = -1
		u.email = normalEmail(row.Fields["email"])
		value := func(name string) (string, bool) {
			if v := strings.TrimSpace(row.Fields[name]); v != "" {
				return v, true
			}
			v := strings.TrimSpace(row.Initial[name])
			return v, v != "" && !u.exists
		}
		u.name = strings.TrimSpace(row.Fields["name"])
		key := tandem.NameKey(u.name)
		switch {
		case u.email == "" && key == "":
			invalid(i, "email", "is required: a user is known by their email, or by their name in a file without emails")
			continue
		case u.email != "":
			if j, dup := byEmail[u.email]; dup {
				invalid(i, "email", "%s is given again (first on line %d)", u.email, rows[j].Line)
				continue
			}
			byEmail[u.email] = i
		default:
			if j, dup := byName[key]; dup {
				invalid(i, "name", "%s is given again (first on line %d): give emails to tell people of one name apart", u.name, rows[j].Line)
				continue
			}
		}
		if _, ok := byName[key]; !ok && key != "" {
			byName[key] = i
		}
		if cur, ok := ix.byEmail[u.email]; ok && u.email != "" {
			u.exists, u.cur = true, cur
		} else if key != "" {
			var named []tandem.User
			for _, c := range ix.byName[key] {
				if u.email == "" || c.Email == "" {
					named = append(named, c)
				}
			}
			switch {
			case len(named) == 1:
				u.exists, u.cur = true, named[0]
			case len(named) > 1:
				invalid(i, "name", "%d users are named %s: give the email of the one meant", len(named), u.name)
				continue
			}
		}
		if u.name == "" {
			u.name, _ = value("name")
		}
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
	// Each manager is a row of the file, a user of Tandem, or a new manager.
	newManagers := map[string]*newManager{}
	var order []string
	for i := range us {
		u := &us[i]
		if rejected(i) || !u.hasManager {
			continue
		}
		ref := u.manager
		if isEmail(ref) {
			ref = normalEmail(ref)
			u.manager = ref
			if j, ok := byEmail[ref]; ok {
				u.mgrRow = j
			} else if m, ok := ix.byEmail[ref]; ok {
				u.mgrID = m.ID
			} else {
				invalid(i, "manager", "no user with email %s, in the file or in Tandem", ref)
			}
			continue
		}
		key := tandem.NameKey(ref)
		if j, ok := byName[key]; ok {
			u.mgrRow = j
			continue
		}
		switch named := ix.byName[key]; len(named) {
		case 1:
			u.mgrID = named[0].ID
			continue
		case 0:
		default:
			invalid(i, "manager", "%d users are named %s: give the manager's email", len(named), ref)
			continue
		}
		role := u.role
		if role == "" {
			role = u.cur.Role
		}
		roles := role.ManagerRoles()
		if len(roles) == 0 {
			invalid(i, "manager", "%s", role.ManagerRule())
			continue
		}
		if _, ok := newManagers[key]; !ok {
			team := u.team
			if !u.hasTeam {
				team = u.cur.Team
			}
			newManagers[key] = &newManager{name: tandem.CleanName(ref), team: team, role: roles[0]}
			order = append(order, key)
		}
		u.mgrNew = key
	}
	// savepoint runs fn so that its failure undoes only its own writes.
	savepoint := func(fn func() error) error {
		if _, err := tx.ExecContext(ctx, `SAVEPOINT user_row`); err != nil {
			return err
		}
		err := fn()
		if err != nil && tandem.ErrorCode(err) != tandem.EINTERNAL {
			if _, rerr := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT user_row`); rerr != nil {
				return rerr
			}
			return err
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `RELEASE SAVEPOINT user_row`)
		return err
	}
	var created []string
	for _, key := range order {
		m := newManagers[key]
		nu := tandem.User{Name: m.name, Role: m.role, Team: m.team}
		m.err = savepoint(func() error { return tx.createUser(ctx, &nu) })
		if code := tandem.ErrorCode(m.err); code == tandem.EINTERNAL {
			return nil, nil, m.err
		} else if m.err == nil {
			m.id = nu.ID
			created = append(created, m.name)
		}
	}
	// Add who is missing, without a manager.
	for i := range us {
		u := &us[i]
		if rejected(i) || u.exists {
			continue
		}
		nu := tandem.User{Email: u.email, Name: u.name, Role: u.role, Team: u.team, Weight: u.weight}
		err := savepoint(func() error { return tx.createUser(ctx, &nu) })
		if tandem.ErrorCode(err) == tandem.EINTERNAL {
			return nil, nil, err
		} else if err != nil {
			reject(i, err)
			continue
		}
		results[i] = IntakeResult{ID: nu.ID, Status: tandem.StatusCreated}
		u.cur = nu
	}
	// The changes, managers included.
	type pending struct {
		i  int
		up tandem.UserUpdate
		m  int64 // the manager's id
	}
	var todo []pending
	for i := range us {
		u := &us[i]
		if rejected(i) {
			continue
		}
		var up tandem.UserUpdate
		var mgr int64
		if u.exists {
			results[i] = IntakeResult{ID: u.cur.ID, Status: tandem.StatusUnchanged}
			if u.role != "" && u.role != u.cur.Role {
				up.Role = &u.role
			}
			if u.hasTeam && u.team != u.cur.Team {
				up.Team = &u.team
			}
			if u.weight != 0 && u.weight != u.cur.Weight {
				up.Weight = &u.weight
			}
			if u.email != "" && u.cur.Email == "" {
				up.Email = &u.email
			}
		}
		if u.hasManager {
			switch {
			case u.mgrRow >= 0 && rejected(u.mgrRow):
				invalid(i, "manager", "the manager's row, line %d, was rejected", rows[u.mgrRow].Line)
				continue
			case u.mgrRow >= 0:
				mgr = us[u.mgrRow].cur.ID
			case u.mgrNew != "" && newManagers[u.mgrNew].err != nil:
				reject(i, tandem.Errorf(tandem.ErrorCode(newManagers[u.mgrNew].err), "manager %s could not be added: %s",
					newManagers[u.mgrNew].name, tandem.ErrorMessage(newManagers[u.mgrNew].err)))
				continue
			case u.mgrNew != "":
				mgr = newManagers[u.mgrNew].id
			default:
				mgr = u.mgrID
			}
			if mgr != u.cur.ManagerID {
				up.Manager = &u.manager
			}
		}
		if up.IsZero() {
			continue
		}
		if u.exists {
			results[i].Status = tandem.StatusUpdated
		}
		todo = append(todo, pending{i, up, mgr})
	}
	errs := map[int]error{}
	for progress := true; progress && len(todo) > 0; {
		progress = false
		var again []pending
		for _, p := range todo {
			err := savepoint(func() error {
				before, err := tx.userByID(ctx, us[p.i].cur.ID, true)
				if err != nil {
					return err
				}
				var m *tandem.User
				if p.up.Manager != nil {
					mu, err := tx.userByID(ctx, p.m, true)
					if err != nil {
						return err
					}
					m = &mu
				}
				_, err = tx.updateUser(ctx, before, p.up, m)
				return err
			})
			switch {
			case err == nil:
				progress = true
				delete(errs, p.i)
			case tandem.ErrorCode(err) == tandem.EINTERNAL:
				return nil, nil, err
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
			// Added, but not all of it: importing again, once the row
			// is fixed, finishes it.
			e := tandem.Errorf(tandem.ErrorCode(err), "added without its changes: %s", tandem.ErrorMessage(err))
			e.Fields = tandem.ErrorFields(err)
			err = e
		}
		reject(p.i, err)
	}
	return results, created, nil
}
