package sqldb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/attribution"
	"github.com/tandemhq/tandem/content"
)

// The content library (docs/content.md): items and their versions, their
// uses (written by LogTouch), tracked links and their clicks, and ratings.

const contentColumns = `code, kind, title, subject, body, url, owner, campaign, segment, status, version, created_at, updated_at`

func scanContent(s scanner) (content.Item, error) {
	var it content.Item
	err := s.Scan(&it.Code, &it.Kind, &it.Title, &it.Subject, &it.Body, &it.URL, &it.Owner, &it.Campaign, &it.Segment,
		&it.Status, &it.Version, scanTime{&it.CreatedAt}, scanTime{&it.UpdatedAt})
	return it, err
}

func (tx *Tx) contentItem(ctx context.Context, code string) (content.Item, bool, error) {
	it, err := scanContent(tx.QueryRowContext(ctx, `SELECT `+contentColumns+` FROM content_items WHERE code = $1`, code))
	if err == sql.ErrNoRows {
		return content.Item{}, false, nil
	}
	if err != nil {
		return content.Item{}, false, fmt.Errorf("content %q: %w", code, err)
	}
	return it, true, nil
}

// liveContent returns the live item a touch names, or an EINVALID error on
// the field "content".
func (tx *Tx) liveContent(ctx context.Context, code string) (content.Item, error) {
	it, ok, err := tx.contentItem(ctx, code)
	switch {
	case err != nil:
		return it, err
	case !ok:
		return it, tandem.Invalid(tandem.FieldError{Field: "content", Message: fmt.Sprintf("%q is not in the content library", clipText(code))})
	case it.Status != content.StatusLive:
		return it, tandem.Invalid(tandem.FieldError{Field: "content", Message: fmt.Sprintf("%q is %s, not live: only live content is used with leads", code, it.Status)})
	}
	return it, nil
}

