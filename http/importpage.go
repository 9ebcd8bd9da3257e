package http

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/csvimport"
	"github.com/tandemhq/tandem/sqldb"
)

// The import page takes a CSV of leads in three steps: upload (POST
// /import), map and preview (GET /import?upload=ID), and run (POST
// /import/run), which imports in the background while the page polls a
// status fragment (GET /import?upload=ID&part=status). The rows go through
// the same reader (package csvimport) and the same store call
// (sqldb.IntakeLeads) as `tandem import leads`.
//
// The uploaded file is kept server-side, in a temporary file named by a
// random id and bound to the user who uploaded it; it is removed when the
// run ends, and what is left of the upload (the summary and the rejects)
// an hour after the upload.

// Limits of the import page.
const (
	// DefaultMaxUpload bounds an uploaded file; a larger one is refused
	// with a message pointing to the command line.
	DefaultMaxUpload = 10 << 20
	// uploadTTL is how long an upload and its results are kept.
	uploadTTL = time.Hour
	// previewRows is how many rows the preview shows.
	previewRows = 10
	// shownRejects is how many rejects the page lists; the download has all.
	shownRejects = 100
	// importBatch is the rows stored per transaction.
	importBatch = 200
)

// importPages are the import page's routes, for [Server.routes].
func (s *Server) importPages() []route {
	roles := sectionRoles("/import")
	return []route{
		{"GET /import", s.getImport, roles},
		{"POST /import", s.postImport, roles},
		{"POST /import/run", s.postImportRun, roles},
	}
}

// uploads holds every server's uploads, by server (the Server type stays
// as it is).
var uploads sync.Map // *Server → *uploadStore

func (s *Server) uploads() *uploadStore {
	st, _ := uploads.LoadOrStore(s, &uploadStore{byID: map[string]*upload{}, maxBytes: DefaultMaxUpload})
	return st.(*uploadStore)
}

// uploadStore keeps a server's uploads.
type uploadStore struct {
	mu       sync.Mutex
	byID     map[string]*upload
	maxBytes int64
	dir      string // where files go; "" for os.TempDir()
}

// upload is one uploaded file, and its run once started.
type upload struct {
	ID      string
	owner   int64
	path    string
	Name    string // the file's name as uploaded
	Header  []string
	Rows    int // data rows, counted at upload
	delim   rune
	created time.Time

	mu  sync.Mutex
	run *importRun
}

// importStatus is what the page shows of a run.
type importStatus struct {
	Done bool
	csvimport.Tally
	Total   int
	Err     string // a fatal error, in words
	Rejects []csvimport.RowError
}

// importRun is the state of an import in the background.
type importRun struct {
	importStatus
	rejects bytes.Buffer // the rejects CSV
	rw      *csvimport.RejectWriter
}

// sweep removes uploads older than uploadTTL whose run is not going.
func (st *uploadStore) sweep(now time.Time) {
	for id, u := range st.byID {
		if now.Sub(u.created) < uploadTTL {
			continue
		}
		u.mu.Lock()
		running := u.run != nil && !u.run.Done
		u.mu.Unlock()
		if !running {
			os.Remove(u.path)
			delete(st.byID, id)
		}
	}
}

// get returns the viewer's upload id; another user's is not found.
func (s *Server) upload(r *http.Request, id string) (*upload, error) {
	st := s.uploads()
	st.mu.Lock()
	defer st.mu.Unlock()
	st.sweep(time.Now())
	u, ok := st.byID[id]
	if !ok || u.owner != viewer(r).ID {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "this upload is gone: uploads are kept for an hour, for the person who uploaded them. Upload the file again")
	}
	return u, nil
}

// importData is what the import template shows.
type importData struct {
	MaxSize string
	Presets []string
	Upload  *upload
	// The mapping step.
	Preset  string
	Source  string
	Columns []importColumn
	Fields  []string // the fields a column may fill
	Problem string   // what is wrong with the mapping
	Preview []previewRow
	Mapped  []string // the targets in the preview's columns
	// The run.
	Run *importStatus
}

type importColumn struct {
	Index  int
	Name   string
	Target string
	Attr   string // attributes.KEY for this column, or ""
}

type previewRow struct {
	Line   int
	Status string
	Reason string
	Values []string
}

func (s *Server) newImportData() importData {
	d := importData{MaxSize: size(s.uploads().maxBytes), Presets: csvimport.PresetsFor("leads")}
	for _, f := range tandem.LeadFields {
		d.Fields = append(d.Fields, f.Name)
	}
	return d
}

