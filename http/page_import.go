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
	"github.com/tandemhq/tandem/access"
	"github.com/tandemhq/tandem/csvimport"
	"github.com/tandemhq/tandem/sqldb"
)

// The import page takes a CSV file of any kind `tandem import` takes
// (leads, deals, users or campaign spend) in three steps: upload, with the
// kind (POST /import), map and preview (GET /import?upload=ID), by hand or
// through an uploaded YAML mapping (POST /import with the upload's id and
// the mapping file), and run (POST /import/run), which imports in the
// background while the page polls a status fragment (GET
// /import?upload=ID&part=status). The rows go through the same reader and
// driver (package csvimport) and the same store call (sqldb.DB.Import) as
// `tandem import`.
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
	// maxMappingBytes bounds an uploaded mapping file.
	maxMappingBytes = 64 << 10
)

// importKind is a kind of record the page imports, and who may import it.
type importKind struct {
	Name  string // the mapping's kind
	Noun  string // one record, for the preview ("lead")
	roles []tandem.Role
}

// importKinds are the kinds the page takes, in the order of its chooser.
// Leads and spend are marketing's; deals come from sales; users change
// who may do what, so only an admin imports them; accounts and products
// are the catalog, which those who may change it import (as the API's
// POST /api/v1/accounts and /products).
var importKinds = []importKind{
	{"leads", "lead", access.Roles[access.ImportLeads]},
	{"deals", "deal", access.Roles[access.ImportDeals]},
	{"users", "user", access.Roles[access.ImportUsers]},
	{"spend", "month of spend", access.Roles[access.ImportSpend]},
	{"accounts", "account", access.Roles[access.WriteCatalog]},
	{"products", "product", access.Roles[access.WriteCatalog]},
}

// mayImport returns the kind named, or EINVALID for a kind the page does
// not take and EFORBIDDEN for one the viewer's role may not import.
func mayImport(r *http.Request, name string) (importKind, error) {
	var names []string
	for _, k := range importKinds {
		names = append(names, k.Name)
		if k.Name != name {
			continue
		}
		if role := viewer(r).Role; !allowed(k.roles, role) {
			var who []string
			for _, r := range k.roles {
				who = append(who, strings.ReplaceAll(string(r), "_", " "))
			}
			return k, tandem.Errorf(tandem.EFORBIDDEN, "your role (%s) may not import %s; only %s may. Nothing was imported",
				strings.ReplaceAll(string(role), "_", " "), name, strings.Join(who, ", "))
		}
		return k, nil
	}
	return importKind{}, tandem.Errorf(tandem.EINVALID, "%q is not a kind of import: choose %s", name, strings.Join(names, ", "))
}

// uploads returns the server's uploads.
func (s *Server) uploads() *uploadStore { return s.imports }

// uploadStore keeps a server's uploads, and owns the imports it runs in
// the background: they run under its context, which [uploadStore.close]
// cancels before it waits for them.
type uploadStore struct {
	mu       sync.Mutex
	byID     map[string]*upload
	maxBytes int64
	dir      string // where files go; "" for os.TempDir()

	ctx    context.Context // the imports'; cancelled by close
	cancel context.CancelFunc
	runs   sync.WaitGroup
	closed bool
}

func newUploadStore() *uploadStore {
	ctx, cancel := context.WithCancel(context.Background())
	return &uploadStore{byID: map[string]*upload{}, maxBytes: DefaultMaxUpload, ctx: ctx, cancel: cancel}
}

// start runs fn in the background under the store's context, unless the
// store is closed, and reports whether it did.
func (st *uploadStore) start(fn func(ctx context.Context)) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.closed {
		return false
	}
	st.runs.Go(func() { fn(st.ctx) })
	return true
}

// close cancels the imports, waits for them to end and removes every
// uploaded file. The store takes no import after it.
func (st *uploadStore) close() {
	st.mu.Lock()
	st.closed = true
	st.cancel()
	st.mu.Unlock()
	st.runs.Wait()
	st.mu.Lock()
	defer st.mu.Unlock()
	for id, u := range st.byID {
		os.Remove(u.path)
		delete(st.byID, id)
	}
}