func clipText(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

// SaveContent adds an item or changes one (by its code), and reports
// whether it was new. A change of subject, body or URL makes a new version;
// a change of the other fields (title, owner, campaign, segment, status)
// does not. The kind of an item does not change. Errors: EINVALID naming
// the field; ECONFLICT for a change of kind.
func (db *DB) SaveContent(ctx context.Context, it content.Item, actor string) (out content.Item, created bool, err error) {
	defer wrap(&err, "save content %q", clipText(it.Code))
	if it.Status == "" {
		it.Status = content.StatusDraft
	}
	if err := it.Validate(); err != nil {
		return out, false, err
	}
	err = db.transact(ctx, func(tx *Tx) error {
		cur, ok, err := tx.contentItem(ctx, it.Code)
		if err != nil {
			return err
		}
		created = !ok
		newVersion := created || cur.Changed(it)
		if created {
			it.Version, it.CreatedAt = 1, tx.Now
			_, err = tx.ExecContext(ctx, `INSERT INTO content_items (`+contentColumns+`, updated_by)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13)`,
				it.Code, it.Kind, it.Title, it.Subject, it.Body, it.URL, it.Owner, it.Campaign, it.Segment, it.Status, it.Version,
				tx.t(tx.Now), actor)
		} else {
			if cur.Kind != it.Kind {
				return tandem.Errorf(tandem.ECONFLICT, "content %q is a %s: its kind does not change (add a new item instead)", it.Code, cur.Kind)
			}
			it.Version, it.CreatedAt = cur.Version, cur.CreatedAt
			if newVersion {
				it.Version++
			}
			_, err = tx.ExecContext(ctx, `UPDATE content_items SET title = $2, subject = $3, body = $4, url = $5, owner = $6,
				campaign = $7, segment = $8, status = $9, version = $10, updated_at = $11, updated_by = $12 WHERE code = $1`,
				it.Code, it.Title, it.Subject, it.Body, it.URL, it.Owner, it.Campaign, it.Segment, it.Status, it.Version, tx.t(tx.Now), actor)
		}
		if err != nil {
			return err
		}
		if newVersion {
			if _, err := tx.ExecContext(ctx, `INSERT INTO content_versions (code, version, subject, body, url, created_at, created_by)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`, it.Code, it.Version, it.Subject, it.Body, it.URL, tx.t(tx.Now), actor); err != nil {
				return err
			}
		}
		it.UpdatedAt = tx.Now
		out = it
		return nil
	})
	return out, created, err
}

// SetContentStatus changes an item's status (draft, live, retired) without
// a new version. Errors: EINVALID for an unknown status, ENOTFOUND.
func (db *DB) SetContentStatus(ctx context.Context, code, status, actor string) (out content.Item, err error) {
	defer wrap(&err, "set status of content %q", clipText(code))
	err = db.transact(ctx, func(tx *Tx) error {
		it, ok, err := tx.contentItem(ctx, code)
		if err != nil {
			return err
		}
		if !ok {
			return tandem.Errorf(tandem.ENOTFOUND, "content %q is not in the library", clipText(code))
		}
		it.Status = status
		if err := it.Validate(); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE content_items SET status = $2, updated_at = $3, updated_by = $4 WHERE code = $1`,
			code, status, tx.t(tx.Now), actor); err != nil {
			return err
		}
		it.UpdatedAt = tx.Now
		out = it
		return nil
	})
	return out, err
}

// ContentItem returns an item. ENOTFOUND when there is none.
func (db *DB) ContentItem(ctx context.Context, code string) (it content.Item, err error) {
	defer wrap(&err, "content %q", clipText(code))
	err = db.view(ctx, func(tx *Tx) error {
		var ok bool
		it, ok, err = tx.contentItem(ctx, code)
		if err == nil && !ok {
			err = tandem.Errorf(tandem.ENOTFOUND, "content %q is not in the library", clipText(code))
		}
		return err
	})
	return it, err
}

// ContentItems returns every item, by code.
func (db *DB) ContentItems(ctx context.Context) (items []content.Item, err error) {
	defer wrap(&err, "list content")
	items = []content.Item{}
	err = db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+contentColumns+` FROM content_items ORDER BY code`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			it, err := scanContent(rows)
			if err != nil {
				return err
			}
			items = append(items, it)
		}
		return rows.Err()
	})
	return items, err
}

// LiveContent returns the codes of the live items: what a cadence step may
// name (agreement.Agreement.CheckContent).
func (db *DB) LiveContent(ctx context.Context) (live map[string]bool, err error) {
	items, err := db.ContentItems(ctx)
	live = map[string]bool{}
	for _, it := range items {
		if it.Status == content.StatusLive {
			live[it.Code] = true
		}
	}
	return live, err
}

// ContentVersions returns an item's versions, oldest first. ENOTFOUND for
// no such item.
func (db *DB) ContentVersions(ctx context.Context, code string) (vs []content.Version, err error) {
	defer wrap(&err, "versions of content %q", clipText(code))
	vs = []content.Version{}
	err = db.view(ctx, func(tx *Tx) error {
		if _, ok, err := tx.contentItem(ctx, code); err != nil {
			return err
		} else if !ok {
			return tandem.Errorf(tandem.ENOTFOUND, "content %q is not in the library", clipText(code))
		}
		rows, err := tx.QueryContext(ctx, `SELECT code, version, subject, body, url, created_at, created_by FROM content_versions
			WHERE code = $1 ORDER BY version`, code)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var v content.Version
			if err := rows.Scan(&v.Code, &v.Version, &v.Subject, &v.Body, &v.URL, scanTime{&v.CreatedAt}, &v.CreatedBy); err != nil {
				return err
			}
			vs = append(vs, v)
		}
		return rows.Err()
	})
	return vs, err
}

// recordUse writes the use of an item by a touch.
func (tx *Tx) recordUse(ctx context.Context, it content.Item, leadID int64, tok tandem.Token, t tandem.Touch, at time.Time) error {
	var user any
	if tok.UserID != 0 {
		user = tok.UserID
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO content_uses (code, version, lead_id, user_id, actor, channel, outcome, used_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, it.Code, it.Version, leadID, user, tok.Actor(), t.Channel, t.Outcome, tx.t(at))
	if err != nil {
		return fmt.Errorf("record use of content %q: %w", it.Code, err)
	}
	return nil
}

// ContentLink returns the token of the lead's tracked link to an item,
// making it the first time: 24 random bytes, unguessable, which name the
// lead only through this table. ENOTFOUND for no such item or lead.
func (db *DB) ContentLink(ctx context.Context, code string, leadID int64) (token string, err error) {
	defer wrap(&err, "tracked link of content %q for lead %d", clipText(code), leadID)
	err = db.view(ctx, func(tx *Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT token FROM content_links WHERE code = $1 AND lead_id = $2`, code, leadID).Scan(&token)
		if err == sql.ErrNoRows {
			return nil
		}
		return err
	})
	if err != nil || token != "" {
		return token, err
	}
	b := make([]byte, 24)
	rand.Read(b)
	fresh := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
	err = db.transact(ctx, func(tx *Tx) error {
		if _, ok, err := tx.contentItem(ctx, code); err != nil {
			return err
		} else if !ok {
			return tandem.Errorf(tandem.ENOTFOUND, "content %q is not in the library", clipText(code))
		}
		if _, err := tx.lead(ctx, leadID, false); err != nil {
			return err
		}
		// Two pages drawing the same link at once: the first one's token
		// stays, and both read it back.
		if _, err := tx.ExecContext(ctx, `INSERT INTO content_links (token, code, lead_id, created_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (code, lead_id) DO NOTHING`, fresh, code, leadID, tx.t(tx.Now)); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT token FROM content_links WHERE code = $1 AND lead_id = $2`, code, leadID).Scan(&token)
	})
	return token, err
}

// Click is what following a tracked link did.
type Click struct {
	URL string // where to send the browser: the item's own URL
	// LeadID is the lead the token names; 0 when it names none (an
	// unknown or forged token), and then nothing was recorded.
	LeadID int64
}

// ContentClick follows a tracked link: for a token that names a lead's
// link to this item, it records a click (at the item's current version)
// and a marketing touch of kind content in the lead's ledger (campaign: the
// item's, else the lead's, else "content:CODE"); for any other token it
// records nothing. Either way it returns the item's own URL. ENOTFOUND for
// an item that is not in the library or has no URL.
func (db *DB) ContentClick(ctx context.Context, code, token string) (c Click, err error) {
	defer wrap(&err, "click of content %q", clipText(code))
	err = db.transact(ctx, func(tx *Tx) error {
		it, ok, err := tx.contentItem(ctx, code)
		if err != nil {
			return err
		}
		if !ok || it.URL == "" {
			return tandem.Errorf(tandem.ENOTFOUND, "no such link")
		}
		c.URL = it.URL
		if len(token) > 100 {
			return nil
		}
		var leadID int64
		err = tx.QueryRowContext(ctx, `SELECT lead_id FROM content_links WHERE token = $1 AND code = $2`, token, code).Scan(&leadID)
		if err == sql.ErrNoRows {
			return nil // not a lead's link: nobody is tracked
		} else if err != nil {
			return err
		}
		l, err := tx.lead(ctx, leadID, true)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO content_clicks (code, version, lead_id, clicked_at) VALUES ($1, $2, $3, $4)`,
			code, it.Version, leadID, tx.t(tx.Now)); err != nil {
			return err
		}
		campaign := it.Campaign
		if campaign == "" {
			campaign = l.Campaign
		}
		if campaign == "" {
			campaign = "content:" + code
		}
		mt := tandem.MarketingTouch{LeadID: leadID, Campaign: campaign, Origin: l.Origin, Kind: tandem.TouchContent, OccurredAt: tx.Now}
		lc, err := tx.lifecycle(ctx)
		if err != nil {
			return err
		}
		ev := mt.Event("content:"+code, lc.Version())
		ev.Detail["content"], ev.Detail["content_version"] = code, strconv.Itoa(it.Version)
		if err := l.Apply(&ev); err != nil {
			return err
		}
		if err := tx.updateLead(ctx, &l); err != nil {
			return err
		}
		if err := tx.appendEvents(ctx, []tandem.Event{ev}); err != nil {
			return err
		}
		if _, err := tx.recordTouches(ctx, []tandem.Event{ev}); err != nil {
			return err
		}
		c.LeadID = leadID
		return nil
	})
	return c, err
}