// getImport shows the upload form, an upload's mapping and preview, its
// run, the run's status fragment or its rejects.
func (s *Server) getImport(w http.ResponseWriter, r *http.Request) error {
	p := newPage(r, "Import leads")
	d := s.newImportData()
	id := r.URL.Query().Get("upload")
	if id == "" {
		p.Data = d
		return s.render(w, http.StatusOK, "import", p)
	}
	u, err := s.upload(r, id)
	if err != nil {
		return err
	}
	d.Upload = u
	u.mu.Lock()
	run := u.run
	if run != nil {
		c := run.importStatus
		c.Rejects = slices.Clone(run.Rejects)
		d.Run = &c
	}
	var csvData []byte
	if run != nil && r.URL.Query().Get("part") == "rejects" {
		csvData = bytes.Clone(run.rejects.Bytes())
	}
	u.mu.Unlock()
	switch r.URL.Query().Get("part") {
	case "status":
		if d.Run == nil {
			return tandem.Errorf(tandem.ENOTFOUND, "this import has not started")
		}
		p.Data = d
		return s.templates.RenderFragment(w, http.StatusOK, "import", "import-status", p)
	case "rejects":
		if d.Run == nil || !d.Run.Done {
			return tandem.Errorf(tandem.ENOTFOUND, "the rejects are ready when the import ends")
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", rejectsName(u.Name)))
		_, err := w.Write(csvData)
		return err
	}
	if d.Run != nil {
		p.Data = d
		return s.render(w, http.StatusOK, "import", p)
	}
	status := s.mapStep(r, &d, u)
	p.Data = d
	return s.render(w, status, "import", p)
}

func rejectsName(name string) string {
	return strings.TrimSuffix(name, filepath.Ext(name)) + ".rejects.csv"
}

// mapStep fills the mapping form from the request (or from the preset,
// or from the columns' names) and previews the first rows.
func (s *Server) mapStep(r *http.Request, d *importData, u *upload) int {
	q := r.URL.Query()
	if r.Method == http.MethodPost {
		q = r.PostForm
	}
	d.Preset = q.Get("preset")
	d.Source = strings.TrimSpace(q.Get("source"))
	var preset *csvimport.Mapping
	if d.Preset != "" {
		m, err := csvimport.PresetFor("leads", d.Preset)
		if err != nil {
			d.Problem = tandem.ErrorMessage(err)
			d.Preset = ""
		} else {
			preset = m
		}
	}
	if d.Source == "" && preset != nil {
		d.Source = preset.Source
	}
	fromForm := q.Get("mapped") == "1"
	for i, name := range u.Header {
		c := importColumn{Index: i, Name: name}
		if key := snake(name); key != "" && len(key) <= 64 {
			c.Attr = tandem.AttributePrefix + key
		}
		switch {
		case fromForm:
			c.Target = q.Get("col" + strconv.Itoa(i))
		case preset != nil:
			c.Target = presetTarget(preset, name)
		default:
			c.Target = guessTarget(name)
		}
		d.Columns = append(d.Columns, c)
	}
	m, err := buildMapping(d.Columns, preset, d.Source, u.delim)
	if err != nil {
		d.Problem = tandem.ErrorMessage(err)
		return http.StatusUnprocessableEntity
	}
	if err := s.preview(r.Context(), d, u, m); err != nil {
		d.Problem = tandem.ErrorMessage(err)
		return http.StatusUnprocessableEntity
	}
	return http.StatusOK
}

// snake turns a column's name into an attribute key: "Lead Score (%)"
// becomes lead_score.
func snake(s string) string {
	var b strings.Builder
	under := false
	for _, r := range strings.ToLower(strings.TrimSpace(s)) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if under && b.Len() > 0 {
				b.WriteByte('_')
			}
			under = false
			b.WriteRune(r)
		} else {
			under = true
		}
	}
	return b.String()
}

// aliases are column names, in snake case, that mean a lead field.
var aliases = map[string]string{
	"id": "external_id", "record_id": "external_id", "lead_id": "external_id", "contact_id": "external_id",
	"e_mail": "email", "email_address": "email", "mail": "email",
	"firstname": "first_name", "given_name": "first_name", "lastname": "last_name", "surname": "last_name", "family_name": "last_name",
	"company_name": "company", "organization": "company", "organisation": "company", "account": "company",
	"job_title": "title", "phone_number": "phone", "mobile": "phone", "telephone": "phone",
	"created": "created_at", "create_date": "created_at", "created_date": "created_at", "date": "created_at",
	"lead_score": "score", "lifecycle_stage": "stage", "status": "stage",
	"country_region": "country", "region": "territory",
}

