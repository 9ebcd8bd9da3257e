package tandem

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxNameLen is the longest account or product name, in characters.
const MaxNameLen = 200

// Account is a company that leads and deals belong to (docs/accounts.md).
// It is known by its name, compared as [NameKey] compares, since CRM
// exports name accounts rather than give their ids.
type Account struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Domain string `json:"domain,omitempty"`
	Sector string `json:"sector,omitempty"`
	// Employees is the account's size in people; 0 when not known.
	Employees int64 `json:"employees,omitempty"`
	// RevenueCents is the account's yearly revenue in minor units of the
	// installation's currency, as the source writes it; 0 when not known.
	RevenueCents int64  `json:"revenue_cents,omitempty"`
	Location     string `json:"location,omitempty"`
	// ParentID is the account this one is a subsidiary of, 0 for none;
	// Parent is its name.
	ParentID int64  `json:"parent_id,omitempty"`
	Parent   string `json:"parent,omitempty"`
	// YearEstablished is the year the company was founded; 0 when not
	// known.
	YearEstablished int       `json:"year_established,omitempty"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// Product is an entry of the product catalogue that deals sell.
type Product struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// Series is the product's series or family ("GTX", "MG"), a report
	// dimension of its own.
	Series string `json:"series,omitempty"`
	// ListPriceCents is the catalogue price in minor units; 0 when not
	// known.
	ListPriceCents int64     `json:"list_price_cents,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// NameKey is how account and product names are compared: spaces trimmed
// and runs of spaces made one, case folded. "Acme  Corp " and "acme corp"
// name the same account.
func NameKey(name string) string {
	return strings.ToLower(CleanName(name))
}

// CleanName is a name as it is kept: spaces trimmed and runs of spaces
// made one, the case as written.
func CleanName(name string) string {
	return strings.Join(strings.Fields(name), " ")
}

// CheckName says why s cannot be the name of an account or product, or
// returns nil.
func CheckName(s string) error {
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("is required")
	}
	if err := CheckText(s); err != nil {
		return err
	}
	if n := utf8.RuneCountInString(s); n > MaxNameLen {
		return fmt.Errorf("%d characters is too long: a name has at most %d", n, MaxNameLen)
	}
	return nil
}

// Account input fields: the names an import mapping (kind accounts) and the
// API fill. Revenue is in major units ("1096.57"); parent names the parent
// account.
var AccountFields = []string{"name", "domain", "sector", "employees", "revenue", "location", "parent", "year_established"}

// Product input fields: list_price is in major units.
var ProductFields = []string{"name", "series", "list_price"}

// MergeAccount applies input values (by [AccountFields] name; an empty or
// missing value leaves the field as it is) to cur, or to a new account when
// cur is nil, and returns the account after and whether it changed. The
// parent is set by name only: the store finds its id. Bad values are an
// EINVALID error naming each field; now bounds the year.
func MergeAccount(cur *Account, in map[string]string, now time.Time) (Account, bool, error) {
	var a Account
	if cur != nil {
		a = *cur
	}
	before := a
	var errs []FieldError
	bad := func(field, format string, args ...any) {
		errs = append(errs, FieldError{field, fmt.Sprintf(format, args...)})
	}
	for name, v := range in {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		switch name {
		case "name":
			if err := CheckName(v); err != nil {
				bad(name, "%v", err)
			} else if cur == nil {
				a.Name = CleanName(v)
			}
		case "parent":
			if err := CheckName(v); err != nil {
				bad(name, "%v", err)
			} else {
				a.Parent = CleanName(v)
			}
		case "domain", "sector", "location":
			if err := CheckText(v); err != nil {
				bad(name, "%v", err)
			} else if n := utf8.RuneCountInString(v); n > MaxNameLen {
				bad(name, "%d characters is too long: at most %d", n, MaxNameLen)
			} else if name == "domain" {
				a.Domain = v
			} else if name == "sector" {
				a.Sector = v
			} else {
				a.Location = v
			}
		case "employees":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 || n > 100_000_000 {
				bad(name, "%q is not a number of people: give a whole number from 0 to 100000000", v)
			} else {
				a.Employees = n
			}
		case "revenue":
			c, err := ParseAmount(v)
			switch {
			case err != nil:
				bad(name, "%v", err)
			case c < 0:
				bad(name, "%q is negative: a revenue is zero or more", v)
			default:
				a.RevenueCents = c
			}
		case "year_established":
			y, err := strconv.Atoi(v)
			if err != nil || y < 1000 || y > now.Year()+1 {
				bad(name, "%q is not a year: give four digits, like 1998, not after %d", v, now.Year()+1)
			} else {
				a.YearEstablished = y
			}
		default:
			bad(name, "no such account field (fields: %s)", strings.Join(AccountFields, ", "))
		}
	}
	if cur == nil && a.Name == "" && !slices.ContainsFunc(errs, func(e FieldError) bool { return e.Field == "name" }) {
		bad("name", "is required: an account is known by its name")
	}
	if a.Parent != "" && NameKey(a.Parent) == NameKey(a.Name) {
		bad("parent", "%q is the account itself", a.Parent)
	}
	if len(errs) > 0 {
		slices.SortStableFunc(errs, func(a, b FieldError) int { return strings.Compare(a.Field, b.Field) })
		return Account{}, false, Invalid(errs...)
	}
	changed := cur == nil || a.Domain != before.Domain || a.Sector != before.Sector || a.Employees != before.Employees ||
		a.RevenueCents != before.RevenueCents || a.Location != before.Location || NameKey(a.Parent) != NameKey(before.Parent) ||
		a.YearEstablished != before.YearEstablished
	return a, changed, nil
}

// MergeProduct is [MergeAccount] for a product (fields [ProductFields]).
func MergeProduct(cur *Product, in map[string]string) (Product, bool, error) {
	var p Product
	if cur != nil {
		p = *cur
	}
	before := p
	var errs []FieldError
	bad := func(field, format string, args ...any) {
		errs = append(errs, FieldError{field, fmt.Sprintf(format, args...)})
	}
	for name, v := range in {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		switch name {
		case "name":
			if err := CheckName(v); err != nil {
				bad(name, "%v", err)
			} else if cur == nil {
				p.Name = CleanName(v)
			}
		case "series":
			if err := CheckName(v); err != nil {
				bad(name, "%v", err)
			} else {
				p.Series = v
			}
		case "list_price":
			c, err := ParseAmount(v)
			switch {
			case err != nil:
				bad(name, "%v", err)
			case c < 0:
				bad(name, "%q is negative: a price is zero or more", v)
			default:
				p.ListPriceCents = c
			}
		default:
			bad(name, "no such product field (fields: %s)", strings.Join(ProductFields, ", "))
		}
	}
	if cur == nil && p.Name == "" && !slices.ContainsFunc(errs, func(e FieldError) bool { return e.Field == "name" }) {
		bad("name", "is required: a product is known by its name")
	}
	if len(errs) > 0 {
		slices.SortStableFunc(errs, func(a, b FieldError) int { return strings.Compare(a.Field, b.Field) })
		return Product{}, false, Invalid(errs...)
	}
	changed := cur == nil || p.Series != before.Series || p.ListPriceCents != before.ListPriceCents
	return p, changed, nil
}