// RateContent records a user's rating of an item, at its current version.
// Errors: ENOTFOUND for no such item, EINVALID for a bad note.
func (db *DB) RateContent(ctx context.Context, r content.Rating) (out content.Rating, err error) {
	defer wrap(&err, "rate content %q", clipText(r.Code))
	if err := r.Validate(); err != nil {
		return out, err
	}
	err = db.transact(ctx, func(tx *Tx) error {
		it, ok, err := tx.contentItem(ctx, r.Code)
		if err != nil {
			return err
		}
		if !ok {
			return tandem.Errorf(tandem.ENOTFOUND, "content %q is not in the library", clipText(r.Code))
		}
		r.Version, r.CreatedAt = it.Version, tx.Now
		return tx.QueryRowContext(ctx, `INSERT INTO content_ratings (code, version, user_id, useful, note, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, r.Code, r.Version, r.UserID, r.Useful, r.Note, tx.t(tx.Now)).Scan(&r.ID)
	})
	return r, err
}

// ContentRatings returns the ratings of an item ("" for every item), the
// newest first, each with its user's name, at most limit of them.
func (db *DB) ContentRatings(ctx context.Context, code string, limit int) (rs []content.Rating, err error) {
	defer wrap(&err, "ratings of content %q", clipText(code))
	rs = []content.Rating{}
	err = db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT r.id, r.code, r.version, r.user_id, u.name, u.email, r.useful, r.note, r.created_at
			FROM content_ratings r JOIN users u ON u.id = r.user_id WHERE ($1 = '' OR r.code = $1) ORDER BY r.created_at DESC, r.id DESC LIMIT $2`, code, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r content.Rating
			var name, email string
			if err := rows.Scan(&r.ID, &r.Code, &r.Version, &r.UserID, &name, &email, &r.Useful, &r.Note, scanTime{&r.CreatedAt}); err != nil {
				return err
			}
			r.User = tandem.User{Name: name, Email: email}.Label()
			rs = append(rs, r)
		}
		return rows.Err()
	})
	return rs, err
}