// guessTarget is the lead field a column's name suggests, or "".
func guessTarget(name string) string {
	key := snake(name)
	for _, f := range tandem.LeadFields {
		if f.Name == key {
			return key
		}
	}
	return aliases[key]
}

// presetTarget is the field a preset reads from the column, or "".
func presetTarget(m *csvimport.Mapping, name string) string {
	for _, f := range m.Fields {
		for _, c := range f.Columns {
			if strings.EqualFold(strings.TrimSpace(c), strings.TrimSpace(name)) {
				return f.Target
			}
		}
	}
	return ""
}

// buildMapping makes the mapping the form describes: each column to the
// field chosen for it, with the preset's conversions (values, formats,
// normalization) for the fields the preset maps, and its time zone and
// constants.
func buildMapping(cols []importColumn, preset *csvimport.Mapping, source string, delim rune) (*csvimport.Mapping, error) {
	m := &csvimport.Mapping{File: "the mapping", Kind: "leads", Source: source, Delimiter: delim}
	if preset != nil {
		m.Location, m.Constants = preset.Location, preset.Constants
		if preset.Delimiter != 0 {
			m.Delimiter = preset.Delimiter
		}
	}
	byTarget := map[string]string{}
	for _, c := range cols {
		if c.Target == "" {
			continue
		}
		if !slices.ContainsFunc(tandem.LeadFields, func(f tandem.LeadField) bool { return f.Name == c.Target }) && c.Target != c.Attr {
			return nil, tandem.Errorf(tandem.EINVALID, "column %q: %q is not a lead field", c.Name, c.Target)
		}
		if prev, dup := byTarget[c.Target]; dup {
			return nil, tandem.Errorf(tandem.EINVALID, "%s is chosen for two columns, %q and %q: choose it for one", c.Target, prev, c.Name)
		}
		byTarget[c.Target] = c.Name
		f := csvimport.Field{Target: c.Target}
		if preset != nil {
			for _, pf := range preset.Fields {
				if pf.Target == c.Target {
					f = pf
					f.Line, f.Optional = 0, false
				}
			}
		}
		f.Columns = []string{c.Name}
		m.Fields = append(m.Fields, f)
	}
	if len(m.Fields) == 0 {
		return nil, tandem.Errorf(tandem.EINVALID, "no column is mapped to a field: choose a field for at least one column")
	}
	if m.Source != "" {
		// A source given here is a constant, as a mapping's source: is.
		m.Constants = slices.DeleteFunc(slices.Clone(m.Constants), func(c csvimport.Constant) bool { return c.Target == "source" })
	}
	return m, nil
}

// preview reads the first rows through the mapping and checks them with a
// dry run of the store.
func (s *Server) preview(ctx context.Context, d *importData, u *upload, m *csvimport.Mapping) error {
	f, err := os.Open(u.path)
	if err != nil {
		return err
	}
	defer f.Close()
	rd, err := csvimport.NewReader(f, m)
	if err != nil {
		return err
	}
	for _, fl := range m.Fields {
		d.Mapped = append(d.Mapped, fl.Target)
	}
	var rows []csvimport.Row
	var at []int // the preview row of each good row
	for len(d.Preview) < previewRows {
		row, err := rd.Next()
		if err == io.EOF {
			break
		}
		var re *csvimport.RowError
		if errors.As(err, &re) {
			reason := re.Reason
			if re.Column != "" {
				reason = fmt.Sprintf("column %q: %s", re.Column, re.Reason)
			}
			d.Preview = append(d.Preview, previewRow{Line: re.Line, Status: "rejected", Reason: reason})
			continue
		} else if err != nil {
			return err
		}
		pr := previewRow{Line: row.Line}
		for _, t := range d.Mapped {
			pr.Values = append(pr.Values, row.Fields[t])
		}
		at = append(at, len(d.Preview))
		d.Preview = append(d.Preview, pr)
		rows = append(rows, row)
	}
	results, err := s.DB.Import(ctx, m.Kind, rows, sqldb.ImportOptions{File: u.Name, DryRun: true})
	if err != nil {
		return err
	}
	for i, res := range results {
		pr := &d.Preview[at[i]]
		pr.Status = res.Status
		if res.Err != nil {
			pr.Reason = rowReason(rd.Refused(rows[i], res.Err))
		}
	}
	return nil
}

