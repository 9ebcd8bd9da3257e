// Package csvimport turns any CSV export (HubSpot, Salesforce, the Olist data
// set, a home-made spreadsheet) into Tandem records through a small mapping
// file that says which column fills which field.
//
// It reads and converts; it does not store. An [Import] reads [Row]s from a
// [Reader] and hands them, in batches, to a store callback (for `tandem
// import` and the import page, sqldb.DB.Import), which validates the values
// as it does for every other intake path. A bad row is a [RowError] that the
// caller writes to a rejects file (see [RejectWriter]) before going on; any
// other error stops the import.
//
// A mapping names the kind of record it fills: leads, deals, users, spend,
// accounts or products. Each
// kind is one entry in this package's table of kinds, with a function that
// says which target field names are valid (for leads,
// [tandem.LookupLeadField]; for deals, [tandem.LookupDealField]).
//
// The mapping format is described in docs/import.md.
package csvimport

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
)

// kind is a sort of record a mapping can fill.
type kind struct {
	// noun names one record in messages ("lead").
	noun string
	// field reports whether name is a field of the record and its type.
	// Custom attributes are fields too ("attributes.KEY").
	field func(name string) (tandem.FieldKind, bool)
	// names lists the fixed field names, for error messages.
	names func() []string
	// whole says that a file of this kind is stored as one batch, read
	// to the end first (see [Import]).
	whole bool
	// key, if set, is the identity the store matches a row by, as
	// (source, external id); an empty id is no identity. Two rows of one
	// file with the same key are a duplicate (see [Import.Run]).
	key func(Row) (source, id string)
}

// kinds holds every kind a mapping may name. It is never changed at run
// time; a new kind is a new entry here.
var kinds = map[string]kind{
	"leads": {
		noun: "lead",
		field: func(name string) (tandem.FieldKind, bool) {
			f, ok := tandem.LookupLeadField(name)
			return f.Kind, ok
		},
		names: tandem.LeadFieldNames,
		key: func(r Row) (string, string) {
			in := tandem.LeadInput{Fields: r.Fields, Initial: r.Initial}
			return in.Key(DefaultSource)
		},
	},
	"deals": {
		noun:  "deal",
		field: tandem.LookupDealField,
		names: tandem.DealFieldNames,
		key: func(r Row) (string, string) {
			in := tandem.DealInput{Fields: r.Fields, Initial: r.Initial}
			return in.Key(DefaultSource)
		},
	},
	"users": {
		noun: "user",
		field: func(name string) (tandem.FieldKind, bool) {
			i := slices.Index(UserFields, name)
			if i < 0 {
				return 0, false
			}
			if name == "weight" {
				return tandem.KindInt, true
			}
			return tandem.KindText, true
		},
		names: func() []string { return slices.Clone(UserFields) },
		// Users are few, and a manager may come after their reps: the
		// whole file is one batch, resolved in two passes.
		whole: true,
	},
	"accounts": {
		noun: "account",
		field: func(name string) (tandem.FieldKind, bool) {
			return tandem.KindText, slices.Contains(tandem.AccountFields, name)
		},
		names: func() []string { return slices.Clone(tandem.AccountFields) },
	},
	"products": {
		noun: "product",
		field: func(name string) (tandem.FieldKind, bool) {
			return tandem.KindText, slices.Contains(tandem.ProductFields, name)
		},
		names: func() []string { return slices.Clone(tandem.ProductFields) },
	},
	"spend": {
		noun: "spend",
		field: func(name string) (tandem.FieldKind, bool) {
			return tandem.KindText, slices.Contains(SpendFields, name)
		},
		names: func() []string { return slices.Clone(SpendFields) },
	},
}

// DefaultSource is the source of an imported lead or deal whose row and
// mapping give none (sqldb.DB.Import stores it so).
const DefaultSource = "import"

// SpendFields are the fields of a spend mapping: the campaign's code, its
// name and channel (which register a campaign the file brings first), the
// month (YYYY-MM, or a date in it) and the amount in major units.
var SpendFields = []string{"campaign", "name", "channel", "month", "amount"}

// UserFields are the fields of a users mapping: the user's email (which
// identifies them; a file without emails knows people by name), name,
// role, team (an office or region), manager (the manager's email or name)
// and routing weight.
var UserFields = []string{"email", "name", "role", "team", "manager", "weight"}

// Kinds are the kinds of record a mapping may fill, sorted.
func Kinds() []string { return kindNames() }

// Fields are the fixed target fields of kind, in the order the kind gives
// them; nil for an unknown kind.
func Fields(kind string) []string {
	k, ok := kinds[kind]
	if !ok {
		return nil
	}
	return k.names()
}

// IsField reports whether name is a target field of kind, a custom
// attribute ("attributes.KEY") included where the kind has them.
func IsField(kind, name string) bool {
	k, ok := kinds[kind]
	if !ok {
		return false
	}
	_, ok = k.field(name)
	return ok
}

// ReadWhole reports whether a file of kind is stored as one batch, read to
// the end first: users, whose managers may come after their reps.
func ReadWhole(kind string) bool { return kinds[kind].whole }

