package http

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/calendar"
	"github.com/tandemhq/tandem/sqldb"
)

// leadResult is one item of a POST /api/v1/leads response.
type leadResult struct {
	Index  int       `json:"index"`
	ID     int64     `json:"id,omitempty"`
	Status string    `json:"status"`
	Error  *apiError `json:"error,omitempty"`
	DryRun bool      `json:"dry_run,omitempty"` // on a single lead's answer
}

type batchResponse struct {
	Results   []leadResult `json:"results"`
	Created   int          `json:"created"`
	Updated   int          `json:"updated"`
	Unchanged int          `json:"unchanged"`
	Rejected  int          `json:"rejected"`
	DryRun    bool         `json:"dry_run,omitempty"`
}

// postLeads takes one lead (a JSON object) or a batch (an array of up to
// MaxBatch objects). A batch always answers 200 with a result per item; a
// single lead answers 201 when created, 200 when updated or unchanged, and
// 422 when rejected.
func (s *Server) postLeads(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	body = bytes.TrimSpace(body)
	single := len(body) > 0 && body[0] == '{'
	if len(body) == 0 {
		return tandem.Errorf(tandem.EMALFORMED, "the body is empty: send a lead as a JSON object or a batch as a JSON array")
	} else if !single && body[0] != '[' {
		return tandem.Errorf(tandem.EMALFORMED, "the body is not JSON: send a lead as a JSON object or a batch as a JSON array")
	}
	// json.Number keeps numbers exactly as sent.
	var doc any
	if err := decodeJSON(body, &doc, exactNumbers); err != nil {
		return err
	}
	raws, ok := doc.([]any)
	if !ok {
		raws = []any{doc}
	}
	if len(raws) > MaxBatch {
		return tandem.Errorf(tandem.ETOOLARGE, "a batch holds at most %d leads; this one has %d", MaxBatch, len(raws))
	}
	if len(raws) == 0 {
		return tandem.Errorf(tandem.EINVALID, "the batch is empty")
	}
	inputs := make([]tandem.LeadInput, len(raws))
	parseErrs := make([]error, len(raws))
	for i, raw := range raws {
		inputs[i], parseErrs[i] = leadInput(raw)
		if single && parseErrs[i] != nil && tandem.ErrorCode(parseErrs[i]) == tandem.EMALFORMED {
			return parseErrs[i]
		}
	}
	var good []tandem.LeadInput
	for i, in := range inputs {
		if parseErrs[i] == nil {
			good = append(good, in)
		}
	}
	// A misspelt or misread dry run must not write: refuse what we do not
	// understand.
	var dryRun bool
	for name, vs := range r.URL.Query() {
		if name != "dry_run" {
			return tandem.Invalid(tandem.FieldError{Field: name, Message: "not a parameter of this request (dry_run)"})
		}
		if dryRun, err = strconv.ParseBool(vs[len(vs)-1]); err != nil {
			return tandem.Invalid(tandem.FieldError{Field: name, Message: fmt.Sprintf("%q is not true or false", vs[len(vs)-1])})
		}
	}
	rs, err := s.DB.IntakeLeads(r.Context(), good, sqldb.IntakeOptions{DefaultSource: "api", Actor: actor(r), DryRun: dryRun, As: ptr(caller(r))})
	if err != nil {
		return err
	}
	resp := batchResponse{Results: make([]leadResult, len(raws)), DryRun: dryRun}
	if !dryRun {
		defer func() {
			for status, n := range map[string]int{tandem.StatusCreated: resp.Created, tandem.StatusUpdated: resp.Updated,
				tandem.StatusUnchanged: resp.Unchanged, tandem.StatusRejected: resp.Rejected} {
				s.Metrics.LeadsTaken("api", status, n)
			}
		}()
	}
	for i := range raws {
		res := leadResult{Index: i}
		if parseErrs[i] != nil {
			res.Status, res.Error = tandem.StatusRejected, ptr(toAPIError(parseErrs[i]))
		} else {
			out := rs[0]
			rs = rs[1:]
			res.ID, res.Status = out.ID, out.Status
			if out.Err != nil {
				res.Error = ptr(toAPIError(out.Err))
			}
		}
		switch res.Status {
		case tandem.StatusCreated:
			resp.Created++
		case tandem.StatusUpdated:
			resp.Updated++
		case tandem.StatusUnchanged:
			resp.Unchanged++
		default:
			resp.Rejected++
		}
		resp.Results[i] = res
	}
	if !single {
		return writeJSON(w, http.StatusOK, resp)
	}
	res := resp.Results[0]
	res.DryRun = dryRun
	switch res.Status {
	case tandem.StatusRejected:
		// 422 for a lead that breaks a rule, 403 for one the caller may
		// not change: the item's code says which.
		return writeJSON(w, statusOf[res.Error.Code], errorBody{*res.Error})
	case tandem.StatusCreated:
		return writeJSON(w, http.StatusCreated, res)
	}
	return writeJSON(w, http.StatusOK, res)
}