// rowReason is why the store refused a row, naming the column.
func rowReason(e *csvimport.RowError) string {
	if e.Column != "" {
		return fmt.Sprintf("column %q: %s", e.Column, e.Reason)
	}
	return e.Reason
}

// postImport takes an uploaded file, checks that it is a CSV with a
// header and the same number of columns on every row, and keeps it for
// the mapping step.
func (s *Server) postImport(w http.ResponseWriter, r *http.Request) error {
	st := s.uploads()
	p := newPage(r, "Import leads")
	d := s.newImportData()
	p.Data = d
	fail := func(status int, msg string) error {
		p.Error = msg
		return s.render(w, status, "import", p)
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return fail(http.StatusBadRequest, "Choose a CSV file to upload.")
	}
	var part io.Reader
	var name string
	for {
		pt, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			if tooLarge(err) {
				return fail(http.StatusRequestEntityTooLarge, tooLargeMsg(st.maxBytes))
			}
			return fail(http.StatusBadRequest, "The upload did not arrive whole: try again.")
		}
		if pt.FormName() == "file" {
			part, name = pt, filepath.Base(pt.FileName())
			break
		}
	}
	if part == nil || name == "" || name == "." {
		return fail(http.StatusBadRequest, "Choose a CSV file to upload.")
	}
	id, err := randomID()
	if err != nil {
		return err
	}
	dir := st.dir
	if dir == "" {
		dir = os.TempDir()
	}
	path := filepath.Join(dir, "tandem-import-"+id+".csv")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	keep := false
	defer func() {
		if !keep {
			os.Remove(path)
		}
	}()
	n, err := io.Copy(f, io.LimitReader(part, st.maxBytes+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil && tooLarge(err), n > st.maxBytes:
		return fail(http.StatusRequestEntityTooLarge, tooLargeMsg(st.maxBytes))
	case err != nil:
		return fail(http.StatusBadRequest, "The upload did not arrive whole: try again.")
	case n == 0:
		return fail(http.StatusUnprocessableEntity, name+" is empty: nothing to import.")
	}
	u := &upload{ID: id, owner: viewer(r).ID, path: path, Name: name, created: time.Now()}
	if err := checkCSV(u); err != nil {
		return fail(http.StatusUnprocessableEntity, name+": "+tandem.ErrorMessage(err)+". Nothing was imported.")
	}
	st.mu.Lock()
	st.sweep(time.Now())
	st.byID[id] = u
	st.mu.Unlock()
	keep = true
	http.Redirect(w, r, "/import?upload="+id, http.StatusSeeOther)
	return nil
}

func tooLarge(err error) bool {
	var mb *http.MaxBytesError
	return errors.As(err, &mb)
}

func tooLargeMsg(max int64) string {
	return fmt.Sprintf("The file is over %s, the most this page takes. Split it, or import it with `tandem import leads FILE`. Nothing was imported.", size(max))
}

func size(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d KiB", max(n>>10, 1))
}

func randomID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// checkCSV reads the whole file: it must be text, with a header, and every
// row must have as many columns as the header. It fills in the header,
// the delimiter and the number of rows.
func checkCSV(u *upload) error {
	f, err := os.Open(u.path)
	if err != nil {
		return err
	}
	defer f.Close()
	head := make([]byte, 4096)
	n, _ := io.ReadFull(f, head)
	u.delim = sniffDelimiter(head[:n])
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	// A mapping that reads nothing: the reader checks the file's shape.
	m := &csvimport.Mapping{File: "upload", Kind: "leads", Delimiter: u.delim,
		Fields: []csvimport.Field{{Target: "external_id", Columns: []string{"\x00"}, Optional: true}}}
	rd, err := csvimport.NewReader(f, m)
	if err != nil {
		return err
	}
	u.Header = rd.Header()
	if len(u.Header) == 0 {
		return tandem.Errorf(tandem.EMALFORMED, "the file has no header row")
	}
	var bad []string
	for {
		_, err := rd.Next()
		if err == io.EOF {
			break
		}
		var re *csvimport.RowError
		if errors.As(err, &re) {
			if len(bad) < 3 {
				bad = append(bad, fmt.Sprintf("line %d %s", re.Line, re.Reason))
			}
		} else if err != nil {
			return err
		}
		u.Rows++
	}
	if len(bad) > 0 {
		return tandem.Errorf(tandem.EMALFORMED, "this is not a consistent CSV file: %s", strings.Join(bad, "; "))
	}
	if u.Rows == 0 {
		return tandem.Errorf(tandem.EMALFORMED, "the file has a header and no rows")
	}
	return nil
}

