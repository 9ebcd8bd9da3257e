package http

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/outbox"
	"github.com/tandemhq/tandem/sqldb"
)

// The settings page's outgoing webhooks and dead letters
// (docs/integrations.md): the subscriptions with their recent delivery
// logs, the buttons that pause, resume, test, redeliver and delete, the
// form that subscribes; and the email and chat notifications that were
// dead-lettered. The API (api_webhooks.go) does the same for programs.

// webhookLogSize is how many of a subscription's deliveries the page shows.
const webhookLogSize = 20

// webhookRow is one subscription on the page, with its recent deliveries.
type webhookRow struct {
	sqldb.WebhookSubscription
	Log []sqldb.WebhookDelivery
}

// webhookForm is the subscribe form's values and errors.
type webhookForm struct {
	URL, Description string
	Types            map[string]bool
	Errors           map[string]string
}

// webhooksView is the page's part for webhooks and dead letters.
type webhooksView struct {
	Webhooks   []webhookRow
	EventTypes []string
	NewWebhook webhookForm
	Dead       []sqldb.Notification
}

// webhooksData gathers the webhooks' part of the settings page.
func (s *Server) webhooksData(r *http.Request) (webhooksView, error) {
	ctx := r.Context()
	v := webhooksView{EventTypes: outbox.Types(), NewWebhook: webhookForm{Types: map[string]bool{}}}
	subs, err := s.DB.Webhooks(ctx)
	if err != nil {
		return v, err
	}
	for _, sub := range subs {
		// The page is an admin's: it shows the secret, as the API's GET of
		// one subscription does.
		full, err := s.DB.Webhook(ctx, sub.ID)
		if err != nil {
			return v, err
		}
		log, err := s.DB.WebhookDeliveries(ctx, sub.ID, sqldb.DeliveryFilter{Limit: webhookLogSize})
		if err != nil {
			return v, err
		}
		v.Webhooks = append(v.Webhooks, webhookRow{WebhookSubscription: full, Log: log})
	}
	if v.Dead, err = s.DB.DeadNotifications(ctx, 50); err != nil {
		return v, err
	}
	return v, nil
}

// formWebhookID reads the form's subscription id.
func formWebhookID(r *http.Request, field string) (int64, error) {
	id, err := strconv.ParseInt(r.PostFormValue(field), 10, 64)
	if err != nil || id < 1 {
		return 0, tandem.Invalid(tandem.FieldError{Field: field, Message: "name the webhook subscription (or delivery) by its id"})
	}
	return id, nil
}

func (s *Server) postAddWebhook(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return tandem.Errorf(tandem.EMALFORMED, "the form cannot be read: %v", err)
	}
	f := webhookForm{URL: strings.TrimSpace(r.PostFormValue("url")), Description: strings.TrimSpace(r.PostFormValue("description")), Types: map[string]bool{}}
	types := r.PostForm["event_types"]
	for _, t := range types {
		f.Types[t] = true
	}
	if types == nil {
		types = []string{}
	}
	err := s.webhookURLAllowed(&f.URL)
	var sub sqldb.WebhookSubscription
	if err == nil {
		sub, err = s.DB.CreateWebhook(r.Context(), sqldb.WebhookInput{URL: &f.URL, EventTypes: &types, Description: &f.Description}, viewer(r).ID)
	}
	if err != nil {
		if !isFormError(err) {
			return err
		}
		v, verr := s.settingsData(r)
		if verr != nil {
			return verr
		}
		// event_types[N] errors belong to the event types' field.
		var fes []tandem.FieldError
		for _, fe := range tandem.ErrorFields(err) {
			if strings.HasPrefix(fe.Field, "event_types") {
				fe.Field = "event_types"
			}
			fes = append(fes, fe)
		}
		var top string
		f.Errors, top = formErrors(tandem.Invalid(fes...), "url", "event_types", "description")
		v.Hooks.NewWebhook = f
		return s.renderSettings(w, r, http.StatusUnprocessableEntity, v, "", top)
	}
	s.logChange(r, "add webhook", "id", sub.ID, "host", hostOnly(sub.URL), "types", strings.Join(sub.EventTypes, " "))
	v, err := s.settingsData(r)
	if err != nil {
		return err
	}
	v.Secret = &secretView{What: "webhook secret", For: fmt.Sprintf("of webhook %d", sub.ID), Secret: sub.Secret}
	return s.renderSettings(w, r, http.StatusOK, v, fmt.Sprintf("subscribed %s to %s.", hostOnly(sub.URL), strings.Join(sub.EventTypes, ", ")), "")
}

// hostOnly is what logs show of a URL.
func hostOnly(raw string) string {
	host, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(raw, "https://"), "http://"), "/")
	return host
}

func (s *Server) postWebhookState(w http.ResponseWriter, r *http.Request) error {
	id, err := formWebhookID(r, "id")
	if err != nil {
		return err
	}
	state := r.PostFormValue("state")
	if _, err := s.DB.UpdateWebhook(r.Context(), id, sqldb.WebhookInput{State: &state}); err != nil {
		return err
	}
	s.logChange(r, "webhook state", "id", id, "state", state)
	http.Redirect(w, r, "/settings?done=webhook-"+map[bool]string{true: "paused", false: "resumed"}[state == sqldb.WebhookPaused]+"#webhooks", http.StatusSeeOther)
	return nil
}

func (s *Server) postWebhookTestForm(w http.ResponseWriter, r *http.Request) error {
	id, err := formWebhookID(r, "id")
	if err != nil {
		return err
	}
	if _, err := s.DB.TestWebhook(r.Context(), id); err != nil {
		return err
	}
	s.logChange(r, "webhook test", "id", id)
	http.Redirect(w, r, "/settings?done=webhook-test#webhooks", http.StatusSeeOther)
	return nil
}

func (s *Server) postRedeliverForm(w http.ResponseWriter, r *http.Request) error {
	id, err := formWebhookID(r, "id")
	if err != nil {
		return err
	}
	did, err := formWebhookID(r, "delivery")
	if err != nil {
		return err
	}
	if _, err := s.DB.RedeliverWebhook(r.Context(), id, did); err != nil {
		return err
	}
	s.logChange(r, "webhook redeliver", "id", id, "delivery", did)
	http.Redirect(w, r, "/settings?done=webhook-redeliver#webhooks", http.StatusSeeOther)
	return nil
}

func (s *Server) postDeleteWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := formWebhookID(r, "id")
	if err != nil {
		return err
	}
	if err := s.DB.DeleteWebhook(r.Context(), id); err != nil {
		return err
	}
	s.logChange(r, "delete webhook", "id", id)
	http.Redirect(w, r, "/settings?done=webhook-deleted#webhooks", http.StatusSeeOther)
	return nil
}

// webhookNotices are the notices of the webhooks' redirects.
var webhookNotices = map[string]string{
	"webhook-paused":    "the webhook is paused: its deliveries wait.",
	"webhook-resumed":   "the webhook is resumed: its waiting deliveries go now.",
	"webhook-test":      "a test event is on its way: see the delivery log.",
	"webhook-redeliver": "the delivery goes again now, with its webhook-id.",
	"webhook-deleted":   "the webhook and its delivery log are deleted.",
}
