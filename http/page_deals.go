package http

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/access"
	"github.com/tandemhq/tandem/sqldb"
)

// The deals board (/deals): the open deals in columns by pipeline stage,
// with each stage's probability, count, amount and weighted amount, then
// the deals won and lost in a period; filters by owner, team, product,
// account and close period. A card moves with its buttons (and, with
// script, by dragging it onto another column), through the same store
// calls as POST /api/v1/deals/{id}/stage, /won and /lost.

// boardView is the board page's data.
type boardView struct {
	Board   sqldb.Board
	Columns []columnView
	Filter  boardFilterView
	Open    []string // the open stages a card may move to
	// MayWork says the viewer's role may move, win and lose deals (the
	// store checks the lead rule on each).
	MayWork bool
	Zone    string
	Now     time.Time
	Query   string // the filter as a query, for the forms' way back
}

// columnView is one column of the board.
type columnView struct {
	sqldb.BoardColumn
	Cards []cardView
	More  int // deals of the column not shown
}

// cardView is one card, with what the page writes of it.
type cardView struct {
	sqldb.BoardDeal
	InStage string // time in stage (for a closed deal, since it closed), in words
	Closed  bool
	Moves   []string
}

// boardFilterView is the filter form, with its choices.
type boardFilterView struct {
	Account, Closed string
	// Selected holds "name=value" for each value of the filters, which
	// may have several (owner, team, product), for the form's selects.
	Selected map[string]bool
	Owners   []tandem.User
	Teams    []string
	Products []tandem.Product
	Accounts []tandem.Account
	Active   bool
}

// maxAccountChoices is how many accounts the filter offers in a list; with
// more, the account is typed by name.
const maxAccountChoices = 500

// boardFilter reads the board's filter from the query: owner (a user id),
// team, product (an id), account (an id or a name), closed (a period),
// cards; moved, won and lost name a deal the page just changed.
func (s *Server) boardFilter(r *http.Request) (sqldb.BoardFilter, boardFilterView, error) {
	var f sqldb.BoardFilter
	v := boardFilterView{Selected: map[string]bool{}}
	var failed error // reading the account, not the query
	var errs []tandem.FieldError
	for name, vals := range r.URL.Query() {
		bad := func(msg string) { errs = append(errs, tandem.FieldError{Field: name, Message: msg}) }
		// Owner, team and product take several values (any of them).
		many := name == "owner" || name == "team" || name == "product"
		switch {
		case !many && len(vals) > 1:
			bad("given more than once: a filter takes one value")
			continue
		case len(vals) > tandem.MaxFilterValues:
			bad(fmt.Sprintf("has %d values; a filter takes at most %d", len(vals), tandem.MaxFilterValues))
			continue
		}
		for _, val := range vals {
			if val == "" {
				continue
			}
			id, idErr := strconv.ParseInt(val, 10, 64)
			switch name {
			case "owner":
				if idErr != nil || id < 1 {
					bad(fmt.Sprintf("%q is not a user's id", val))
				}
				f.OwnerIDs = append(f.OwnerIDs, id)
			case "team":
				f.Teams = append(f.Teams, val)
			case "product":
				if idErr != nil || id < 1 {
					bad(fmt.Sprintf("%q is not a product's id", val))
				}
				f.ProductIDs = append(f.ProductIDs, id)
			case "account":
				v.Account = val
				if idErr == nil && id > 0 {
					f.AccountID = id
					continue
				}
				a, err := s.DB.AccountNamed(r.Context(), val)
				switch code := tandem.ErrorCode(err); {
				case code == tandem.ENOTFOUND:
					bad(fmt.Sprintf("no account is named %q", val))
				case err != nil:
					failed = err
				}
				f.AccountID = a.ID
			case "closed":
				f.Closed, v.Closed = val, val
			case "cards":
				if idErr != nil || id < 1 || id > sqldb.MaxBoardCards {
					bad(fmt.Sprintf("must be a whole number between 1 and %d", sqldb.MaxBoardCards))
				}
				f.Cards = int(id)
			case "moved", "won", "lost":
				if idErr != nil || id < 1 {
					bad(fmt.Sprintf("%q is not a deal's id", val))
				}
			default:
				bad("not a filter of the deals board (owner, team, product, account, closed, cards)")
			}
			v.Selected[name+"="+val] = true
		}
	}
	v.Active = len(f.OwnerIDs) > 0 || len(f.Teams) > 0 || len(f.ProductIDs) > 0 || f.AccountID != 0 || f.Closed != ""
	if failed != nil {
		return f, v, failed
	}
	if len(errs) > 0 {
		slices.SortFunc(errs, func(a, b tandem.FieldError) int { return strings.Compare(a.Field, b.Field) })
		return f, v, tandem.Invalid(errs...)
	}
	return f, v, nil
}