// reachedLeads is the set of leads the period's uses and clicks reached;
// its two parameters are the period's bounds.
const reachedLeads = `SELECT lead_id FROM content_uses WHERE used_at >= $1 AND used_at < $2
	UNION SELECT lead_id FROM content_clicks WHERE clicked_at >= $1 AND clicked_at < $2`

// ContentEffect gathers what [content.Measure] needs for the period
// [from, to): the items, their uses, clicks and ratings in the period, and
// every fact known of the leads they reached (their sales touches, whether
// sales accepted them, when they entered each stage, their won deals and
// their marketing and content touches). Model is left for the caller.
func (db *DB) ContentEffect(ctx context.Context, from, to time.Time) (in content.EffectInput, err error) {
	defer wrap(&err, "content effect from %s to %s", tandem.FormatTime(from), tandem.FormatTime(to))
	in = content.EffectInput{From: from, To: to, UsesEver: map[string]int{}, Accepted: map[int64]bool{},
		Entered: map[int64]map[string]time.Time{}, Marketing: map[int64][]attribution.Touch{}, Content: map[int64][]content.ContentTouch{}}
	if in.Items, err = db.ContentItems(ctx); err != nil {
		return in, err
	}
	err = db.view(ctx, func(tx *Tx) error {
		lo, hi := tx.t(from), tx.t(to)
		each := func(q string, args []any, scan func(rows *sql.Rows) error) error {
			rows, err := tx.QueryContext(ctx, q, args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				if err := scan(rows); err != nil {
					return err
				}
			}
			return rows.Err()
		}
		period := []any{lo, hi}
		if err := each(`SELECT code, COUNT(*) FROM content_uses GROUP BY code`, nil, func(rows *sql.Rows) error {
			var code string
			var n int
			err := rows.Scan(&code, &n)
			in.UsesEver[code] = n
			return err
		}); err != nil {
			return err
		}
		if err := each(`SELECT c.code, c.version, c.lead_id, COALESCE(c.user_id, 0), COALESCE(u.name, ''), COALESCE(u.email, ''), c.actor, c.used_at
			FROM content_uses c LEFT JOIN users u ON u.id = c.user_id WHERE c.used_at >= $1 AND c.used_at < $2 ORDER BY c.used_at, c.id`, period,
			func(rows *sql.Rows) error {
				var u content.Use
				var name, email, actor string
				if err := rows.Scan(&u.Code, &u.Version, &u.LeadID, &u.UserID, &name, &email, &actor, scanTime{&u.At}); err != nil {
					return err
				}
				u.User = actor
				if u.UserID != 0 {
					u.User = tandem.User{Name: name, Email: email}.Label()
				}
				in.Uses = append(in.Uses, u)
				return nil
			}); err != nil {
			return err
		}
		if err := each(`SELECT code, version, lead_id, clicked_at FROM content_clicks WHERE clicked_at >= $1 AND clicked_at < $2 ORDER BY clicked_at, id`, period,
			func(rows *sql.Rows) error {
				var c content.Click
				err := rows.Scan(&c.Code, &c.Version, &c.LeadID, scanTime{&c.At})
				in.Clicks = append(in.Clicks, c)
				return err
			}); err != nil {
			return err
		}
		if err := each(`SELECT code, version, user_id, useful, note, created_at FROM content_ratings WHERE created_at >= $1 AND created_at < $2 ORDER BY created_at, id`, period,
			func(rows *sql.Rows) error {
				var r content.Rating
				err := rows.Scan(&r.Code, &r.Version, &r.UserID, &r.Useful, &r.Note, scanTime{&r.CreatedAt})
				in.Ratings = append(in.Ratings, r)
				return err
			}); err != nil {
			return err
		}
		if err := each(`SELECT lead_id, occurred_at, data FROM events WHERE type = 'touched' AND lead_id IN (`+reachedLeads+`) ORDER BY id`, period,
			func(rows *sql.Rows) error {
				var t content.SalesTouch
				var data string
				if err := rows.Scan(&t.LeadID, scanTime{&t.At}, &data); err != nil {
					return err
				}
				var d eventData
				if err := json.Unmarshal([]byte(data), &d); err != nil {
					return fmt.Errorf("touch of lead %d: %w", t.LeadID, err)
				}
				t.Outcome = d.Detail["outcome"]
				in.Touches = append(in.Touches, t)
				return nil
			}); err != nil {
			return err
		}
		if err := each(`SELECT DISTINCT lead_id FROM handoffs WHERE decision = 'accepted' AND lead_id IN (`+reachedLeads+`)`, period,
			func(rows *sql.Rows) error {
				var id int64
				err := rows.Scan(&id)
				in.Accepted[id] = true
				return err
			}); err != nil {
			return err
		}
		if err := each(`SELECT lead_id, stage, entered_at FROM stage_entries WHERE lead_id IN (`+reachedLeads+`)`, period,
			func(rows *sql.Rows) error {
				var id int64
				var stage string
				var at time.Time
				if err := rows.Scan(&id, &stage, scanTime{&at}); err != nil {
					return err
				}
				if in.Entered[id] == nil {
					in.Entered[id] = map[string]time.Time{}
				}
				in.Entered[id][stage] = at
				return nil
			}); err != nil {
			return err
		}
		if err := each(`SELECT lead_id, amount_cents, closed_at FROM deals WHERE stage = 'won' AND lead_id IN (`+reachedLeads+`) ORDER BY closed_at, id`, period,
			func(rows *sql.Rows) error {
				var d content.WonDeal
				err := rows.Scan(&d.LeadID, &d.AmountCents, scanTime{&d.ClosedAt})
				in.Deals = append(in.Deals, d)
				return err
			}); err != nil {
			return err
		}
		if err := each(`SELECT lead_id, campaign, origin, occurred_at FROM marketing_touches WHERE lead_id IN (`+reachedLeads+`) ORDER BY lead_id, occurred_at, id`, period,
			func(rows *sql.Rows) error {
				var id int64
				var t attribution.Touch
				if err := rows.Scan(&id, &t.Campaign, &t.Origin, scanTime{&t.At}); err != nil {
					return err
				}
				in.Marketing[id] = append(in.Marketing[id], t)
				return nil
			}); err != nil {
			return err
		}
		return each(`SELECT lead_id, code, version, used_at FROM content_uses WHERE lead_id IN (`+reachedLeads+`)
			UNION ALL SELECT lead_id, code, version, clicked_at FROM content_clicks WHERE lead_id IN (`+reachedLeads+`)`, period,
			func(rows *sql.Rows) error {
				var id int64
				var c content.ContentTouch
				if err := rows.Scan(&id, &c.Code, &c.Version, scanTime{&c.At}); err != nil {
					return err
				}
				in.Content[id] = append(in.Content[id], c)
				return nil
			})
	})
	return in, err
}