func ptr[T any](v T) *T { return &v }

func malformed(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return tandem.Errorf(tandem.EMALFORMED, "the body is not valid JSON at byte %d: %v", se.Offset, err)
	case errors.As(err, &te):
		return tandem.Errorf(tandem.EMALFORMED, "the body has a %s where a %s belongs, at byte %d", te.Value, te.Type, te.Offset)
	}
	return tandem.Errorf(tandem.EMALFORMED, "the body is not valid JSON: %v", err)
}

// leadInput turns one JSON object into a lead input. Values may be strings,
// numbers, booleans or null (no value); "attributes" is an object of
// strings. Anything else names the field that is wrong.
func leadInput(item any) (tandem.LeadInput, error) {
	obj, ok := item.(map[string]any)
	if !ok {
		return tandem.LeadInput{}, tandem.Errorf(tandem.EMALFORMED, "a lead must be a JSON object, not %s", jsonKind(item))
	}
	in := tandem.LeadInput{Fields: make(map[string]string, len(obj))}
	var errs []tandem.FieldError
	// An attribute may come as "attributes.KEY" and inside "attributes";
	// both at once would make the value depend on map order.
	setField := func(name, value string) {
		if _, dup := in.Fields[name]; dup {
			errs = append(errs, tandem.FieldError{Field: name, Message: "given twice, on its own and inside \"attributes\""})
			return
		}
		in.Fields[name] = value
	}
	for name, v := range obj {
		if name == "attributes" {
			attrs, ok := v.(map[string]any)
			if !ok && v != nil {
				errs = append(errs, tandem.FieldError{Field: name, Message: "must be an object of names to values"})
				continue
			}
			for k, av := range attrs {
				s, err := scalar(av)
				if err != nil {
					errs = append(errs, tandem.FieldError{Field: tandem.AttributePrefix + k, Message: err.Error()})
					continue
				}
				setField(tandem.AttributePrefix+k, s)
			}
			continue
		}
		s, err := scalar(v)
		if err != nil {
			errs = append(errs, tandem.FieldError{Field: name, Message: err.Error()})
			continue
		}
		if name == "reason" {
			in.Reason = s
			continue
		}
		setField(name, s)
	}
	if len(errs) > 0 {
		slices.SortFunc(errs, func(a, b tandem.FieldError) int { return strings.Compare(a.Field, b.Field) })
		return in, tandem.Invalid(errs...)
	}
	return in, nil
}

// jsonKind names the kind of a decoded JSON value.
func jsonKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case string:
		return "a string"
	case nil:
		return "null"
	case bool:
		return "a boolean"
	}
	return "a number"
}

// scalar turns a decoded JSON value into a field value: strings as they
// are, numbers as written, booleans as true or false, null as no value.
func scalar(v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case json.Number:
		return v.String(), nil
	case bool:
		return strconv.FormatBool(v), nil
	}
	return "", fmt.Errorf("must be a string, a number or a boolean, not an object or a list")
}

type leadList struct {
	Items      []tandem.Lead `json:"items"`
	Total      int           `json:"total"`
	NextCursor string        `json:"next_cursor,omitempty"`
}

