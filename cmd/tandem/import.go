package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/csvimport"
	"github.com/tandemhq/tandem/sqldb"
	"golang.org/x/term"
)

func (m *Main) importCommand() *cobra.Command {
	c := &cobra.Command{Use: "import", Short: "Import leads, deals, users and campaign spend from CSV files"}
	c.AddCommand(
		m.importKindCommand(importLeads, "leads FILE (--mapping FILE | --preset NAME)",
			"Import leads from a CSV file through a column mapping or a preset ("+strings.Join(csvimport.PresetsFor("leads"), ", ")+")",
			`Import leads from a CSV file. Rows are idempotent by (source, external id):
running the same import again, for instance after an interruption, creates
nothing twice and reports those rows unchanged. Rejected rows are written,
with their line numbers and reasons, to a CSV file beside the input (or
--rejects). See docs/import.md for the mapping format.`),
		m.importKindCommand(importDeals, "deals FILE (--mapping FILE | --preset NAME)",
			"Import deals, linked to imported leads, through a column mapping or a preset ("+strings.Join(csvimport.PresetsFor("deals"), ", ")+")",
			`Import deals from a CSV file. Each row names its lead by the lead's source
and external id, so import the leads first. Deals are idempotent by (source,
external id), the external id defaulting to the lead's: running the same
import again changes nothing. A won deal moves its lead to customer, a lost
one back to marketing (recycled), dated by the deal's own dates. Rejected
rows, such as a deal whose lead was never imported, are written with their
line numbers and reasons to a CSV file beside the input (or --rejects).
--preset olist reads the Olist closed-deals file. See docs/import.md and
docs/deals.md.`),
		m.importKindCommand(importUsers, "users FILE --mapping FILE",
			"Import users with their role, team and manager through a column mapping",
			`Import users from a CSV file: email, name, role, team, manager (the
manager's email) and weight. Rows may come in any order: every user is added
first, then managers are set, so a manager may come after their reps. A user
who exists is updated (role, team, manager, weight; a name is kept as it was
given first); running the same import again changes nothing. See
docs/import.md.`),
		m.importKindCommand(importSpend, "spend FILE --mapping FILE",
			"Import campaign spend by month through a column mapping",
			`Import what campaigns cost, one month per row: campaign (the code leads
carry), month (YYYY-MM, or a date in the month), amount (in major units, like
12000.50), and optionally name and channel, which register a campaign the
file brings first. A month set again replaces its amount; running the same
import again changes nothing. See docs/import.md and docs/campaigns.md.`),
	)
	return c
}

// importKind is what differs between the imports of leads, deals and
// users: how a batch of rows is stored.
type importKind struct {
	name string // the mapping's kind
	// store writes a batch of rows and says what happened to each.
	store func(m *Main, ctx context.Context, db *sqldb.DB, rows []csvimport.Row, o importOptions) ([]sqldb.IntakeResult, error)
	// whole reads every row before storing any, as one batch.
	whole bool
}

// maxWholeRows bounds a file that is read whole before it is stored.
const maxWholeRows = 100_000

var (
	importLeads = importKind{name: "leads", store: (*Main).storeLeads}
	importDeals = importKind{name: "deals", store: (*Main).storeDeals}
	// Users are few, and a manager may come after their reps: the whole
	// file is one batch, resolved in two passes.
	importUsers = importKind{name: "users", store: (*Main).storeUsers, whole: true}
	importSpend = importKind{name: "spend", store: (*Main).storeSpend}
)

func (m *Main) importKindCommand(k importKind, use, short, long string) *cobra.Command {
	var o importOptions
	c := &cobra.Command{
		Use:   use,
		Short: short,
		Long:  long,
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			o.file = args[0]
			return m.runImport(c.Context(), k, o)
		},
	}
	c.Flags().StringVar(&o.mapping, "mapping", "", "a mapping file (YAML) from CSV columns to "+strings.TrimSuffix(k.name, "s")+" fields")
	if presets := csvimport.PresetsFor(k.name); len(presets) > 0 {
		c.Flags().StringVar(&o.preset, "preset", "", "a built-in mapping: "+strings.Join(presets, ", "))
	}
	c.Flags().BoolVar(&o.dryRun, "dry-run", false, "check every row and report what would happen; write nothing")
	c.Flags().StringVar(&o.rejects, "rejects", "", "where to write rejected rows (default FILE.rejects.csv beside FILE)")
	if !k.whole {
		c.Flags().IntVar(&o.batch, "batch", 1000, "rows per transaction")
	}
	return c
}

