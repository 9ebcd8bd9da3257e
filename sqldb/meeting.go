package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/access"
	"github.com/tandemhq/tandem/meeting"
	"github.com/tandemhq/tandem/outbox"
)

// The monthly meeting (docs/meeting.md): its action items, tracked to
// done, and marketing's responses to the lead review by campaign.

const actionItemColumns = `a.id, a.period, a.what, a.owner_id, coalesce(u.email, ''), u.name, a.due_on, a.due_at, a.agenda_topic,
	a.agenda_text, a.state, a.created_by, a.created_at, a.done_by, a.done_at`

func scanActionItem(s scanner) (meeting.Item, error) {
	var it meeting.Item
	err := s.Scan(&it.ID, &it.Period, &it.What, &it.OwnerID, &it.Owner, &it.OwnerName, &it.DueOn, scanTime{&it.DueAt}, &it.Topic,
		&it.AgendaText, &it.State, &it.CreatedBy, scanTime{&it.CreatedAt}, &it.DoneBy, scanTime{&it.DoneAt})
	return it, err
}

// AddActionItem records an action item of a period's meeting, already
// read by [meeting.New.Check] (What, DueOn, DueAt, Topic and AgendaText
// set), for the owner named by email in it.Owner, as the actor of ctx; it
// tells the owner in their inbox (the action_item.created event). An owner
// who is not a user is EINVALID naming owner, and nothing is recorded.
func (db *DB) AddActionItem(ctx context.Context, it meeting.Item) (_ meeting.Item, err error) {
	defer wrap(&err, "add action item of %s", it.Period)
	if strings.TrimSpace(it.Owner) == "" {
		return it, tandem.Invalid(tandem.FieldError{Field: "owner", Message: "is required: every action item has an owner (a user's email)"})
	}
	if strings.TrimSpace(it.What) == "" || it.DueAt.IsZero() || it.Period == "" {
		return it, tandem.Invalid(tandem.FieldError{Field: "what", Message: "an action item needs what was decided, its period and its due date"})
	}
	err = db.transact(ctx, func(tx *Tx) error {
		u, err := tx.userByEmail(ctx, it.Owner)
		if tandem.ErrorCode(err) == tandem.ENOTFOUND {
			return tandem.Invalid(tandem.FieldError{Field: "owner", Message: fmt.Sprintf("%q is not a user of Tandem", cutText(it.Owner, 100))})
		}
		if err != nil {
			return err
		}
		it.OwnerID, it.Owner, it.OwnerName = u.ID, u.Email, u.Name
		it.What = strings.TrimSpace(it.What)
		it.State, it.CreatedBy, it.CreatedAt = meeting.Open, actorOf(ctx), tx.Now
		if err := tx.QueryRowContext(ctx, `INSERT INTO action_items (period, what, owner_id, due_on, due_at, agenda_topic, agenda_text, state,
			created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8, $9) RETURNING id`,
			it.Period, it.What, it.OwnerID, it.DueOn, tx.t(it.DueAt), it.Topic, it.AgendaText, it.CreatedBy, tx.t(tx.Now)).Scan(&it.ID); err != nil {
			return err
		}
		return tx.publishActionItem(ctx, outbox.ActionItemAdded, it, it.CreatedBy)
	})
	return it, err
}

// CloseActionItem marks the action item done by u, now: those who run the
// meeting close any item, an owner their own ([access.CanCloseItem];
// EFORBIDDEN otherwise). ENOTFOUND for no such item. An item done already
// is returned as it is.
func (db *DB) CloseActionItem(ctx context.Context, id int64, u tandem.User) (it meeting.Item, err error) {
	defer wrap(&err, "close action item %d", id)
	err = db.transact(ctx, func(tx *Tx) error {
		if it, err = tx.actionItem(ctx, id); err != nil {
			return err
		}
		if !access.CanCloseItem(u.Role, u.ID, it.OwnerID) {
			return tandem.Errorf(tandem.EFORBIDDEN, "action item %d is %s's: only its owner, a head, a sales manager or an admin marks it done", id, it.Owner)
		}
		if it.State == meeting.Done {
			return nil
		}
		it.State, it.DoneBy, it.DoneAt = meeting.Done, actorOf(ctx), tx.Now
		if _, err := tx.ExecContext(ctx, `UPDATE action_items SET state = 'done', done_by = $1, done_at = $2 WHERE id = $3`,
			it.DoneBy, tx.t(tx.Now), id); err != nil {
			return err
		}
		return tx.publishActionItem(ctx, outbox.ActionItemDone, it, it.DoneBy)
	})
	return it, err
}

// ActionItem returns one action item, or ENOTFOUND.
func (db *DB) ActionItem(ctx context.Context, id int64) (it meeting.Item, err error) {
	defer wrap(&err, "action item %d", id)
	err = db.view(ctx, func(tx *Tx) error {
		it, err = tx.actionItem(ctx, id)
		return err
	})
	return it, err
}

func (tx *Tx) actionItem(ctx context.Context, id int64) (meeting.Item, error) {
	it, err := scanActionItem(tx.QueryRowContext(ctx, `SELECT `+actionItemColumns+` FROM action_items a JOIN users u ON u.id = a.owner_id
		WHERE a.id = $1`, id))
	if err == sql.ErrNoRows {
		return it, tandem.Errorf(tandem.ENOTFOUND, "no action item %d", id)
	}
	return it, err
}