// listLeads answers GET /api/v1/leads?FIELD=VALUE&...&q=SEARCH&sort=FIELD&limit=N&cursor=C.
func (s *Server) listLeads(w http.ResponseWriter, r *http.Request) error {
	loc, err := s.DB.Zone(r.Context())
	if err != nil {
		return err
	}
	f, err := leadFilter(r, loc)
	if err != nil {
		return err
	}
	page, err := s.DB.LeadsFor(r.Context(), f, caller(r))
	if err != nil {
		return err
	}
	out := leadList{Items: page.Leads, Total: page.Total}
	if out.Items == nil {
		out.Items = []tandem.Lead{}
	}
	if page.Next != 0 {
		out.NextCursor = encodeLeadCursor(page.Next, page.NextValue)
	}
	return writeJSON(w, http.StatusOK, out)
}

// leadFilter reads the filters of a list of leads; a date or a time
// without an offset is read in loc, the agreement's zone.
func leadFilter(r *http.Request, loc *time.Location) (tandem.LeadFilter, error) {
	return parseLeadFilter(r.URL.Query(), loc)
}

// parseLeadFilter reads a list of leads' filters from a query: the one
// parser of GET /api/v1/leads, the /leads page, its export and its saved
// views.
func parseLeadFilter(q url.Values, loc *time.Location) (tandem.LeadFilter, error) {
	f := tandem.LeadFilter{Equal: map[string]string{}}
	// A lead field given several times keeps the leads whose field is one
	// of the values (?stage=mql&stage=sal); any other parameter takes one.
	var manyErrs []tandem.FieldError
	one := url.Values{}
	for name, vs := range q {
		if _, ok := tandem.LookupLeadField(name); !ok || len(vs) < 2 {
			one[name] = vs
			continue
		}
		if f.In == nil {
			f.In = map[string][]string{}
		}
		for _, v := range vs {
			v, err := leadFieldValue(name, v, loc)
			if err != nil {
				manyErrs = append(manyErrs, tandem.FieldError{Field: name, Message: err.Error()})
				break
			}
			f.In[name] = append(f.In[name], v)
		}
	}
	err := eachValue(one, func(name, v string, bad func(string)) {
		intParam := func() *int {
			n, err := strconv.Atoi(v)
			if err != nil {
				bad(fmt.Sprintf("%q is not a whole number", v))
				return nil
			}
			return &n
		}
		switch name {
		case "limit":
			if n := intParam(); n != nil {
				if *n < 1 {
					bad("must be between 1 and 1000")
				}
				f.Limit = *n
			}
		case "cursor":
			id, value, ok := decodeLeadCursor(v)
			if !ok {
				bad("not a cursor this API gave out")
			}
			f.After, f.AfterValue = id, value
		case "q":
			f.Q = v
		case "sort":
			f.Sort = v
		case "team":
			f.Team = v
		case "stage_changed_from", "stage_changed_to":
			t, err := calendar.ParseTime(v, loc)
			if err != nil {
				bad(err.Error())
			} else if name == "stage_changed_from" {
				f.StageChangedFrom = t
			} else {
				f.StageChangedTo = t
			}
		case "score_min":
			f.ScoreMin = intParam()
		case "score_max":
			f.ScoreMax = intParam()
		case "created_from", "created_to":
			t, err := calendar.ParseTime(v, loc)
			if err != nil {
				bad(err.Error())
			} else if name == "created_from" {
				f.CreatedFrom = t
			} else {
				f.CreatedTo = t
			}
		default:
			if _, ok := tandem.LookupLeadField(name); !ok {
				bad("not a lead field or a list parameter (" + strings.Join(leadListParams, ", ") + ")")
				return
			}
			v, err := leadFieldValue(name, v, loc)
			if err != nil {
				bad(err.Error())
				return
			}
			f.Equal[name] = v
		}
	})
	if len(manyErrs) > 0 {
		errs := append(tandem.ErrorFields(err), manyErrs...)
		slices.SortFunc(errs, func(a, b tandem.FieldError) int { return strings.Compare(a.Field, b.Field) })
		return f, tandem.Invalid(errs...)
	}
	return f, err
}

