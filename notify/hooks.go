package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tandemhq/tandem/egress"
	"github.com/tandemhq/tandem/outbox"
	"github.com/tandemhq/tandem/webhook"
)

// Payload is the JSON body of an outgoing webhook: the event's type and
// version, when it happened, the outbox event's id and lead, and its data
// exactly as docs/events.md documents it for the type and version. The
// envelope follows the Standard Webhooks convention (type, timestamp,
// data); it keeps its fields for as long as its version, 1, stays.
type Payload struct {
	Type      string          `json:"type"`
	Version   int             `json:"version"`
	Timestamp time.Time       `json:"timestamp"`
	EventID   int64           `json:"event_id"`
	LeadID    int64           `json:"lead_id,omitempty"`
	Data      json.RawMessage `json:"data"`
}

// PayloadOf returns the body of e's webhook. The same event always gives
// the same bytes, so a retry sends what the first attempt sent.
func PayloadOf(e outbox.Event) ([]byte, error) {
	data := e.Data
	if len(data) == 0 {
		data = json.RawMessage("{}")
	}
	return json.Marshal(Payload{Type: e.Type, Version: e.Version, Timestamp: e.OccurredAt.UTC(), EventID: e.ID, LeadID: e.LeadID, Data: data})
}

// hookTimeout bounds one webhook post when ctx allows longer: a receiver
// should answer at once and do its work later.
const hookTimeout = 10 * time.Second

// Hooks posts outgoing webhooks, signed per Standard Webhooks (package
// webhook). It follows no redirect: a 3xx is a failure, so a receiver
// cannot send the signed body elsewhere. It is safe for concurrent use.
type Hooks struct {
	client *http.Client
}

// NewHooks returns a poster of outgoing webhooks that connects only to the
// addresses policy allows (package egress): the check is made on the
// address connected to, so a name resolving to a private address is refused
// too. It uses no proxy from the environment, which would hide the address.
func NewHooks(policy egress.Policy) *Hooks {
	return &Hooks{client: &http.Client{
		Timeout:       hookTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &http.Transport{
			DialContext:           policy.DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          100,
			MaxIdleConnsPerHost:   8,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ExpectContinueTimeout: time.Second,
		},
	}}
}

// Hook is one webhook to post.
type Hook struct {
	URL    string
	Secret string // "whsec_..."
	ID     string // webhook-id: the same on every attempt
	Body   []byte
}

// Post sends h, signed at now, and returns the receiver's status (0 when
// none came). Any status but a 2xx is an error quoting it and the first 200
// bytes of the answer; errors never repeat the URL's path or query.
func (p *Hooks) Post(ctx context.Context, h Hook, now time.Time) (code int, err error) {
	host := "receiver"
	if u, err := url.Parse(h.URL); err == nil {
		host = u.Host
	}
	defer func() {
		if err != nil {
			err = fmt.Errorf("post webhook %s to %s: %w", h.ID, host, err)
		}
	}()
	secret, err := webhook.ParseSecret(h.Secret)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(h.Body))
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Tandem-Webhooks/1")
	webhook.SetHeaders(req.Header, secret, h.ID, now, h.Body)
	resp, err := p.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) { // it repeats the URL
			err = ue.Err
		}
		return 0, err
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(snippet)))
	}
	return resp.StatusCode, nil
}
