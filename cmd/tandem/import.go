package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
	c := &cobra.Command{Use: "import", Short: "Import leads, deals, users, accounts, products and campaign spend from CSV files"}
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
		m.importKindCommand(importUsers, "users FILE (--mapping FILE | --preset NAME)",
			"Import users with their role, team and manager through a column mapping or a preset ("+strings.Join(csvimport.PresetsFor("users"), ", ")+")",
			`Import users from a CSV file: email, name, role, team, manager (the
manager's email or name) and weight, in one transaction. A file without
emails knows people by name: such a user cannot sign in until an email is
set. Rows may come in any order: every user is added first, then managers
are set, so a manager may come after their reps. A manager named only in
the manager column is added once, as a manager, in their reports' team. A
user who exists is updated (role, team, manager, weight, and an email for a
user who has none; a name is kept as it was given first); running the same
import again changes nothing. --preset crm reads a teams file (sales_agent,
manager, regional_office). See docs/import.md.`),
		m.importKindCommand(importAccounts, "accounts FILE (--mapping FILE | --preset NAME)",
			"Import accounts (the companies leads and deals belong to) through a column mapping or a preset ("+strings.Join(csvimport.PresetsFor("accounts"), ", ")+")",
			`Import accounts from a CSV file: name, domain, sector, employees, revenue
(in major units), location, parent (the parent company's name) and
year_established. An account is known by its name (case and spacing aside):
a row of an account that exists updates it, and running the same import
again changes nothing. A parent that has no row of its own is added by name
and listed once in the summary. See docs/accounts.md.`),
		m.importKindCommand(importProducts, "products FILE (--mapping FILE | --preset NAME)",
			"Import the product catalogue through a column mapping or a preset ("+strings.Join(csvimport.PresetsFor("products"), ", ")+")",
			`Import products from a CSV file: name, series and list_price (in major
units). A product is known by its name (case and spacing aside); running the
same import again changes nothing. See docs/accounts.md.`),
		m.importKindCommand(importSpend, "spend FILE --mapping FILE",
			"Import campaign spend by month through a column mapping",
			`Import what campaigns cost, one month per row: campaign (the code leads
carry), month (YYYY-MM, or a date in the month), amount (in major units, like
12000.50), and optionally name and channel, which register a campaign the
file brings first. A month set again replaces its amount; running the same
import again changes nothing. See docs/import.md and docs/campaigns.md.`),
		m.importJSONLCommand(),
	)
	return c
}

// importKind names the kind of record an import command takes; the rows
// are stored by [sqldb.DB.Import], as the import page stores them.
type importKind struct {
	name string // the mapping's kind
}

var (
	importLeads    = importKind{name: "leads"}
	importDeals    = importKind{name: "deals"}
	importUsers    = importKind{name: "users"}
	importSpend    = importKind{name: "spend"}
	importAccounts = importKind{name: "accounts"}
	importProducts = importKind{name: "products"}
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
	c.Flags().BoolVar(&o.guess, "guess", false, "map the columns by their names, as the import page does, instead of --mapping or --preset")
	if csvimport.IsField(k.name, "source") {
		c.Flags().StringVar(&o.source, "source", "", "with --guess: the source of every row whose own source column is empty")
	}
	c.Flags().StringVar(&o.delimiter, "delimiter", "", `the column separator: ",", ";", "tab" or "|" (default: the mapping's, else the one the header uses most)`)
	c.Flags().BoolVar(&o.dryRun, "dry-run", false, "check every row and report what would happen; write nothing")
	c.Flags().StringVar(&o.rejects, "rejects", "", "where to write rejected rows (default FILE.rejects.csv beside FILE)")
	if !csvimport.ReadWhole(k.name) {
		c.Flags().IntVar(&o.batch, "batch", 1000, "rows per transaction")
	}
	return c
}

type importOptions struct {
	file, mapping, preset, rejects string
	dryRun                         bool
	batch                          int
	guess                          bool
	source, delimiter              string
}

// actor names the import in the ledger.
func (o importOptions) actor() string { return "import:" + filepath.Base(o.file) }