// dealsBoard answers GET /deals.
func (s *Server) dealsBoard(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f, fv, err := s.boardFilter(r)
	if err != nil {
		return err
	}
	b, err := s.DB.DealBoard(ctx, caller(r), f)
	if err != nil {
		return err
	}
	loc, err := s.DB.Zone(ctx)
	if err != nil {
		return err
	}
	users, err := s.DB.Users(ctx)
	if err != nil {
		return err
	}
	teams := map[string]bool{}
	for _, u := range users {
		if access.CanOwn(u.Role) {
			fv.Owners = append(fv.Owners, u)
		}
		if u.Team != "" {
			teams[u.Team] = true
		}
	}
	for t := range teams {
		fv.Teams = append(fv.Teams, t)
	}
	slices.Sort(fv.Teams)
	if fv.Products, err = s.DB.Products(ctx); err != nil {
		return err
	}
	if accounts, more, err := s.DB.AccountChoices(ctx, maxAccountChoices); err != nil {
		return err
	} else if !more {
		fv.Accounts = accounts
	}
	now := s.DB.Now()
	v := boardView{Board: b, Filter: fv, Zone: loc.String(), Now: now,
		MayWork: access.May(caller(r).Role, access.WorkLeads)}
	for _, c := range b.Columns {
		if c.Open && !c.Retired {
			v.Open = append(v.Open, c.Stage)
		}
	}
	q := r.URL.Query()
	for _, k := range []string{"moved", "won", "lost"} {
		q.Del(k)
	}
	v.Query = q.Encode()
	for _, c := range b.Columns {
		cv := columnView{BoardColumn: c, More: c.Deals - len(c.Cards)}
		for _, d := range c.Cards {
			card := cardView{BoardDeal: d, InStage: span(now.Sub(d.StageChangedAt)), Closed: !c.Open}
			if c.Open {
				for _, o := range v.Open {
					if o != c.Stage {
						card.Moves = append(card.Moves, o)
					}
				}
			}
			cv.Cards = append(cv.Cards, card)
		}
		v.Columns = append(v.Columns, cv)
	}
	p := newPage(r, "Deals")
	p.Data = v
	p.Notice = dealNotice(r.URL.Query())
	return s.render(w, http.StatusOK, "deals", p)
}

// dealNotice says what the form the page comes back from did.
func dealNotice(q url.Values) string {
	switch {
	case q.Get("moved") != "":
		return "deal " + q.Get("moved") + " moved."
	case q.Get("won") != "":
		return "deal " + q.Get("won") + " is won."
	case q.Get("lost") != "":
		return "deal " + q.Get("lost") + " is lost."
	}
	return ""
}

// dealBack is where a deal form goes back to: the board (with its
// filter) or the deal's page, as the form's back field says.
func dealBack(r *http.Request, id int64, done string) string {
	back := localPath(r.PostForm.Get("back"))
	if back != "/deals" && !strings.HasPrefix(back, "/deals?") && back != fmt.Sprintf("/deals/%d", id) {
		back = fmt.Sprintf("/deals/%d", id)
	}
	sep := "?"
	if strings.Contains(back, "?") {
		sep = "&"
	}
	return back + sep + done + "=" + strconv.FormatInt(id, 10)
}

// postDealStage answers the board's and the deal page's move: stage=NAME.
func (s *Server) postDealStage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	stage := r.PostForm.Get("stage")
	if stage == "" {
		return tandem.Invalid(tandem.FieldError{Field: "stage", Message: "choose the stage to move the deal to"})
	}
	if _, err := s.DB.MoveDealStageAs(r.Context(), id, stage, caller(r)); err != nil {
		return s.dealFormFailed(w, r, id, err)
	}
	http.Redirect(w, r, dealBack(r, id, "moved"), http.StatusSeeOther)
	return nil
}

// postDealWon wins a deal: amount in major units (12500.00), as on an
// invoice.
func (s *Server) postDealWon(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	cents, perr := tandem.ParseAmount(r.PostForm.Get("amount"))
	if perr != nil {
		return s.dealFormFailed(w, r, id, tandem.Invalid(tandem.FieldError{Field: "amount",
			Message: fmt.Sprintf("%s: write the amount won in the currency's units, like 12500 or 12500.50", perr)}))
	}
	if _, err := s.DB.WinDealAs(r.Context(), id, cents, time.Time{}, caller(r)); err != nil {
		return s.dealFormFailed(w, r, id, err)
	}
	http.Redirect(w, r, dealBack(r, id, "won"), http.StatusSeeOther)
	return nil
}

// postDealLost loses a deal: reason, a code of the agreement's words
// (price, no_budget, competitor…).
func (s *Server) postDealLost(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	reason := strings.TrimSpace(r.PostForm.Get("reason"))
	if reason == "" {
		return s.dealFormFailed(w, r, id, tandem.Invalid(tandem.FieldError{Field: "reason",
			Message: "say why the deal is lost, as a code like price, no_budget or competitor"}))
	}
	if _, err := s.DB.LoseDealAs(r.Context(), id, reason, caller(r)); err != nil {
		return s.dealFormFailed(w, r, id, err)
	}
	http.Redirect(w, r, dealBack(r, id, "lost"), http.StatusSeeOther)
	return nil
}

// dealFormFailed shows the deal's page again with what went wrong; a deal
// the viewer may not read, or none, is the error page.
func (s *Server) dealFormFailed(w http.ResponseWriter, r *http.Request, id int64, failure error) error {
	switch tandem.ErrorCode(failure) {
	case tandem.EINVALID, tandem.ECONFLICT:
	default:
		return failure
	}
	p, err := s.dealPage(r, id)
	if err != nil {
		return err
	}
	p.Error = errorText(failure)
	return s.render(w, statusOf[tandem.ErrorCode(failure)], "deal", p)
}
