package agreement

import (
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
)

func TestCompileRuleErrors(t *testing.T) {
	tests := []struct {
		src  string
		want RuleError
	}{
		{"", RuleError{Message: "the rule is empty"}},
		{"   ", RuleError{Message: "the rule is empty"}},
		{"scor >= 60", RuleError{Line: 1, Column: 0, Message: "unknown name scor (did you mean score?)"}},
		{"budget > 10", RuleError{Line: 1, Column: 0, Message: `unknown name budget (a rule may use the lead fields source, external_id, email, first_name, last_name, company, title, phone, country, segment, territory, origin, campaign, landing_page, utm_source, utm_medium, utm_campaign, utm_term, utm_content, owner_id, score, stage, created_at, and attributes["key"])`}},
		{"score + 1", RuleError{Message: "the rule must be true or false, but it gives int"}},
		{"email", RuleError{Message: "the rule must be true or false, but it gives string"}},
		{`attributes["x"]`, RuleError{Message: "the rule must be true or false, but it gives string"}},
		{`score == "high"`, RuleError{Line: 1, Column: 6, Message: "invalid operation: == (mismatched types int and string)"}},
		{"score >=", RuleError{Line: 1, Column: 7, Message: "unexpected token EOF"}},
		{"now() > created_at", RuleError{Line: 1, Column: 0, Message: "now() is not available in a rule: a rule must give the same answer whenever the ledger is replayed"}},
	}
	for _, tt := range tests {
		_, err := CompileRule(tt.src)
		var re *RuleError
		if !errors.As(err, &re) {
			t.Errorf("CompileRule(%q) = %v; want a *RuleError", tt.src, err)
			continue
		}
		if *re != tt.want {
			t.Errorf("CompileRule(%q) = %+v; want %+v", tt.src, *re, tt.want)
		}
	}
}

func TestRuleEval(t *testing.T) {
	created := time.Date(2026, 2, 1, 12, 0, 0, 0, time.UTC)
	lead := &tandem.Lead{
		Source: "hubspot", Email: "ada@example.com", Country: "DE", Segment: "enterprise", Title: "VP Sales",
		Score: 72, OwnerID: 9, Stage: "lead", CreatedAt: created,
		Attributes: map[string]string{"industry": "software"},
	}
	tests := []struct {
		src  string
		want bool
	}{
		{`score >= 60 and email != ""`, true},
		{`score >= 80`, false},
		{`country in ["US", "CA"]`, false},
		{`country in ["DE", "AT", "CH"] and segment == "enterprise"`, true},
		{`attributes["industry"] == "software"`, true},
		{`attributes["missing"] == ""`, true},
		{`title contains "Sales"`, true},
		{`lower(title) startsWith "vp"`, true},
		{`owner_id == 9 and stage == "lead"`, true},
		{`created_at > date("2026-01-01")`, true},
		{`created_at < date("2026-01-01")`, false},
		{`not (source == "hubspot")`, false},
		{`email matches "@example\\.com$"`, true},
	}
	for _, tt := range tests {
		r, err := CompileRule(tt.src)
		if err != nil {
			t.Errorf("CompileRule(%q) = %v; want no error", tt.src, err)
			continue
		}
		got, err := r.Eval(lead)
		if err != nil || got != tt.want {
			t.Errorf("Rule(%q).Eval(lead) = %v, %v; want %v", tt.src, got, err, tt.want)
		}
		if r.String() != tt.src {
			t.Errorf("Rule(%q).String() = %q", tt.src, r.String())
		}
	}
	// A rule that fails at run time says so.
	r, err := CompileRule("100 % (score - 72) == 0")
	if err != nil {
		t.Fatalf("CompileRule: %v", err)
	}
	if got, err := r.Eval(lead); err == nil {
		t.Errorf("Eval(100 %% 0) = %v, nil; want an error", got)
	}
	if r, _ := CompileRule("  score > 1\n"); r.String() != "score > 1" {
		t.Errorf("String() = %q; want the rule without surrounding space", r.String())
	}
}

// TestEnvCoversLeadFields keeps the rule environment in step with the root
// package: every lead field has a name of the right type, and its value
// reaches the rule.
func TestEnvCoversLeadFields(t *testing.T) {
	types := map[string]reflect.Type{}
	et := reflect.TypeOf(env{})
	for i := range et.NumField() {
		types[et.Field(i).Tag.Get("expr")] = et.Field(i).Type
	}
	want := map[tandem.FieldKind]reflect.Type{
		tandem.KindText: reflect.TypeOf(""),
		tandem.KindInt:  reflect.TypeOf(0),
		tandem.KindTime: reflect.TypeOf(time.Time{}),
	}
	for _, f := range tandem.LeadFields {
		typ, ok := types[f.Name]
		if !ok {
			t.Errorf("lead field %s is missing from the rule environment", f.Name)
			continue
		}
		if typ != want[f.Kind] {
			t.Errorf("lead field %s is %v in the rule environment; want %v", f.Name, typ, want[f.Kind])
		}
		delete(types, f.Name)
		// The value reaches the rule.
		var l tandem.Lead
		value, literal := "v1", `"v1"`
		switch f.Kind {
		case tandem.KindInt:
			value, literal = "42", "42"
		case tandem.KindTime:
			value, literal = "2026-05-04T03:02:01Z", `date("2026-05-04T03:02:01Z")`
		}
		if f.Name == "email" {
			value, literal = "v1@example.com", `"v1@example.com"`
		}
		if err := f.Set(&l, value); err != nil {
			t.Fatalf("Set(%s, %q) = %v", f.Name, value, err)
		}
		src := f.Name + " == " + literal
		r, err := CompileRule(src)
		if err != nil {
			t.Errorf("CompileRule(%q) = %v", src, err)
			continue
		}
		if ok, err := r.Eval(&l); !ok || err != nil {
			t.Errorf("Rule(%q).Eval(lead with %s=%s) = %v, %v; want true", src, f.Name, value, ok, err)
		}
	}
	delete(types, "attributes")
	for name := range types {
		t.Errorf("the rule environment has %s, which is not a lead field", name)
	}
}

func BenchmarkRuleEval(b *testing.B) {
	r, err := CompileRule(`score >= 60 and email != "" and country in ["US", "CA", "DE"]`)
	if err != nil {
		b.Fatalf("CompileRule: %v", err)
	}
	l := &tandem.Lead{Score: 70, Email: "a@example.com", Country: "DE"}
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := r.Eval(l); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

func TestRuleFields(t *testing.T) {
	all := append(tandem.LeadFieldNames(), "attributes")
	tests := []struct {
		rule string
		want []string
	}{
		{`origin == "prospecting"`, []string{"origin"}},
		{`score >= 60 and country in ["US", "CA"] or attributes["tier"] == "a"`, []string{"score", "country", "attributes"}},
		{`source == "web" && source != "" && len(email) > 3`, []string{"source", "email"}},
		{`let s = score; s > 10 and upper(stage) == "MQL"`, []string{"score", "stage"}},
		{`any(["a", "b"], # == segment) and owner_id > 0 and created_at > date("2026-01-01")`, []string{"segment", "owner_id", "created_at"}},
		{`$env.origin == "x"`, all},
		{`true`, nil},
	}
	for _, tt := range tests {
		r, err := CompileRule(tt.rule)
		if err != nil {
			t.Fatalf("CompileRule(%q): %v", tt.rule, err)
		}
		if got := r.Fields(); !slices.Equal(got, tt.want) {
			t.Errorf("CompileRule(%q).Fields() = %v; want %v", tt.rule, got, tt.want)
		}
	}
}