// ActionItemFilter picks action items: those of a period's meeting, or an
// owner's, or both; Open keeps those not done.
type ActionItemFilter struct {
	Period  string
	OwnerID int64
	Open    bool
}

// MaxActionItems bounds what [DB.ActionItems] returns.
const MaxActionItems = 1000

// ActionItems returns the items the filter picks, by due date then as
// recorded, at most [MaxActionItems].
func (db *DB) ActionItems(ctx context.Context, f ActionItemFilter) (its []meeting.Item, err error) {
	defer wrap(&err, "action items")
	var conds []string
	var args []any
	if f.Period != "" {
		args = append(args, f.Period)
		conds = append(conds, fmt.Sprintf("a.period = $%d", len(args)))
	}
	if f.OwnerID != 0 {
		args = append(args, f.OwnerID)
		conds = append(conds, fmt.Sprintf("a.owner_id = $%d", len(args)))
	}
	if f.Open {
		conds = append(conds, "a.state = 'open'")
	}
	where := "TRUE"
	if len(conds) > 0 {
		where = strings.Join(conds, " AND ")
	}
	its = []meeting.Item{}
	err = db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+actionItemColumns+` FROM action_items a JOIN users u ON u.id = a.owner_id
			WHERE `+where+fmt.Sprintf(` ORDER BY a.due_at, a.id LIMIT %d`, MaxActionItems), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			it, err := scanActionItem(rows)
			if err != nil {
				return err
			}
			its = append(its, it)
		}
		return rows.Err()
	})
	return its, err
}

// publishActionItem writes the event of an item created or done.
func (tx *Tx) publishActionItem(ctx context.Context, typ string, it meeting.Item, by string) error {
	e, err := outbox.New(typ, 0, tx.Now, outbox.ActionItem{Item: it.ID, Period: it.Period, What: it.What,
		Owner: outbox.Recipient{UserID: it.OwnerID, Email: it.Owner}, DueOn: it.DueOn, AgendaTopic: it.Topic, By: by})
	if err != nil {
		return err
	}
	return tx.publish(ctx, []outbox.Event{e})
}

// CampaignResponse is marketing's response to the lead review of one
// campaign's leads in a period ("" for the leads of no campaign).
type CampaignResponse struct {
	Period      string    `json:"period"`
	Campaign    string    `json:"campaign"`
	Response    string    `json:"response"`
	RespondedBy string    `json:"responded_by"`
	RespondedAt time.Time `json:"responded_at"`
}

// RespondToReview records (or replaces) marketing's response to the lead
// review of a campaign in a period, as the actor of ctx. An empty or too
// long response (over [meeting.MaxResponse] characters) is EINVALID
// naming response.
func (db *DB) RespondToReview(ctx context.Context, period, campaign, response string) (r CampaignResponse, err error) {
	defer wrap(&err, "respond to the review of campaign %q in %s", campaign, period)
	response = strings.TrimSpace(response)
	switch {
	case response == "":
		return r, tandem.Invalid(tandem.FieldError{Field: "response", Message: "is required: say what marketing will do about these leads"})
	case !utf8.ValidString(response) || !utf8.ValidString(campaign):
		return r, tandem.Invalid(tandem.FieldError{Field: "response", Message: "is not valid UTF-8"})
	case utf8.RuneCountInString(response) > meeting.MaxResponse:
		return r, tandem.Invalid(tandem.FieldError{Field: "response", Message: fmt.Sprintf("is longer than %d characters", meeting.MaxResponse)})
	case len(campaign) > 200:
		return r, tandem.Invalid(tandem.FieldError{Field: "campaign", Message: "is longer than 200 bytes"})
	}
	r = CampaignResponse{Period: period, Campaign: campaign, Response: response, RespondedBy: actorOf(ctx)}
	err = db.transact(ctx, func(tx *Tx) error {
		r.RespondedAt = tx.Now
		_, err := tx.ExecContext(ctx, `INSERT INTO campaign_responses (period, campaign, response, responded_by, responded_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (period, campaign) DO UPDATE SET response = excluded.response,
			responded_by = excluded.responded_by, responded_at = excluded.responded_at`,
			period, campaign, response, r.RespondedBy, tx.t(tx.Now))
		return err
	})
	return r, err
}

// ReviewResponses returns marketing's responses of a period by campaign.
func (db *DB) ReviewResponses(ctx context.Context, period string) (rs map[string]CampaignResponse, err error) {
	defer wrap(&err, "review responses of %s", period)
	rs = map[string]CampaignResponse{}
	err = db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT period, campaign, response, responded_by, responded_at FROM campaign_responses
			WHERE period = $1`, period)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r CampaignResponse
			if err := rows.Scan(&r.Period, &r.Campaign, &r.Response, &r.RespondedBy, scanTime{&r.RespondedAt}); err != nil {
				return err
			}
			rs[r.Campaign] = r
		}
		return rows.Err()
	})
	return rs, err
}

// cutText cuts s to at most n bytes at a character boundary, for an error
// that quotes input.
func cutText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