// sniffDelimiter picks the separator the first line uses most: a comma,
// a semicolon or a tab.
func sniffDelimiter(head []byte) rune {
	line, _, _ := bytes.Cut(head, []byte("\n"))
	best, delim := 0, ','
	for _, c := range []rune{',', ';', '\t'} {
		if n := bytes.Count(line, []byte(string(c))); n > best {
			best, delim = n, c
		}
	}
	return delim
}

// postImportRun starts the import of an upload through the mapping on the
// form, and sends the browser to its progress.
func (s *Server) postImportRun(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return tandem.Errorf(tandem.EINVALID, "the form did not arrive whole: try again")
	}
	u, err := s.upload(r, r.PostForm.Get("upload"))
	if err != nil {
		return err
	}
	d := s.newImportData()
	d.Upload = u
	u.mu.Lock()
	started := u.run != nil
	u.mu.Unlock()
	if !started {
		if status := s.mapStep(r, &d, u); status != http.StatusOK {
			p := newPage(r, "Import leads")
			p.Error = d.Problem
			p.Data = d
			return s.render(w, status, "import", p)
		}
		m, err := buildMapping(d.Columns, presetOrNil(d.Preset), d.Source, u.delim)
		if err != nil {
			return err
		}
		u.mu.Lock()
		if u.run == nil {
			u.run = &importRun{importStatus: importStatus{Total: u.Rows}}
			go s.runImport(u, m, actor(r))
		}
		u.mu.Unlock()
	}
	http.Redirect(w, r, "/import?upload="+u.ID, http.StatusSeeOther)
	return nil
}

func presetOrNil(name string) *csvimport.Mapping {
	if name == "" {
		return nil
	}
	m, _ := csvimport.PresetFor("leads", name)
	return m
}

// runImport imports an upload in the background, as `tandem import`
// does: the same driver (csvimport.Import) and store (sqldb.DB.Import),
// each reject with its line and reason. It removes the uploaded file at
// the end.
func (s *Server) runImport(u *upload, m *csvimport.Mapping, actor string) {
	ctx, cancel := context.WithTimeout(context.Background(), uploadTTL)
	defer cancel()
	defer os.Remove(u.path)
	update := func(fn func(run *importRun)) {
		u.mu.Lock()
		fn(u.run)
		u.mu.Unlock()
	}
	var t csvimport.Tally
	err := func() error {
		f, err := os.Open(u.path)
		if err != nil {
			return err
		}
		defer f.Close()
		rd, err := csvimport.NewReader(f, m)
		if err != nil {
			return err
		}
		update(func(run *importRun) { run.rejectWriter(rd.Header()) })
		im := csvimport.Import{
			Store: func(ctx context.Context, rows []csvimport.Row) ([]csvimport.Result, error) {
				return s.DB.Import(ctx, m.Kind, rows, sqldb.ImportOptions{File: u.Name, Actor: actor})
			},
			Batch: importBatch,
			Reject: func(e *csvimport.RowError) error {
				update(func(run *importRun) {
					if len(run.Rejects) < shownRejects {
						run.Rejects = append(run.Rejects, *e)
					}
					run.rw.Write(e)
				})
				return nil
			},
			Progress: func(t csvimport.Tally, _ int64) { update(func(run *importRun) { run.Tally = t }) },
		}
		t, err = im.Run(ctx, rd)
		return err
	}()
	if err != nil && tandem.ErrorCode(err) == tandem.EINTERNAL {
		s.Logger.Error("import", "file", u.Name, "err", err)
	}
	update(func(run *importRun) {
		run.Tally = t
		if err != nil {
			run.Err = fmt.Sprintf("the import stopped after %d rows: %s. The rows before were kept; importing the file again reports them unchanged.",
				t.Rows, tandem.ErrorMessage(err))
		}
		run.Done = true
		flushRejects(run)
	})
}

// rw writes the rejects CSV into the run; set by rejectWriter.
func (run *importRun) rejectWriter(header []string) {
	run.rw = csvimport.NewRejectWriter(&run.rejects, header)
}

func flushRejects(run *importRun) {
	if run.rw != nil {
		run.rw.Flush()
	}
}

// Percent is how far the run is, for the progress bar's text.
func (run *importStatus) Percent() int {
	if run.Total == 0 {
		return 100
	}
	return min(100, run.Rows*100/run.Total)
}
