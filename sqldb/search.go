package sqldb

import (
	"fmt"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
)

// Lead search: every word of a search (tandem.SearchTerms) must be found,
// ignoring case and accents, in one text made of the lead's name, email,
// company, phone (also as digits only) and external id. The two databases
// index that text differently (migration 00020):
//
//   - SQLite: the FTS5 table lead_search, trigram tokenizer with
//     remove_diacritics, kept by triggers on leads; each word is a phrase
//     of its trigrams (a substring match).
//   - PostgreSQL: the generated column leads.search, search_norm(text)
//     (lower case, unaccent), with a pg_trgm GIN index; each word is a
//     LIKE '%word%' the index answers.

// searchFrom returns what a list of leads with a search reads (its FROM),
// the column of a lead's id in it, and the condition the search's terms
// make, with its arguments numbered from n. On SQLite the list reads the
// index and joins each match's lead: the index gives the matches in id
// order, so a page (and a count that stops) reads only as many matches as
// it needs, where an IN (...) of the matches would gather them all first.
func (db *DB) searchFrom(terms []string, n int) (from, idCol, cond string, args []any) {
	if db.d.name() == "sqlite" {
		phrases := make([]string, len(terms))
		for i, t := range terms {
			phrases[i] = `"` + strings.ReplaceAll(t, `"`, `""`) + `"`
		}
		return "lead_search JOIN leads ON leads.id = lead_search.rowid", "lead_search.rowid",
			fmt.Sprintf("lead_search MATCH $%d", n), []any{strings.Join(phrases, " ")}
	}
	cond, args = db.searchCond(terms, n)
	return "leads", "id", cond, args
}

// searchCond returns PostgreSQL's condition on leads that a search's
// terms make, with its arguments numbered from n.
func (db *DB) searchCond(terms []string, n int) (string, []any) {
	conds := make([]string, len(terms))
	args := make([]any, len(terms))
	for i, t := range terms {
		conds[i] = fmt.Sprintf("search LIKE '%%' || search_norm($%d) || '%%'", n+i)
		args[i] = likeEscaper.Replace(t)
	}
	return strings.Join(conds, " AND "), args
}

// likeEscaper escapes LIKE's wildcards with PostgreSQL's default escape
// character, so that a search for "50%" looks for those characters.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// sortColumn is the column that a sort field orders by.
func sortColumn(field string) string {
	return field // the sort fields are the leads table's column names
}

// sortCond returns the order of a list sorted by field and, for a page
// after a cursor, the condition that keeps the leads after it: (value, id)
// beyond the cursor's, in the list's direction.
func (db *DB) sortCond(f tandem.LeadFilter, idCol string, n int) (cond, order string, args []any) {
	field, desc, _ := tandem.SortField(f.Sort)
	col := sortColumn(field)
	dir, cmp := "", ">"
	if desc {
		dir, cmp = " DESC", "<"
	}
	if field == "id" {
		order = idCol + dir
		if f.After != 0 {
			return fmt.Sprintf("%s %s $%d", idCol, cmp, n), order, []any{f.After}
		}
		return "TRUE", order, nil
	}
	order = col + dir + ", leads.id" + dir
	if f.After == 0 {
		return "TRUE", order, nil
	}
	v, _ := tandem.ParseSortValue(field, f.AfterValue) // validated
	if tandem.SortKind(field) == tandem.KindTime {
		v = db.d.timeArg(v.(time.Time))
	}
	cond = fmt.Sprintf("(%s %s $%d OR (%s = $%d AND leads.id %s $%d))", col, cmp, n, col, n, cmp, n+1)
	return cond, order, []any{v, f.After}
}
