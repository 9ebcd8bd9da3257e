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
//   - PostgreSQL: a pg_trgm GIN index on search_norm(text) (lower case,
//     unaccent); each word is a LIKE '%word%' the index answers.

// pgSearchText is the indexed expression of PostgreSQL's leads_search
// index, written exactly as the migration writes it: a query uses the
// index only when its text is the same expression.
const pgSearchText = `search_norm(first_name || ' ' || last_name || ' ' ||
        email || ' ' || company || ' ' || phone || ' ' ||
        replace(replace(replace(replace(replace(replace(replace(phone, ' ', ''), '-', ''), '(', ''), ')', ''), '.', ''), '+', ''), '/', '')
        || ' ' || external_id)`

// searchCond returns the condition on leads that a search's terms make,
// with its arguments numbered from n.
func (db *DB) searchCond(terms []string, n int) (string, []any) {
	if db.d.name() == "sqlite" {
		phrases := make([]string, len(terms))
		for i, t := range terms {
			phrases[i] = `"` + strings.ReplaceAll(t, `"`, `""`) + `"`
		}
		return fmt.Sprintf("id IN (SELECT rowid FROM lead_search WHERE lead_search MATCH $%d)", n), []any{strings.Join(phrases, " ")}
	}
	conds := make([]string, len(terms))
	args := make([]any, len(terms))
	for i, t := range terms {
		conds[i] = fmt.Sprintf("%s LIKE '%%' || search_norm($%d) || '%%'", pgSearchText, n+i)
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
func (db *DB) sortCond(f tandem.LeadFilter, n int) (cond, order string, args []any) {
	field, desc, _ := tandem.SortField(f.Sort)
	col := sortColumn(field)
	dir, cmp := "", ">"
	if desc {
		dir, cmp = " DESC", "<"
	}
	if field == "id" {
		order = "id" + dir
		if f.After != 0 {
			return fmt.Sprintf("id %s $%d", cmp, n), order, []any{f.After}
		}
		return "TRUE", order, nil
	}
	order = col + dir + ", id" + dir
	if f.After == 0 {
		return "TRUE", order, nil
	}
	v, _ := tandem.ParseSortValue(field, f.AfterValue) // validated
	if tandem.SortKind(field) == tandem.KindTime {
		v = db.d.timeArg(v.(time.Time))
	}
	cond = fmt.Sprintf("(%s %s $%d OR (%s = $%d AND id %s $%d))", col, cmp, n, col, n, cmp, n+1)
	return cond, order, []any{v, f.After}
}