// LinkKey names a lead's tracked link to an item.
type LinkKey struct {
	Code   string
	LeadID int64
}

// ContentLinks is [DB.ContentLink] for many links at once, as a queue page
// draws them: one read, and one transaction making those missing.
func (db *DB) ContentLinks(ctx context.Context, keys []LinkKey) (tokens map[LinkKey]string, err error) {
	defer wrap(&err, "tracked links")
	tokens = map[LinkKey]string{}
	if len(keys) == 0 {
		return tokens, nil
	}
	leads := map[int64]bool{}
	codes := map[string]bool{}
	for _, k := range keys {
		leads[k.LeadID], codes[k.Code] = true, true
	}
	read := func(tx *Tx) error {
		var marks []string
		var args []any
		for id := range leads {
			args = append(args, id)
			marks = append(marks, "$"+strconv.Itoa(len(args)))
		}
		rows, err := tx.QueryContext(ctx, `SELECT code, lead_id, token FROM content_links WHERE lead_id IN (`+strings.Join(marks, ", ")+`)`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k LinkKey
			var tok string
			if err := rows.Scan(&k.Code, &k.LeadID, &tok); err != nil {
				return err
			}
			if codes[k.Code] {
				tokens[k] = tok
			}
		}
		return rows.Err()
	}
	if len(leads) > 500 {
		return nil, fmt.Errorf("%d leads: at most 500 at once", len(leads))
	}
	if err := db.view(ctx, read); err != nil {
		return nil, err
	}
	var missing []LinkKey
	for _, k := range keys {
		if _, ok := tokens[k]; !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) == 0 {
		return tokens, nil
	}
	err = db.transact(ctx, func(tx *Tx) error {
		for _, k := range missing {
			b := make([]byte, 24)
			rand.Read(b)
			fresh := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
			if _, err := tx.ExecContext(ctx, `INSERT INTO content_links (token, code, lead_id, created_at) VALUES ($1, $2, $3, $4)
				ON CONFLICT (code, lead_id) DO NOTHING`, fresh, k.Code, k.LeadID, tx.t(tx.Now)); err != nil {
				return err
			}
		}
		clear(tokens)
		return read(tx)
	})
	return tokens, err
}
