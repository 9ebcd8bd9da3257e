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
	c := &cobra.Command{Use: "import", Short: "Import records from CSV files"}
	var o importOptions
	leads := &cobra.Command{
		Use:   "leads FILE (--mapping FILE | --preset NAME)",
		Short: "Import leads from a CSV file through a column mapping or a preset (" + strings.Join(csvimport.PresetNames(), ", ") + ")",
		Long: `Import leads from a CSV file. Rows are idempotent by (source, external id):
running the same import again, for instance after an interruption, creates
nothing twice and reports those rows unchanged. Rejected rows are written,
with their line numbers and reasons, to a CSV file beside the input (or
--rejects). See docs/import.md for the mapping format.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			o.file = args[0]
			return m.importLeads(c.Context(), o)
		},
	}
	leads.Flags().StringVar(&o.mapping, "mapping", "", "a mapping file (YAML) from CSV columns to lead fields")
	leads.Flags().StringVar(&o.preset, "preset", "", "a built-in mapping: "+strings.Join(csvimport.PresetNames(), ", "))
	leads.Flags().BoolVar(&o.dryRun, "dry-run", false, "check every row and report what would happen; write nothing")
	leads.Flags().StringVar(&o.rejects, "rejects", "", "where to write rejected rows (default FILE.rejects.csv beside FILE)")
	leads.Flags().IntVar(&o.batch, "batch", 1000, "rows per transaction")
	c.AddCommand(leads)
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

func (m *Main) importLeads(ctx context.Context, o importOptions) error {
	start := time.Now()
	mapping, err := loadMapping(o)
	if err != nil {
		return err
	}
	if o.batch < 1 || o.batch > 10000 {
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
	opts := sqldb.IntakeOptions{DefaultSource: "import", Actor: "import:" + filepath.Base(o.file), DryRun: o.dryRun}
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		inputs := make([]tandem.LeadInput, len(batch))
		for i, row := range batch {
			inputs[i] = tandem.LeadInput{Fields: row.Fields, Initial: row.Initial, Reason: "import of " + filepath.Base(o.file)}
		}
		results, err := db.IntakeLeads(ctx, inputs, opts)
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
				column := ""
				if fe := tandem.ErrorFields(res.Err); len(fe) > 0 {
					column = r.Column(fe[0].Field)
				}
				if err := rej.write(&csvimport.RowError{Line: batch[i].Line, Column: column,
					Reason: tandem.ErrorMessage(res.Err), Record: batch[i].Record}); err != nil {
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
		batch = append(batch, row)
		if len(batch) >= o.batch {
			if err := flush(); err != nil {
				return m.importStopped(o, t, err)
			}
		}
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

func loadMapping(o importOptions) (*csvimport.Mapping, error) {
	switch {
	case o.mapping != "" && o.preset != "":
		return nil, &exitStatus{exitUsage, fmt.Errorf("give --mapping or --preset, not both")}
	case o.preset != "":
		return csvimport.Preset(o.preset)
	case o.mapping != "":
		data, err := os.ReadFile(o.mapping)
		if err != nil {
			return nil, err
		}
		return csvimport.ParseMapping(o.mapping, data)
	}
	return nil, &exitStatus{exitUsage, fmt.Errorf("give --mapping FILE or --preset NAME (%s)", strings.Join(csvimport.PresetNames(), ", "))}
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