// upload is one uploaded file, and its run once started.
type upload struct {
	ID      string
	owner   int64
	path    string
	Name    string // the file's name as uploaded
	Kind    string // what the file holds: leads, deals, users or spend
	Header  []string
	Rows    int // data rows, counted at upload
	delim   rune
	created time.Time

	mu  sync.Mutex
	run *importRun
	// mapping is an uploaded YAML mapping, checked against the header;
	// mappingName is its file's name.
	mapping     *csvimport.Mapping
	mappingName string
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
	st.sweep(s.DB.Now())
	u, ok := st.byID[id]
	if !ok || u.owner != viewer(r).ID {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "this upload is gone: uploads are kept for an hour, for the person who uploaded them. Upload the file again")
	}
	return u, nil
}

// importData is what the import template shows.
type importData struct {
	MaxSize string
	Kinds   []importKind // the kinds the viewer may import
	Kind    importKind
	Presets []string
	Upload  *upload
	// The mapping step.
	Preset string
	// PresetMatched says Preset was chosen because the file's header fits
	// it ([csvimport.MatchPreset]), not by the person importing.
	PresetMatched bool
	Source        string
	HasSource     bool // the kind has a source field
	Columns       []importColumn
	Fields        []string // the fields a column may fill
	Problem       string   // what is wrong with the mapping
	Preview       []previewRow
	Mapped        []string // the targets in the preview's columns
	// An uploaded YAML mapping: its name when it is in use, what it maps,
	// and why one just uploaded was refused, a line per problem.
	Mapping       string
	ByHand        bool // the columns are mapped on the form, not by the upload's mapping
	MappingFields []mappedField
	MappingError  []string
	// The run.
	Run *importStatus
}