func kindNames() []string {
	names := make([]string, 0, len(kinds))
	for name := range kinds {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// What a mapping does with the columns it does not map.
const (
	UnmappedIgnore     = "ignore"
	UnmappedAttributes = "attributes"
)

// NormalizeSnakeCase is the one value normalization: lower case, every run
// of characters other than letters and digits turned into one underscore.
const NormalizeSnakeCase = "snake_case"

// Mapping says how the columns of one CSV file become the fields of one kind
// of record. [ParseMapping] and [Preset] make one; a command may change
// its fields (say, Location from a flag) before calling [NewReader], which
// checks it again.
type Mapping struct {
	// File names the mapping in error messages.
	File string
	// Kind is the kind of record the rows fill: "leads".
	Kind string
	// Source is the value of the record's source field for every row whose
	// own source column (if any) is empty.
	Source string
	// Delimiter separates the columns; 0 means a comma.
	Delimiter rune
	// Location is the time zone of dates and times written without an
	// offset (the mapping's time_zone); nil leaves them to the zone of the
	// agreement in force when the store imports the rows.
	Location *time.Location
	// Unmapped is UnmappedIgnore (or "") or UnmappedAttributes.
	Unmapped string
	// Fields lists the column mappings in the file's order.
	Fields []Field
	// Constants give a field the same value on every row whose columns
	// do not give it one.
	Constants []Constant

	// lines holds the line of each top-level key, for error messages.
	lines map[string]int
}

// Field maps one target field from a column of the file.
type Field struct {
	// Target is the field's name: "email", "created_at", "attributes.KEY".
	Target string
	// Columns are the candidate column names; the first present in the
	// header is used. They match case-insensitively after trimming spaces.
	Columns []string
	// Optional lets every candidate column be missing from the header.
	Optional bool
	// Formats are the Go time layouts tried, in order, on a time field.
	// Empty means calendar.Layouts: RFC 3339, a date (2006-01-02), and a
	// date with a time of day (2006-01-02 15:04:05).
	Formats []string
	// Values maps cell values, matched case-insensitively, to field values.
	// A cell value not in the map is a row error unless Passthrough is set.
	Values map[string]string
	// Passthrough keeps a cell value that Values does not know as it is.
	Passthrough bool
	// Normalize is "" or NormalizeSnakeCase, applied to the cell before
	// Values are looked up (their keys are normalized the same way).
	Normalize string
	// Default is the value when the cell is empty or the column absent.
	Default string
	// Line is where the field is mapped in the mapping file, or 0.
	Line int
}

// Constant gives a field one value for every row.
type Constant struct {
	Target string
	Value  string
	Line   int
}

//go:embed presets/*.yaml
var presets embed.FS

// PresetNames returns the names of the built-in mappings, sorted.
func PresetNames() []string {
	entries, err := fs.ReadDir(presets, "presets")
	if err != nil {
		panic("csvimport: presets are not embedded: " + err.Error())
	}
	var names []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".yaml"); ok {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// PresetFile returns the YAML text of a built-in mapping, for a user who
// wants to start a mapping of their own from it.
func PresetFile(name string) ([]byte, error) {
	if !slices.Contains(PresetNames(), name) {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "no preset %q (presets: %s)", name, strings.Join(PresetNames(), ", "))
	}
	return presets.ReadFile(path.Join("presets", name+".yaml"))
}

// PresetsFor returns the names of the built-in mappings of a kind, sorted,
// as a command for that kind takes them: a file NAME_KIND.yaml (like
// olist_deals.yaml) is the preset NAME of its kind, so that "olist" names
// the Olist MQL file's mapping for leads and the closed-deals file's for
// deals.
func PresetsFor(kind string) []string {
	var names []string
	for _, name := range PresetNames() {
		m, err := Preset(name)
		if err != nil || m.Kind != kind {
			continue
		}
		names = append(names, strings.TrimSuffix(name, "_"+kind))
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// PresetFor returns a fresh copy of the built-in mapping of a kind called
// name: the file NAME_KIND.yaml, or else NAME.yaml if it maps that kind. An
// unknown name is an ENOTFOUND error that lists the kind's presets; a
// preset of another kind is an EINVALID error that says which.
func PresetFor(kind, name string) (*Mapping, error) {
	all := PresetNames()
	for _, file := range []string{name + "_" + kind, name} {
		if !slices.Contains(all, file) || name == "" {
			continue
		}
		m, err := Preset(file)
		if err != nil {
			return nil, err
		}
		if m.Kind == kind {
			return m, nil
		}
		return nil, tandem.Errorf(tandem.EINVALID, "preset %q maps %s, not %s (%s presets: %s)", name, m.Kind, kind,
			kinds[kind].noun, strings.Join(PresetsFor(kind), ", "))
	}
	return nil, tandem.Errorf(tandem.ENOTFOUND, "no preset %q (presets: %s)", name, strings.Join(PresetsFor(kind), ", "))
}

// Preset returns a fresh copy of the built-in mapping called name. An
// unknown name is an ENOTFOUND error that lists the presets.
func Preset(name string) (*Mapping, error) {
	data, err := PresetFile(name)
	if err != nil {
		return nil, err
	}
	m, err := ParseMapping("presets/"+name+".yaml", data)
	if err != nil {
		return nil, fmt.Errorf("csvimport: preset %s does not parse: %w", name, err)
	}
	return m, nil
}
