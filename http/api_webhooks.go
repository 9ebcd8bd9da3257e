package http

import (
	"cmp"
	"fmt"
	"net/http"
	"strconv"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb"
)

// The outgoing webhooks' API (docs/integrations.md), for admins:
// subscriptions, their delivery logs, redeliver and test events.

type webhookList struct {
	Items []sqldb.WebhookSubscription `json:"items"`
}

// listWebhooks answers GET /api/v1/webhooks: every subscription, without
// its secret.
func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	ws, err := s.DB.Webhooks(r.Context())
	if err != nil {
		return err
	}
	if ws == nil {
		ws = []sqldb.WebhookSubscription{}
	}
	return writeJSON(w, http.StatusOK, webhookList{Items: ws})
}

// postWebhook answers POST /api/v1/webhooks {"url", "event_types",
// "description", "state"}: 201 and the new subscription with its secret,
// owned by the caller's user (none for an integration's token).
func (s *Server) postWebhook(w http.ResponseWriter, r *http.Request) error {
	var in sqldb.WebhookInput
	if err := decodeStrict(r.Body, &in); err != nil {
		return err
	}
	if err := s.webhookURLAllowed(in.URL); err != nil {
		return err
	}
	sub, err := s.DB.CreateWebhook(r.Context(), in, caller(r).UserID)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/webhooks/%d", sub.ID))
	return writeJSON(w, http.StatusCreated, sub)
}

// getWebhook answers GET /api/v1/webhooks/{id}: one subscription, with its
// secret.
func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	sub, err := s.DB.Webhook(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, sub)
}

// patchWebhook answers PATCH /api/v1/webhooks/{id} with the fields to
// change: url, event_types, description, and state (paused or active;
// resuming clears the failures).
func (s *Server) patchWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in sqldb.WebhookInput
	if err := decodeStrict(r.Body, &in); err != nil {
		return err
	}
	if err := s.webhookURLAllowed(in.URL); err != nil {
		return err
	}
	sub, err := s.DB.UpdateWebhook(r.Context(), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, sub)
}

// deleteWebhook answers DELETE /api/v1/webhooks/{id}: 204; the delivery
// log goes with it.
func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.DB.DeleteWebhook(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// getWebhookDeliveries answers GET
// /api/v1/webhooks/{id}/deliveries?state=&before=&limit=: the
// subscription's delivery log, newest first; next_before pages back.
func (s *Server) getWebhookDeliveries(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var f sqldb.DeliveryFilter
	if err := eachParam(r, func(name, v string, bad func(string)) {
		switch name {
		case "state":
			if v != sqldb.DeliveryPending && v != sqldb.DeliveryDelivered && v != sqldb.DeliveryDead {
				bad(fmt.Sprintf("%q: give pending, delivered or dead", v))
			}
			f.State = v
		case "before":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 1 {
				bad(fmt.Sprintf("%q is not a delivery id: give next_before of the previous page", v))
			}
			f.BeforeID = n
		case "limit":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 1000 {
				bad(fmt.Sprintf("%q is not a limit: give a whole number from 1 to 1000", v))
			}
			f.Limit = n
		default:
			bad("not a parameter of the delivery log (state, before, limit)")
		}
	}); err != nil {
		return err
	}
	ds, err := s.DB.WebhookDeliveries(r.Context(), id, f)
	if err != nil {
		return err
	}
	if ds == nil {
		ds = []sqldb.WebhookDelivery{}
	}
	page := struct {
		Items      []sqldb.WebhookDelivery `json:"items"`
		NextBefore int64                   `json:"next_before,omitempty"`
	}{Items: ds}
	if len(ds) == cmp.Or(f.Limit, 100) {
		page.NextBefore = ds[len(ds)-1].ID
	}
	return writeJSON(w, http.StatusOK, page)
}

// postRedeliver answers POST
// /api/v1/webhooks/{id}/deliveries/{delivery}/redeliver: 202; the delivery
// goes again now, with its webhook-id.
func (s *Server) postRedeliver(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	did, err := pathID(r, "delivery")
	if err != nil {
		return err
	}
	d, err := s.DB.RedeliverWebhook(r.Context(), id, did)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusAccepted, d)
}

// postWebhookTest answers POST /api/v1/webhooks/{id}/test: 202 and the
// delivery of a webhook.test event, sent now even to a paused
// subscription.
func (s *Server) postWebhookTest(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	d, err := s.DB.TestWebhook(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusAccepted, d)
}

// webhookURLAllowed refuses, as EINVALID naming the url field, a
// subscription URL the server's egress policy does not let webhooks reach
// (a loopback or private address, localhost); nil when url is not given.
// Every path that makes or changes a subscription calls it; the poster
// checks again at each connection, after the name is resolved.
func (s *Server) webhookURLAllowed(url *string) error {
	if url == nil {
		return nil
	}
	if err := s.Egress.CheckURL(*url); err != nil {
		return tandem.Invalid(tandem.FieldError{Field: "url", Message: err.Error()})
	}
	return nil
}