func (m *Main) runImport(ctx context.Context, k importKind, o importOptions) error {
	start := time.Now()
	mapping, err := loadMapping(k.name, o)
	if err != nil {
		return err
	}
	whole := csvimport.ReadWhole(k.name)
	if !whole && (o.batch < 1 || o.batch > 10000) {
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
	if mapping, err = m.fitMapping(k.name, o, mapping, f); err != nil {
		if errors.As(err, new(*exitStatus)) {
			return err
		}
		return inFile(o.file, err)
	}
	r, err := csvimport.NewReader(f, mapping)
	if err != nil {
		return inFile(o.file, err)
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
	var intro sqldb.Introduced

	im := csvimport.Import{
		Store: func(ctx context.Context, rows []csvimport.Row) ([]csvimport.Result, error) {
			return db.Import(ctx, k.name, rows, sqldb.ImportOptions{File: filepath.Base(o.file), Actor: o.actor(), DryRun: o.dryRun,
				Introduced: &intro})
		},
		Batch:  o.batch,
		Reject: rej.write,
	}
	var bar *progressbar.ProgressBar
	if f, ok := m.Stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		bar = progressbar.DefaultBytes(info.Size(), "importing "+filepath.Base(o.file))
		im.Progress = func(_ csvimport.Tally, bytes int64) { bar.Set64(bytes) }
	}
	t, err := im.Run(ctx, r)
	if ctx.Err() != nil {
		// SIGINT or SIGTERM: the batch in progress was rolled back.
		return m.importInterrupted(o, t, rej)
	}
	var readErr *csvimport.ReadError
	if err != nil && (!errors.As(err, &readErr) || whole) {
		// A store error, or a file read whole that was not stored.
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
	dups := ""
	if t.Duplicates > 0 {
		dups = fmt.Sprintf(" (%d of them duplicates of an earlier row's external id)", t.Duplicates)
	}
	fmt.Fprintf(m.Stdout, "%s: %d rows %s in %.2fs: %d created, %d updated, %d unchanged, %d rejected%s\n",
		o.file, t.Rows, verb, time.Since(start).Seconds(), t.Created, t.Updated, t.Unchanged, t.Rejected, dups)
	if s := intro.Summary(); s != "" {
		fmt.Fprintf(m.Stdout, "%s (named by the file's rows, not brought by rows of their own)\n", s)
	}
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
func (m *Main) importStopped(o importOptions, t csvimport.Tally, err error) error {
	return fmt.Errorf("%s: import stopped after %d rows: %s\nthe batches before it were kept; fix the file and run the same command again: rows already imported will be reported unchanged", o.file, t.Rows, message(err))
}

// importInterrupted says what an import stopped by a signal committed: the
// batches stored before it, and not the one in progress, which its
// transaction's rollback undid.
func (m *Main) importInterrupted(o importOptions, t csvimport.Tally, rej *rejectFile) error {
	msg := fmt.Sprintf("%s: import interrupted: the %d rows before it were committed (%d created, %d updated, %d unchanged, %d rejected); the batch in progress was rolled back and nothing of it was written; run the same command again to carry on: rows already imported will be reported unchanged",
		o.file, t.Rows, t.Created, t.Updated, t.Unchanged, t.Rejected)
	if err := rej.close(); err == nil && rej.n > 0 {
		msg += "\nrejected rows so far, with line numbers and reasons: " + rej.path
	}
	return errors.New(msg)
}

// loadMapping reads the mapping a command for kind was given, and checks
// that it maps that kind.
func loadMapping(kind string, o importOptions) (*csvimport.Mapping, error) {
	switch {
	case o.mapping != "" && o.preset != "":
		return nil, &exitStatus{exitUsage, fmt.Errorf("give --mapping or --preset, not both")}
	case o.guess && (o.mapping != "" || o.preset != ""):
		return nil, &exitStatus{exitUsage, fmt.Errorf("give --guess, --mapping or --preset, not two")}
	case o.guess:
		return nil, nil // guessed from the header by fitMapping
	case o.source != "":
		return nil, &exitStatus{exitUsage, fmt.Errorf("--source goes with --guess; a mapping gives its own source")}
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

// inFile puts the file's name before an error about it. message prints
// only a domain error's own text, so the name goes into that text rather
// than around it.
func inFile(file string, err error) error {
	if code := tandem.ErrorCode(err); code != tandem.EINTERNAL {
		return tandem.Errorf(code, "%s: %s", file, tandem.ErrorMessage(err))
	}
	return fmt.Errorf("%s: %w", file, err)
}

// fitMapping sets the delimiter of the mapping a command was given, or
// guesses a mapping from f's header for --guess (mp nil), through
// csvimport's rules, as the import page does: the --delimiter flag, else
// the mapping's, else the one the header uses most (csvimport.SniffDelimiter).
// It leaves f at its start.
func (m *Main) fitMapping(kind string, o importOptions, mp *csvimport.Mapping, f *os.File) (*csvimport.Mapping, error) {
	var delim rune
	switch o.delimiter {
	case "":
	case "tab", "\\t":
		delim = '\t'
	case ",", ";", "|":
		delim = rune(o.delimiter[0])
	default:
		return nil, &exitStatus{exitUsage, fmt.Errorf(`--delimiter %q: want ",", ";", "tab" or "|"`, o.delimiter)}
	}
	if delim == 0 && mp != nil {
		delim = mp.Delimiter
	}
	if delim == 0 {
		head := make([]byte, 4096)
		n, err := io.ReadFull(f, head)
		if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
			return nil, err
		}
		delim = csvimport.SniffDelimiter(head[:n])
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
	}
	if mp != nil {
		mp.Delimiter = delim
		return mp, nil
	}
	header, err := csvimport.ReadHeader(f, delim)
	if err != nil {
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	if mp, err = csvimport.Guess(kind, header, o.source, delim); err != nil {
		return nil, err
	}
	var cols []string
	for _, fl := range mp.Fields {
		cols = append(cols, fmt.Sprintf("%q → %s", fl.Columns[0], fl.Target))
	}
	fmt.Fprintf(m.Stderr, "%s: columns guessed from their names: %s\n", o.file, strings.Join(cols, ", "))
	return mp, nil
}
