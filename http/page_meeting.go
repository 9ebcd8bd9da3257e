package http

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/access"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/meeting"
	"github.com/tandemhq/tandem/report"
)

// The monthly meeting's page (docs/meeting.md): /meeting/{period} lays the
// period's scorecard agenda beside the action items recorded against it,
// the previous meeting's items as the scorecard carries them, and the lead
// review by campaign with marketing's responses.

// meetingView is what the meeting page shows.
type meetingView struct {
	report.Meeting
	Picker picker
	Users  []tandem.User
	// CanRecord: the viewer runs the meeting (records and closes any
	// item); CanRespond: the viewer answers for marketing.
	CanRecord, CanRespond bool
	ViewerID              int64
	Item                  itemForm
	Respond               respondForm
}

// itemForm is the new action item's form, refilled after a mistake.
type itemForm struct {
	meeting.New
	Errors map[string]string
}

// respondForm is a campaign response's form, refilled after a mistake.
type respondForm struct {
	Campaign, Response string
	Errors             map[string]string
}

// CanClose says whether the viewer may mark the item done.
func (v meetingView) CanClose(it meeting.Item) bool {
	return it.State == meeting.Open && (v.CanRecord || it.OwnerID == v.ViewerID)
}

// getMeetingNow answers /meeting: the meeting of ?period= (the current
// month by default), as /meeting/{period}.
func (s *Server) getMeetingNow(w http.ResponseWriter, r *http.Request) error {
	_, pk, _, err := s.pickPeriod(r.Context(), r, thisMonth)
	if err != nil {
		return err
	}
	r.SetPathValue("period", pk.Period)
	return s.renderMeeting(w, r, http.StatusOK, meetingView{}, "", "")
}

// getMeeting answers /meeting/{period}.
func (s *Server) getMeeting(w http.ResponseWriter, r *http.Request) error {
	notice := ""
	switch q := r.URL.Query(); {
	case q.Get("added") != "":
		notice = "action item " + q.Get("added") + " recorded; its owner has it in their inbox."
	case q.Get("done") != "":
		notice = "action item " + q.Get("done") + " is done."
	case q.Get("responded") != "":
		notice = "marketing's response is recorded."
	}
	return s.renderMeeting(w, r, http.StatusOK, meetingView{}, notice, "")
}

func (s *Server) renderMeeting(w http.ResponseWriter, r *http.Request, status int, v meetingView, notice, errMsg string) error {
	ctx := r.Context()
	m, err := report.ReadMeeting(ctx, s.DB, s.DB.Now(), r.PathValue("period"))
	if err != nil {
		return err
	}
	_, pk, _, err := s.pickPeriod(ctx, r, func(*agreement.Agreement, time.Time) string { return m.Period })
	if err != nil {
		return err
	}
	u := viewer(r)
	v.Meeting, v.Picker, v.ViewerID = m, pk, u.ID
	v.Picker.Action, v.Picker.Period = "/meeting", m.Period
	v.CanRecord, v.CanRespond = access.May(u.Role, access.RunMeeting), access.May(u.Role, access.Respond)
	if v.CanRecord {
		if v.Users, err = s.DB.Users(ctx); err != nil {
			return err
		}
	}
	p := newPage(r, "Meeting "+m.Period)
	p.Data, p.Notice, p.Error = v, notice, errMsg
	return s.render(w, status, "meeting", p)
}

// postMeetingItem answers POST /meeting/{period}/items: records an action
// item, as POST /api/v1/meetings/{period}/items.
func (s *Server) postMeetingItem(w http.ResponseWriter, r *http.Request) error {
	f := itemForm{New: meeting.New{What: r.PostFormValue("what"), Owner: strings.TrimSpace(r.PostFormValue("owner")),
		Due: strings.TrimSpace(r.PostFormValue("due")), Topic: strings.TrimSpace(r.PostFormValue("agenda_topic"))}}
	it, err := report.RecordActionItem(r.Context(), s.DB, s.DB.Now(), r.PathValue("period"), f.New)
	if err != nil {
		if !isFormError(err) || tandem.ErrorCode(err) == tandem.ENOTFOUND {
			return err
		}
		var top string
		f.Errors, top = formErrors(err, "what", "owner", "due", "agenda_topic")
		return s.renderMeeting(w, r, http.StatusUnprocessableEntity, meetingView{Item: f}, "", top)
	}
	http.Redirect(w, r, "/meeting/"+url.PathEscape(it.Period)+"?added="+strconv.FormatInt(it.ID, 10)+"#items", http.StatusSeeOther)
	return nil
}

// postMeetingItemDone answers POST /meeting/items/{id}/done: marks an item
// done and goes back where the form says (the meeting, or the queue).
func (s *Server) postMeetingItemDone(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	it, err := s.DB.CloseActionItem(r.Context(), id, viewer(r))
	if err != nil {
		return err
	}
	back := "/meeting/" + url.PathEscape(it.Period) + "?done=" + strconv.FormatInt(id, 10) + "#items"
	if r.PostFormValue("back") == "queue" {
		back = "/queue?item_done=" + strconv.FormatInt(id, 10)
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}

// postMeetingResponse answers POST /meeting/{period}/responses: marketing's
// response to one campaign's lead review.
func (s *Server) postMeetingResponse(w http.ResponseWriter, r *http.Request) error {
	f := respondForm{Campaign: r.PostFormValue("campaign"), Response: r.PostFormValue("response")}
	res, err := report.RespondToReview(r.Context(), s.DB, s.DB.Now(), r.PathValue("period"), f.Campaign, f.Response)
	if err != nil {
		if !isFormError(err) || tandem.ErrorCode(err) == tandem.ENOTFOUND {
			return err
		}
		var top string
		f.Errors, top = formErrors(err, "campaign", "response")
		return s.renderMeeting(w, r, http.StatusUnprocessableEntity, meetingView{Respond: f}, "", top)
	}
	http.Redirect(w, r, "/meeting/"+url.PathEscape(res.Period)+"?responded=1#review", http.StatusSeeOther)
	return nil
}