type importOptions struct {
	file, mapping, preset, rejects string
	dryRun                         bool
	batch                          int
}

// importTally counts what an import did.
type importTally struct {
	rows, created, updated, unchanged, rejected int
}

// actor names the import in the ledger.
func (o importOptions) actor() string { return "import:" + filepath.Base(o.file) }

func (m *Main) storeLeads(ctx context.Context, db *sqldb.DB, rows []csvimport.Row, o importOptions) ([]sqldb.IntakeResult, error) {
	return db.IntakeLeads(ctx, csvimport.LeadInputs(rows, filepath.Base(o.file)), sqldb.IntakeOptions{DefaultSource: "import", Actor: o.actor(), DryRun: o.dryRun})
}

func (m *Main) storeDeals(ctx context.Context, db *sqldb.DB, rows []csvimport.Row, o importOptions) ([]sqldb.IntakeResult, error) {
	inputs := make([]tandem.DealInput, len(rows))
	for i, row := range rows {
		inputs[i] = tandem.DealInput{Fields: row.Fields, Initial: row.Initial}
	}
	return db.ImportDeals(ctx, inputs, sqldb.DealImportOptions{DefaultSource: "import", Actor: o.actor(), DryRun: o.dryRun})
}

func (m *Main) storeSpend(ctx context.Context, db *sqldb.DB, rows []csvimport.Row, o importOptions) ([]sqldb.IntakeResult, error) {
	inputs := make([]sqldb.SpendInput, len(rows))
	for i, row := range rows {
		inputs[i] = sqldb.SpendInput{Fields: row.Fields, Initial: row.Initial}
	}
	return db.ImportSpend(ctx, inputs, o.actor(), o.dryRun)
}

func (m *Main) runImport(ctx context.Context, k importKind, o importOptions) error {
	start := time.Now()
	mapping, err := loadMapping(k.name, o)
	if err != nil {
		return err
	}
	if k.whole {
		o.batch = math.MaxInt
	} else if o.batch < 1 || o.batch > 10000 {
		return &exitStatus{exitUsage, fmt.Errorf("--batch must be between 1 and 10000")}
	}
	f, err := os.Open(o.file)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	r, err := csvimport.NewReader(f, mapping)
	if err != nil {
		// message prints only a domain error's own text, so the file name
		// goes into that text rather than around it.
		if code := tandem.ErrorCode(err); code != tandem.EINTERNAL {
			return tandem.Errorf(code, "%s: %s", o.file, tandem.ErrorMessage(err))
		}
		return fmt.Errorf("%s: %w", o.file, err)
	}
	db, err := m.open(ctx)
	if err != nil {
		return err
	}
	if o.rejects == "" {
		o.rejects = strings.TrimSuffix(o.file, filepath.Ext(o.file)) + ".rejects.csv"
	}
	rej := &rejectFile{path: o.rejects, header: r.Header()}
	defer rej.close()

	var bar *progressbar.ProgressBar
	if f, ok := m.Stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		bar = progressbar.DefaultBytes(info.Size(), "importing "+filepath.Base(o.file))
	}
	var t importTally
	var batch []csvimport.Row
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		results, err := k.store(m, ctx, db, batch, o)
		if err != nil {
			return err
		}
		for i, res := range results {
			switch res.Status {
			case tandem.StatusCreated:
				t.created++
			case tandem.StatusUpdated:
				t.updated++
			case tandem.StatusUnchanged:
				t.unchanged++
			default:
				t.rejected++
				if err := rej.write(r.Refused(batch[i], res.Err)); err != nil {
					return err
				}
			}
		}
		batch = batch[:0]
		if bar != nil {
			bar.Set64(r.BytesRead())
		}
		return nil
	}
	var readErr error
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		var re *csvimport.RowError
		if errors.As(err, &re) {
			t.rows++
			t.rejected++
			if err := rej.write(re); err != nil {
				return err
			}
			continue
		} else if err != nil {
			readErr = err
			break
		}
		t.rows++
		if k.whole && len(batch) >= maxWholeRows {
			readErr = tandem.Errorf(tandem.ETOOLARGE, "more than %d rows: a %s file is read whole; split it", maxWholeRows, k.name)
			break
		}
		batch = append(batch, row)
		if len(batch) >= o.batch {
			if err := flush(); err != nil {
				return m.importStopped(o, t, err)
			}
		}
	}
	if readErr != nil && k.whole {
		// A file resolved as a whole is stored whole, or not at all.
		return m.importStopped(o, t, readErr)
	}
	if err := flush(); err != nil {
		return m.importStopped(o, t, err)
	}
	if bar != nil {
		bar.Finish()
		fmt.Fprintln(m.Stderr)
	}
	if err := rej.close(); err != nil {
		return err
	}
	verb := "imported"
	if o.dryRun {
		verb = "checked (dry run: nothing was written)"
	}
	fmt.Fprintf(m.Stdout, "%s: %d rows %s in %.2fs: %d created, %d updated, %d unchanged, %d rejected\n",
		o.file, t.rows, verb, time.Since(start).Seconds(), t.created, t.updated, t.unchanged, t.rejected)
	if rej.n > 0 {
		fmt.Fprintf(m.Stdout, "rejected rows, with line numbers and reasons: %s\n", rej.path)
	}
	if readErr != nil {
		return m.importStopped(o, t, readErr)
	}
	return nil
}

