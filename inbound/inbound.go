// Package inbound turns what other systems send Tandem into lead inputs: a
// website form's post (one record of field names and values) and the
// payloads of inbound webhooks (Standard Webhooks JSON and HubSpot's
// contact and deal webhooks). A form or a source maps names to lead fields
// with a mapping in the format of CSV imports (package csvimport,
// docs/import.md): a submission is one "row" whose columns are the posted
// names. The package also checks HubSpot's v3 request signature. It is
// pure: it reads no database and no request; package http hands it the
// bytes and the store writes what it returns.
package inbound

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/csvimport"
	"github.com/tandemhq/tandem/csvout"
)

// Record is one submitted record: names and their values, as a form or a
// payload gives them.
type Record map[string]string

// maxRecordFields bounds the names of one record, and maxRecords the
// records of one request, so that a hostile post costs bounded work.
const (
	maxRecordFields = 200
	maxRecords      = 1000
)

// Leads maps records through the leads mapping m, one lead input per
// record, in order. A record the mapping refuses (a value its field does
// not take, a required name missing) has its error in errs at its index,
// an EINVALID error naming the name and why; the others go on.
// Every record's names are columns of one header: a mapping's required
// field is missing from a record only when that record lacks its name.
func Leads(m *csvimport.Mapping, records []Record) (ins []tandem.LeadInput, errs []error) {
	ins = make([]tandem.LeadInput, len(records))
	errs = make([]error, len(records))
	for i, rec := range records {
		ins[i], errs[i] = one(m, rec)
	}
	return ins, errs
}

// one maps a record as a CSV of one row: the header its names, the row its
// values. Reading it through csvimport's Reader is the mapping's one
// meaning, with every check a CSV import makes.
func one(m *csvimport.Mapping, rec Record) (tandem.LeadInput, error) {
	if len(rec) > maxRecordFields {
		return tandem.LeadInput{}, tandem.Errorf(tandem.EINVALID, "the record has %d names; at most %d are taken", len(rec), maxRecordFields)
	}
	names := make([]string, 0, len(rec))
	for k := range rec {
		if strings.TrimSpace(k) == "" {
			continue
		}
		names = append(names, k)
	}
	slices.Sort(names)
	if len(names) == 0 {
		return tandem.LeadInput{}, tandem.Errorf(tandem.EINVALID, "the record is empty: no names with values")
	}
	cells := make([]csvout.Cell, len(names))
	for i, n := range names {
		cells[i] = csvout.Text(rec[n])
	}
	var b bytes.Buffer
	w := csvout.NewWriter(&b)
	if err := w.WriteText(names...); err != nil {
		return tandem.LeadInput{}, fmt.Errorf("writing the record's names: %w", err)
	}
	if err := w.Write(cells...); err != nil {
		return tandem.LeadInput{}, fmt.Errorf("writing the record's values: %w", err)
	}
	if err := w.Flush(); err != nil {
		return tandem.LeadInput{}, fmt.Errorf("writing the record: %w", err)
	}
	// Names that differ only in case or spaces would be one column twice.
	seen := make(map[string]string, len(names))
	for _, n := range names {
		k := strings.ToLower(strings.TrimSpace(n))
		if prev, ok := seen[k]; ok {
			return tandem.LeadInput{}, tandem.Invalid(tandem.FieldError{Field: n, Message: fmt.Sprintf("given twice (also as %q)", prev)})
		}
		seen[k] = n
	}
	rd, err := csvimport.NewReader(&b, m)
	if err != nil {
		return tandem.LeadInput{}, recordError(err)
	}
	row, err := rd.Next()
	if err != nil {
		return tandem.LeadInput{}, recordError(err)
	}
	return tandem.LeadInput{Fields: row.Fields, Initial: row.Initial}, nil
}

// recordError words a CSV reader's error for a record, which has no lines:
// the column is the name.
func recordError(err error) error {
	if re, ok := err.(*csvimport.RowError); ok {
		if re.Column != "" {
			return tandem.Invalid(tandem.FieldError{Field: re.Column, Message: re.Reason})
		}
		return tandem.Errorf(tandem.EINVALID, "%s", re.Reason)
	}
	if tandem.ErrorCode(err) == tandem.EINTERNAL {
		return err
	}
	// The header's problems name a column the record lacks: say "name".
	msg := strings.ReplaceAll(tandem.ErrorMessage(err), "column", "name")
	return tandem.Errorf(tandem.EINVALID, "%s", msg)
}
