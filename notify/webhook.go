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
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem/outbox"
)

// ChatChannel posts one message for each event that tells people, whoever
// holds the role, to a Slack-compatible incoming webhook ([Webhook]).
func ChatChannel() Channel {
	return Channel{
		Channel: outbox.Channel{Name: ChannelChat, Types: []string{outbox.EscalationSent, outbox.AlertRaised}, Route: func(_ outbox.Event, n outbox.Notice) []outbox.Delivery {
			if n.Subject == "" {
				return nil
			}
			return []outbox.Delivery{{Subject: n.Subject, Body: n.Body}}
		}},
		Flag: "chat-webhook", Env: "TANDEM_CHAT_WEBHOOK",
		Usage: "Slack-compatible incoming-webhook URL for escalations and alerts",
		Open:  func(config string) (Sender, error) { return NewWebhook(config) },
	}
}

// webhookTimeout bounds one Send when ctx allows longer.
const webhookTimeout = 10 * time.Second

// Webhook is a [Sender] that posts chat messages to a Slack-compatible
// incoming webhook. It is safe for concurrent use.
type Webhook struct {
	url    string // a secret: whoever has it can post to the channel
	host   string // what errors show instead of the URL
	client *http.Client
}

// NewWebhook returns a Sender that posts chat messages to the incoming-webhook
// URL rawURL, which must be http or https. The error never repeats the URL's
// path or query, which are the webhook's secret.
func NewWebhook(rawURL string) (*Webhook, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("webhook url: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("webhook url: scheme is %q, want http or https", u.Scheme)
	}
	if u.Host == "" {
		return nil, errors.New("webhook url: missing host")
	}
	return &Webhook{url: rawURL, host: u.Host, client: &http.Client{}}, nil
}

// Send posts m as {"text": "*Subject*\nBody"} in Slack's markup, with the
// header X-Tandem-Notification set to m.ID. &, < and > are escaped as Slack
// asks, and the subject is put on one line so that it stays bold. Any answer
// but a 2xx is an error that quotes the status and the first 200 bytes of the
// body. Send gives up when ctx ends or after 10 seconds.
func (w *Webhook) Send(ctx context.Context, m Message) error {
	if err := w.send(ctx, m); err != nil {
		return fmt.Errorf("post chat message %d to %s: %w", m.ID, w.host, err)
	}
	return nil
}

func (w *Webhook) send(ctx context.Context, m Message) error {
	if m.Channel != ChannelChat {
		return fmt.Errorf("channel is %q, want %q", m.Channel, ChannelChat)
	}
	body, err := json.Marshal(struct {
		Text string `json:"text"`
	}{chatText(m.Subject, m.Body)})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, webhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(headerNotification, strconv.FormatInt(m.ID, 10))
	resp, err := w.client.Do(req)
	if err != nil {
		var ue *url.Error // it repeats the secret URL
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		start, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		return fmt.Errorf("status %s: %q", resp.Status, start)
	}
	// Reading the rest lets the connection be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return nil
}

// slackEscaper escapes the three characters Slack reads as markup, so that a
// lead's name cannot become a link or an @channel mention.
var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// chatText formats a message as a bold subject line followed by the body.
func chatText(subject, body string) string {
	// Bold needs the subject on one line with no space inside the stars.
	subject = strings.Join(strings.Fields(subject), " ")
	body = slackEscaper.Replace(body)
	if subject == "" {
		return body
	}
	text := "*" + slackEscaper.Replace(subject) + "*"
	if body != "" {
		text += "\n" + body
	}
	return text
}