// importStopped explains a fatal error in the middle of an import: what was
// already imported stays, and running the command again carries on.
func (m *Main) importStopped(o importOptions, t importTally, err error) error {
	return fmt.Errorf("%s: import stopped after %d rows: %s\nthe batches before it were kept; fix the file and run the same command again: rows already imported will be reported unchanged", o.file, t.rows, message(err))
}

// loadMapping reads the mapping a command for kind was given, and checks
// that it maps that kind.
func loadMapping(kind string, o importOptions) (*csvimport.Mapping, error) {
	switch {
	case o.mapping != "" && o.preset != "":
		return nil, &exitStatus{exitUsage, fmt.Errorf("give --mapping or --preset, not both")}
	case o.preset != "":
		return csvimport.PresetFor(kind, o.preset)
	case o.mapping != "":
		data, err := os.ReadFile(o.mapping)
		if err != nil {
			return nil, err
		}
		mp, err := csvimport.ParseMapping(o.mapping, data)
		if err != nil {
			return nil, err
		}
		if mp.Kind != kind {
			return nil, tandem.Errorf(tandem.EINVALID, "%s maps %s, not %s: use tandem import %s", o.mapping, mp.Kind, kind, mp.Kind)
		}
		return mp, nil
	}
	if presets := csvimport.PresetsFor(kind); len(presets) > 0 {
		return nil, &exitStatus{exitUsage, fmt.Errorf("give --mapping FILE or --preset NAME (%s)", strings.Join(presets, ", "))}
	}
	return nil, &exitStatus{exitUsage, fmt.Errorf("give --mapping FILE (see docs/import.md)")}
}

// rejectFile creates the rejects file at the first rejected row, so that a
// clean import leaves no empty file behind.
type rejectFile struct {
	path   string
	header []string
	f      *os.File
	w      *csvimport.RejectWriter
	n      int
}

func (r *rejectFile) write(e *csvimport.RowError) error {
	if r.f == nil {
		f, err := os.Create(r.path)
		if err != nil {
			return fmt.Errorf("rejects file: %w", err)
		}
		r.f, r.w = f, csvimport.NewRejectWriter(f, r.header)
	}
	r.n++
	return r.w.Write(e)
}

func (r *rejectFile) close() error {
	if r.f == nil {
		return nil
	}
	err := r.w.Flush()
	if cerr := r.f.Close(); err == nil {
		err = cerr
	}
	r.f = nil
	return err
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

// storeUsers adds and updates the users of a whole file. Every row is
// checked first; then the users who do not exist are added, without their
// managers; then roles, teams, weights and managers are set, in rounds, so
// that a row whose change depends on another's (a rep whose new manager is
// promoted further down the file) succeeds once the other has. A constant
// or default of the mapping only fills a user who is added.
func (m *Main) storeUsers(ctx context.Context, db *sqldb.DB, rows []csvimport.Row, o importOptions) ([]sqldb.IntakeResult, error) {
	results := make([]sqldb.IntakeResult, len(rows))
	reject := func(i int, err error) { results[i] = sqldb.IntakeResult{Status: tandem.StatusRejected, Err: err} }
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
		if o.dryRun {
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
			results[i] = sqldb.IntakeResult{ID: u.cur.ID, Status: tandem.StatusUnchanged}
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
		if !o.dryRun {
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
