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
	"github.com/tandemhq/tandem/webhook"
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
		Usage: "Slack-compatible or Microsoft Teams incoming-webhook URL for escalations and alerts; #secret=whsec_... signs the posts, #flavour=teams|slack forces the JSON",
		Open:  func(config string) (Sender, error) { return NewWebhook(config) },
	}
}

// webhookTimeout bounds one Send when ctx allows longer.
const webhookTimeout = 10 * time.Second

// Webhook is a [Sender] that posts chat messages to a Slack-compatible or
// a Microsoft Teams incoming webhook, signed per Standard Webhooks when it
// has a secret. It is safe for concurrent use.
type Webhook struct {
	url    string // a secret: whoever has it can post to the channel
	host   string // what errors show instead of the URL
	client *http.Client
	teams  bool           // post an Adaptive Card rather than Slack's {"text"}
	secret webhook.Secret // signs each post; nil: unsigned
	now    func() time.Time
}

// Chat flavours: the JSON a chat webhook takes.
const (
	FlavourSlack = "slack" // {"text": ...}, Slack's markup (Mattermost, Rocket.Chat... take it too)
	FlavourTeams = "teams" // a message with an Adaptive Card (Teams workflows and connectors)
)

// teamsHost reports whether host serves Microsoft Teams incoming webhooks:
// the old connectors (webhook.office.com) and the workflows that replace
// them (logic.azure.com, powerplatform.com).
func teamsHost(host string) bool {
	for _, suffix := range []string{".webhook.office.com", ".logic.azure.com", ".powerplatform.com"} {
		if strings.HasSuffix(host, suffix) {
			return true
		}
	}
	return false
}

// NewWebhook returns a Sender that posts chat messages to the incoming-webhook
// URL rawURL, which must be http or https. Its fragment, which is never sent,
// may give options as a query: secret=whsec_... signs every post per
// Standard Webhooks (package webhook), and flavour=slack or flavour=teams
// says what JSON to post; without it, a Microsoft host gets Teams' and any
// other Slack's. The error never repeats the URL's path or query, which are
// the webhook's secret, nor the signing secret.
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
	w := &Webhook{host: u.Host, client: &http.Client{}, teams: teamsHost(u.Hostname()), now: time.Now}
	if u.Fragment != "" {
		opts, err := url.ParseQuery(u.Fragment)
		if err != nil {
			return nil, errors.New("webhook url: the fragment is not options (secret=whsec_...&flavour=slack|teams)")
		}
		for k, v := range opts {
			if len(v) > 1 {
				return nil, fmt.Errorf("webhook url: option %q is given more than once", k)
			}
			switch k {
			case "secret":
				if w.secret, err = webhook.ParseSecret(v[0]); err != nil {
					return nil, fmt.Errorf("webhook url: option secret: %w", err)
				}
			case "flavour", "flavor":
				switch v[0] {
				case FlavourSlack, FlavourTeams:
					w.teams = v[0] == FlavourTeams
				default:
					return nil, fmt.Errorf("webhook url: flavour %q: want slack or teams", v[0])
				}
			default:
				return nil, fmt.Errorf("webhook url: unknown option %q in the fragment: want secret and flavour", k)
			}
		}
		u.Fragment, u.RawFragment = "", ""
	}
	w.url = u.String()
	return w, nil
}

// Flavour says what JSON w posts: FlavourSlack or FlavourTeams.
func (w *Webhook) Flavour() string {
	if w.teams {
		return FlavourTeams
	}
	return FlavourSlack
}

// Signed reports whether w signs its posts.
func (w *Webhook) Signed() bool { return w.secret != nil }

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
	var payload any = struct {
		Text string `json:"text"`
	}{chatText(m.Subject, m.Body)}
	if w.teams {
		payload = teamsCard(m.Subject, m.Body)
	}
	body, err := json.Marshal(payload)
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
	if w.secret != nil {
		// The webhook-id is the notification's, so a retry carries the
		// same; the installation keeps two installations' apart.
		id := "chat_" + strconv.FormatInt(m.ID, 10)
		if m.Installation != "" {
			id += "_" + strconv.FormatInt(m.CreatedAt.UnixMicro(), 10) + "_" + m.Installation
		}
		webhook.SetHeaders(req.Header, w.secret, id, w.now(), body)
	}
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

// teamsCard is a Teams message holding one Adaptive Card: the subject in
// bold and the body, as plain text (Adaptive Cards' TextBlock reads only a
// little Markdown, and a lead's name must not become a link).
func teamsCard(subject, body string) any {
	type block struct {
		Type   string `json:"type"`
		Text   string `json:"text"`
		Weight string `json:"weight,omitempty"`
		Size   string `json:"size,omitempty"`
		Wrap   bool   `json:"wrap"`
	}
	blocks := []block{}
	if s := strings.Join(strings.Fields(subject), " "); s != "" {
		blocks = append(blocks, block{Type: "TextBlock", Text: teamsEscaper.Replace(s), Weight: "Bolder", Size: "Medium", Wrap: true})
	}
	if body != "" {
		blocks = append(blocks, block{Type: "TextBlock", Text: teamsEscaper.Replace(body), Wrap: true})
	}
	type card struct {
		Schema  string  `json:"$schema"`
		Type    string  `json:"type"`
		Version string  `json:"version"`
		Body    []block `json:"body"`
	}
	type attachment struct {
		ContentType string `json:"contentType"`
		ContentURL  any    `json:"contentUrl"`
		Content     card   `json:"content"`
	}
	return struct {
		Type        string       `json:"type"`
		Attachments []attachment `json:"attachments"`
	}{"message", []attachment{{ContentType: "application/vnd.microsoft.card.adaptive",
		Content: card{Schema: "http://adaptivecards.io/schemas/adaptive-card.json", Type: "AdaptiveCard", Version: "1.4", Body: blocks}}}}
}

// teamsEscaper escapes the brackets of Adaptive Cards' Markdown links, so
// that a lead's name cannot become a link. Emphasis is left alone: an email
// address's underscores would show their escapes.
var teamsEscaper = strings.NewReplacer(`[`, `\[`, `]`, `\]`)