// mappedField is a field an uploaded mapping fills, and from which columns.
type mappedField struct {
	Target, Columns string
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

// newImportData is the page for kind, or for the first kind the viewer
// may import when kind is "".
func (s *Server) newImportData(r *http.Request, kind string) importData {
	d := importData{MaxSize: size(s.uploads().maxBytes)}
	for _, k := range importKinds {
		if allowed(k.roles, viewer(r).Role) {
			d.Kinds = append(d.Kinds, k)
			if kind == "" {
				kind = k.Name
			}
		}
		if k.Name == kind {
			d.Kind = k
		}
	}
	d.Presets = csvimport.PresetsFor(d.Kind.Name)
	d.Fields = csvimport.Fields(d.Kind.Name)
	d.HasSource = csvimport.IsField(d.Kind.Name, "source")
	return d
}

// getImport shows the upload form, an upload's mapping and preview, its
// run, the run's status fragment or its rejects.
func (s *Server) getImport(w http.ResponseWriter, r *http.Request) error {
	p := newPage(r, "Import")
	id := r.URL.Query().Get("upload")
	if id == "" {
		p.Data = s.newImportData(r, "")
		return s.render(w, http.StatusOK, "import", p)
	}
	u, err := s.upload(r, id)
	if err != nil {
		return err
	}
	if _, err := mayImport(r, u.Kind); err != nil {
		return err
	}
	d := s.newImportData(r, u.Kind)
	p.Title = "Import " + u.Kind
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
	_, status := s.mapStep(r, &d, u)
	p.Data = d
	return s.render(w, status, "import", p)
}

func rejectsName(name string) string {
	return strings.TrimSuffix(name, filepath.Ext(name)) + ".rejects.csv"
}

// mapStep fills the mapping form from the request (or from the preset,
// or from the columns' names), or takes the upload's YAML mapping unless
// the form maps by hand, and previews the first rows. It returns the
// mapping, or nil and the status of a page saying what is wrong with it.
func (s *Server) mapStep(r *http.Request, d *importData, u *upload) (*csvimport.Mapping, int) {
	q := r.URL.Query()
	if r.Method == http.MethodPost {
		q = r.PostForm
	}
	u.mu.Lock()
	uploaded, uploadedName := u.mapping, u.mappingName
	u.mu.Unlock()
	d.ByHand = q.Get("by") == "hand"
	d.Mapping = uploadedName
	if uploaded != nil && !d.ByHand {
		for _, f := range uploaded.Fields {
			d.MappingFields = append(d.MappingFields, mappedField{f.Target, strings.Join(f.Columns, " or ")})
		}
		if err := s.preview(r.Context(), d, u, uploaded); err != nil {
			d.Problem = tandem.ErrorMessage(err)
			return nil, http.StatusUnprocessableEntity
		}
		return uploaded, http.StatusOK
	}
	d.Preset = q.Get("preset")
	if !q.Has("preset") && q.Get("mapped") != "1" {
		// The first view of an upload: the preset the header fits, if any.
		d.Preset = csvimport.MatchPreset(u.Kind, u.Header)
		d.PresetMatched = d.Preset != ""
	}
	d.Source = strings.TrimSpace(q.Get("source"))
	preset, err := presetOrNil(u.Kind, d.Preset)
	if err != nil {
		d.Problem = tandem.ErrorMessage(err)
		d.Preset = ""
	}
	if d.Source == "" && preset != nil {
		d.Source = preset.Source
	}
	fromForm := q.Get("mapped") == "1"
	for i, name := range u.Header {
		c := importColumn{Index: i, Name: name}
		c.Attr = csvimport.AttributeOf(u.Kind, name)
		switch {
		case fromForm:
			c.Target = q.Get("col" + strconv.Itoa(i))
		case preset != nil:
			c.Target = presetTarget(preset, name)
		default:
			c.Target = csvimport.GuessTarget(u.Kind, name)
		}
		d.Columns = append(d.Columns, c)
	}
	m, err := buildMapping(u.Kind, d.Columns, preset, d.Source, u.delim)
	if err != nil {
		d.Problem = tandem.ErrorMessage(err)
		return nil, http.StatusUnprocessableEntity
	}
	if err := s.preview(r.Context(), d, u, m); err != nil {
		d.Problem = tandem.ErrorMessage(err)
		return nil, http.StatusUnprocessableEntity
	}
	return m, http.StatusOK
}

// presetOrNil is the preset of kind named name, or nil for "".
func presetOrNil(kind, name string) (*csvimport.Mapping, error) {
	if name == "" {
		return nil, nil
	}
	return csvimport.PresetFor(kind, name)
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
func buildMapping(kind string, cols []importColumn, preset *csvimport.Mapping, source string, delim rune) (*csvimport.Mapping, error) {
	m := &csvimport.Mapping{File: "the mapping", Kind: kind, Source: source, Delimiter: delim}
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
		if !slices.Contains(csvimport.Fields(kind), c.Target) && (c.Target != c.Attr || c.Attr == "") {
			return nil, tandem.Errorf(tandem.EINVALID, "column %q: %q is not a field of %s", c.Name, c.Target, kind)
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
	f, rd, err := u.read(m)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, fl := range m.Fields {
		d.Mapped = append(d.Mapped, fl.Target)
	}
	// A kind read whole is checked whole, as the run stores it: a user's
	// manager may come further down the file.
	whole := csvimport.ReadWhole(m.Kind)
	var rows []csvimport.Row
	var at []int // the preview row of each good row, or -1
	for len(d.Preview) < previewRows || whole && len(rows) < csvimport.MaxWholeRows {
		shown := len(d.Preview) < previewRows
		row, err := rd.Next()
		if err == io.EOF {
			break
		}
		var re *csvimport.RowError
		if errors.As(err, &re) {
			if shown {
				d.Preview = append(d.Preview, previewRow{Line: re.Line, Status: "rejected", Reason: rowReason(re)})
			}
			continue
		} else if err != nil {
			return err
		}
		rows = append(rows, row)
		if !shown {
			at = append(at, -1)
			continue
		}
		pr := previewRow{Line: row.Line}
		for _, t := range d.Mapped {
			pr.Values = append(pr.Values, row.Fields[t])
		}
		at = append(at, len(d.Preview))
		d.Preview = append(d.Preview, pr)
	}
	tok, _ := ctx.Value(ctxKey{}).(tandem.Token) // the viewer's: the preview shows what the lead rule refuses
	results, err := s.DB.Import(ctx, m.Kind, rows, sqldb.ImportOptions{File: u.Name, DryRun: true, As: &tok})
	if err != nil {
		return err
	}
	for i, res := range results {
		if at[i] < 0 {
			continue
		}
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

// postImport takes an uploaded file of a kind, checks that it is a CSV
// with a header and the same number of columns on every row, and keeps it
// for the mapping step. A form that names an upload instead takes a YAML
// mapping for it (see [Server.postMapping]).
func (s *Server) postImport(w http.ResponseWriter, r *http.Request) error {
	st := s.uploads()
	p := newPage(r, "Import")
	d := s.newImportData(r, "")
	p.Data = d
	fail := func(status int, msg string) error {
		p.Error = msg
		return s.render(w, status, "import", p)
	}
	mr, err := r.MultipartReader()
	if err != nil {
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
	keep := false
	defer func() {
		if !keep {
			os.Remove(path)
		}
	}()
	// The parts come in the form's order: kind, then file; or upload,
	// then mapping.
	kind, uploadID, name := d.Kind.Name, "", ""
	var mapping []byte
	var mappingName string
	var n int64 // the file's bytes
	for {
		pt, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			if tooLarge(err) {
				return fail(http.StatusRequestEntityTooLarge, tooLargeMsg(kind, st.maxBytes))
			}
			return fail(http.StatusBadRequest, "The upload did not arrive whole: try again.")
		}
		switch pt.FormName() {
		case "kind", "upload":
			v, err := io.ReadAll(io.LimitReader(pt, 64))
			if err != nil {
				return fail(http.StatusBadRequest, "The upload did not arrive whole: try again.")
			}
			if pt.FormName() == "kind" {
				kind = string(v)
			} else {
				uploadID = string(v)
			}
		case "mapping":
			mappingName = filepath.Base(pt.FileName())
			if mapping, err = io.ReadAll(io.LimitReader(pt, maxMappingBytes+1)); err != nil {
				return fail(http.StatusBadRequest, "The upload did not arrive whole: try again.")
			}
		case "file":
			name = filepath.Base(pt.FileName())
			if name == "" || name == "." {
				continue
			}
			if _, err := mayImport(r, kind); err != nil {
				return err
			}
			if n, err = saveFile(path, pt, st.maxBytes); err != nil {
				if tooLarge(err) || n > st.maxBytes {
					return fail(http.StatusRequestEntityTooLarge, tooLargeMsg(kind, st.maxBytes))
				}
				return fail(http.StatusBadRequest, "The upload did not arrive whole: try again.")
			}
		}
	}
	if uploadID != "" {
		return s.postMapping(w, r, uploadID, mappingName, mapping)
	}
	if _, err := mayImport(r, kind); err != nil {
		return err
	}
	d = s.newImportData(r, kind)
	p.Data = d
	switch {
	case name == "" || name == ".":
		return fail(http.StatusBadRequest, "Choose a CSV file to upload.")
	case n == 0:
		return fail(http.StatusUnprocessableEntity, name+" is empty: nothing to import.")
	}
	u := &upload{ID: id, owner: viewer(r).ID, path: path, Name: name, Kind: kind, created: s.DB.Now()}
	if err := checkCSV(u); err != nil {
		return fail(http.StatusUnprocessableEntity, name+": "+tandem.ErrorMessage(err)+". Nothing was imported.")
	}
	st.mu.Lock()
	st.sweep(s.DB.Now())
	st.byID[id] = u
	st.mu.Unlock()
	keep = true
	http.Redirect(w, r, "/import?upload="+id, http.StatusSeeOther)
	return nil
}

// saveFile copies an uploaded file to a new file at path, up to max bytes;
// a larger one is an error, with n over max.
func saveFile(path string, r io.Reader, max int64) (n int64, err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, err
	}
	n, err = io.Copy(f, io.LimitReader(r, max+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > max {
		err = tandem.Errorf(tandem.ETOOLARGE, "over %s", size(max))
	}
	return n, err
}

// postMapping takes a YAML mapping, the one `tandem import --mapping`
// takes, for the viewer's upload id. A mapping that does not parse, maps
// another kind or does not fit the file's header is refused with the
// parser's messages, each with its line, and the upload keeps the mapping
// it had.
func (s *Server) postMapping(w http.ResponseWriter, r *http.Request, id, name string, data []byte) error {
	u, err := s.upload(r, id)
	if err != nil {
		return err
	}
	if _, err := mayImport(r, u.Kind); err != nil {
		return err
	}
	m, err := checkMapping(u, name, data)
	if err != nil {
		d := s.newImportData(r, u.Kind)
		d.Upload = u
		d.MappingError = strings.Split(tandem.ErrorMessage(err), "\n")
		s.mapStep(r, &d, u)
		p := newPage(r, "Import "+u.Kind)
		p.Data = d
		return s.render(w, http.StatusUnprocessableEntity, "import", p)
	}
	u.mu.Lock()
	u.mapping, u.mappingName = m, name
	u.mu.Unlock()
	http.Redirect(w, r, "/import?upload="+u.ID, http.StatusSeeOther)
	return nil
}

// checkMapping parses an uploaded mapping and checks it against the
// upload: its kind, and the file's header.
func checkMapping(u *upload, name string, data []byte) (*csvimport.Mapping, error) {
	switch {
	case name == "" || name == "." || len(data) == 0:
		return nil, tandem.Errorf(tandem.EINVALID, "choose a mapping file: the YAML file that `tandem import %s --mapping` takes", u.Kind)
	case len(data) > maxMappingBytes:
		return nil, tandem.Errorf(tandem.ETOOLARGE, "%s is over %s: a mapping is a short YAML file", name, size(maxMappingBytes))
	}
	m, err := csvimport.ParseMapping(name, data)
	if err != nil {
		return nil, err
	}
	if m.Kind != u.Kind {
		return nil, tandem.Errorf(tandem.EINVALID, "%s maps %s, not %s: upload the CSV file again as %s, or choose a mapping of %s", name, m.Kind, u.Kind, m.Kind, u.Kind)
	}
	if m.Delimiter == 0 {
		m.Delimiter = u.delim
	}
	f, _, err := u.read(m)
	if err != nil {
		return nil, err
	}
	f.Close()
	return m, nil
}

func tooLarge(err error) bool {
	var mb *http.MaxBytesError
	return errors.As(err, &mb)
}

func tooLargeMsg(kind string, max int64) string {
	return fmt.Sprintf("The file is over %s, the most this page takes. Split it, or import it with `tandem import %s FILE`. Nothing was imported.", size(max), kind)
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

// read opens the uploaded file and a reader of it through m (whose
// header must fit the file's); the caller closes f.
func (u *upload) read(m *csvimport.Mapping) (f *os.File, rd *csvimport.Reader, err error) {
	if f, err = os.Open(u.path); err != nil {
		return nil, nil, err
	}
	if rd, err = csvimport.NewReader(f, m); err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, rd, nil
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
	u.delim = csvimport.SniffDelimiter(head[:n])
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
	if _, err := mayImport(r, u.Kind); err != nil {
		return err
	}
	d := s.newImportData(r, u.Kind)
	d.Upload = u
	u.mu.Lock()
	started := u.run != nil
	u.mu.Unlock()
	if !started {
		m, status := s.mapStep(r, &d, u)
		if m == nil {
			p := newPage(r, "Import "+u.Kind)
			p.Error = d.Problem
			p.Data = d
			return s.render(w, status, "import", p)
		}
		u.mu.Lock()
		if u.run == nil {
			u.run = &importRun{importStatus: importStatus{Total: u.Rows}}
			tok := caller(r)
			if !s.uploads().start(func(ctx context.Context) { s.runImport(ctx, u, m, tok) }) {
				u.run = nil
				u.mu.Unlock()
				return tandem.Errorf(tandem.ECONFLICT, "the server is shutting down: import the file again in a moment")
			}
		}
		u.mu.Unlock()
	}
	http.Redirect(w, r, "/import?upload="+u.ID, http.StatusSeeOther)
	return nil
}

// runImport imports an upload in the background, as `tandem import`
// does: the same driver (csvimport.Import) and store (sqldb.DB.Import),
// each reject with its line and reason. It stops at the next batch when
// ctx ends (the server closes), and removes the uploaded file at the end.
func (s *Server) runImport(ctx context.Context, u *upload, m *csvimport.Mapping, tok tandem.Token) {
	ctx, cancel := context.WithTimeout(ctx, uploadTTL)
	defer cancel()
	defer os.Remove(u.path)
	update := func(fn func(run *importRun)) {
		u.mu.Lock()
		fn(u.run)
		u.mu.Unlock()
	}
	var t csvimport.Tally
	err := func() error {
		f, rd, err := u.read(m)
		if err != nil {
			return err
		}
		defer f.Close()
		update(func(run *importRun) { run.rejectWriter(rd.Header()) })
		im := csvimport.Import{
			Store: func(ctx context.Context, rows []csvimport.Row) ([]csvimport.Result, error) {
				rs, err := s.DB.Import(ctx, m.Kind, rows, sqldb.ImportOptions{File: u.Name, Actor: tok.Actor(), As: &tok})
				if err == nil && m.Kind == "leads" {
					for _, r := range rs {
						switch r.Status { // every other row is a reject, counted by Reject
						case tandem.StatusCreated, tandem.StatusUpdated, tandem.StatusUnchanged:
							s.countLeadStatus("import", r.Status)
						}
					}
				}
				return rs, err
			},
			Batch: importBatch,
			Reject: func(e *csvimport.RowError) error {
				if m.Kind == "leads" {
					s.countLeadStatus("import", tandem.StatusRejected)
				}
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
		why := tandem.ErrorMessage(err)
		if errors.Is(err, context.Canceled) {
			why = "the server shut down"
		}
		if err != nil {
			run.Err = fmt.Sprintf("the import stopped after %d rows: %s. The rows before were kept; importing the file again reports them unchanged.",
				t.Rows, why)
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