// leadFieldValue reads a filter's value of a lead field: a time field's
// date or time (without an offset, in loc) as the store writes times, any
// other field's as given.
func leadFieldValue(name, v string, loc *time.Location) (string, error) {
	field, _ := tandem.LookupLeadField(name)
	if field.Kind != tandem.KindTime || v == "" {
		return v, nil
	}
	t, err := calendar.ParseTime(v, loc)
	if err != nil {
		return "", err
	}
	return tandem.FormatTime(t), nil
}

// leadListParams are the parameters of a list of leads besides the fields.
var leadListParams = []string{"q", "sort", "team", "limit", "cursor", "score_min", "score_max", "created_from", "created_to",
	"stage_changed_from", "stage_changed_to"}

// encodeLeadCursor makes the cursor of a list of leads that goes on after
// the lead id, whose value of the list's sort field is value ("" for a
// list by id).
func encodeLeadCursor(id int64, value string) string {
	s := "lead:" + strconv.FormatInt(id, 10)
	if value != "" {
		s += ":" + value
	}
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

// decodeLeadCursor reads a cursor of encodeLeadCursor, or reports false.
func decodeLeadCursor(s string) (id int64, value string, ok bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, "", false
	}
	rest, ok := strings.CutPrefix(string(b), "lead:")
	if !ok {
		return 0, "", false
	}
	num, value, _ := strings.Cut(rest, ":")
	id, err = strconv.ParseInt(num, 10, 64)
	return id, value, err == nil && id > 0
}

// eachParam calls fn with each query parameter and its value, and returns
// the problems fn reports through bad, and any parameter given twice, as
// one EINVALID error with the fields sorted.
func eachParam(r *http.Request, fn func(name, v string, bad func(msg string))) error {
	return eachValue(r.URL.Query(), fn)
}

// eachValue is [eachParam] over the values q.
func eachValue(q url.Values, fn func(name, v string, bad func(msg string))) error {
	var errs []tandem.FieldError
	for name, vs := range q {
		if len(vs) > 1 {
			errs = append(errs, tandem.FieldError{Field: name, Message: "given more than once: a filter takes one value"})
			continue
		}
		fn(name, vs[0], func(msg string) { errs = append(errs, tandem.FieldError{Field: name, Message: msg}) })
	}
	if len(errs) > 0 {
		slices.SortFunc(errs, func(a, b tandem.FieldError) int { return strings.Compare(a.Field, b.Field) })
		return tandem.Invalid(errs...)
	}
	return nil
}

// encodeCursor makes the opaque paging cursor of a list of kind (lead,
// deal) that goes on after id.
func encodeCursor(kind string, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + ":" + strconv.FormatInt(id, 10)))
}

// decodeCursor reads a cursor of the kind, or reports false.
func decodeCursor(kind, s string) (int64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, false
	}
	rest, ok := strings.CutPrefix(string(b), kind+":")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	return id, err == nil && id > 0
}

func pathID(r *http.Request, name string) (int64, error) {
	v := r.PathValue(name)
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, tandem.Errorf(tandem.ENOTFOUND, "%q is not a valid %s", v, name)
	}
	return id, nil
}

func (s *Server) getLead(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	l, err := s.DB.LeadFor(r.Context(), id, caller(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, l)
}

func (s *Server) getLeadEvents(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := s.DB.LeadFor(r.Context(), id, caller(r)); err != nil {
		return err
	}
	events, err := s.DB.LeadEvents(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": events})
}

// moveLead answers POST /api/v1/leads/{id}/stage {"stage": ..., "reason": ...}.
func (s *Server) moveLead(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req struct {
		Stage  string `json:"stage"`
		Reason string `json:"reason"`
	}
	if err := decodeStrict(r.Body, &req); err != nil {
		return err
	}
	l, err := s.DB.MoveLeadAs(r.Context(), id, req.Stage, req.Reason, caller(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, l)
}
