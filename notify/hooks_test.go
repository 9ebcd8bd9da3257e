package notify_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandemhq/tandem/egress"
	"github.com/tandemhq/tandem/notify"
	"github.com/tandemhq/tandem/outbox"
)

// A secret the tests write by hand: 32 bytes, base64.
const (
	testKey    = "0123456789abcdef0123456789abcdef"
	testSecret = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
)

// signed is one request a signing receiver took.
type signed struct {
	ID, Timestamp string
	Valid         bool // the test's own HMAC matched an entry of webhook-signature
	Body          []byte
}

// signingReceiver answers status after checking each request's Standard
// Webhooks signature with the test's own code.
func signingReceiver(t *testing.T, status int) (string, func() []signed) {
	t.Helper()
	var mu sync.Mutex
	var got []signed
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s := signed{ID: r.Header.Get("webhook-id"), Timestamp: r.Header.Get("webhook-timestamp"), Body: body}
		m := hmac.New(sha256.New, []byte(testKey))
		m.Write([]byte(s.ID + "." + s.Timestamp + "." + string(body)))
		want := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
		for _, e := range strings.Fields(r.Header.Get("webhook-signature")) {
			s.Valid = s.Valid || e == want
		}
		mu.Lock()
		got = append(got, s)
		mu.Unlock()
		if status == http.StatusFound {
			http.Redirect(w, r, "/elsewhere", status)
			return
		}
		w.WriteHeader(status)
		io.WriteString(w, "answer from the receiver")
	}))
	t.Cleanup(srv.Close)
	return srv.URL, func() []signed {
		mu.Lock()
		defer mu.Unlock()
		return append([]signed(nil), got...)
	}
}

func TestPayloadOf(t *testing.T) {
	e := outbox.Event{ID: 9, Type: "deal.won", Version: 1, LeadID: 4, Data: json.RawMessage(`{"actor":"user:rex@example.com"}`),
		OccurredAt: time.Date(2026, 11, 23, 15, 4, 5, 0, time.FixedZone("EST", -5*3600))}
	got, err := notify.PayloadOf(e)
	want := `{"type":"deal.won","version":1,"timestamp":"2026-11-23T20:04:05Z","event_id":9,"lead_id":4,"data":{"actor":"user:rex@example.com"}}`
	if err != nil || string(got) != want {
		t.Errorf("PayloadOf = %s, %v; want %s", got, err, want)
	}
}

// TestHooksPost: a post is signed so that the receiver's own check passes,
// with the webhook-id given and the time given; a 2xx is a success with its
// code; any other answer, a redirect included (not followed), is an error
// quoting it that never shows the URL's path.
func TestHooksPost(t *testing.T) {
	p := notify.NewHooks(egress.Policy{AllowPrivate: true})
	at := time.Unix(1_765_000_000, 0)
	body := []byte(`{"type":"deal.won"}`)
	for _, tc := range []struct {
		status int
		ok     bool
	}{{204, true}, {200, true}, {500, false}, {410, false}, {http.StatusFound, false}} {
		url, got := signingReceiver(t, tc.status)
		code, err := p.Post(t.Context(), notify.Hook{URL: url + "/s3cret/path", Secret: testSecret, ID: "msg_abc", Body: body}, at)
		if (err == nil) != tc.ok || code != tc.status {
			t.Errorf("Post to a %d receiver = %d, %v; want %d and ok=%v", tc.status, code, err, tc.status, tc.ok)
		}
		if err != nil && (strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), fmt.Sprint(tc.status))) {
			t.Errorf("Post error %q; want the status and not the path", err)
		}
		reqs := got()
		if len(reqs) != 1 || !reqs[0].Valid || reqs[0].ID != "msg_abc" || reqs[0].Timestamp != "1765000000" || !bytes.Equal(reqs[0].Body, body) {
			t.Errorf("the %d receiver took %+v; want one request signed as msg_abc at 1765000000", tc.status, reqs)
		}
	}
	if _, err := p.Post(t.Context(), notify.Hook{URL: "http://127.0.0.1:1/x", Secret: "whsec_short", ID: "m", Body: body}, at); err == nil {
		t.Errorf("Post with a bad secret = nil; want an error")
	}
}

// TestHooksPostRefusesPrivate: a poster under the zero egress policy does
// not reach a receiver on this machine, whether its URL names the address
// or a name that resolves to it: the post fails naming why, and the
// receiver gets nothing.
func TestHooksPostRefusesPrivate(t *testing.T) {
	p := notify.NewHooks(egress.Policy{})
	url, got := signingReceiver(t, 204)
	byName := strings.Replace(url, "127.0.0.1", "localhost", 1)
	for _, u := range []string{url, byName} {
		code, err := p.Post(t.Context(), notify.Hook{URL: u + "/in", Secret: testSecret, ID: "msg_x", Body: []byte(`{}`)}, time.Unix(1_765_000_000, 0))
		if err == nil || code != 0 || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("Post to %s under the zero policy = %d, %v; want refused as a loopback address", u, code, err)
		}
	}
	if reqs := got(); len(reqs) != 0 {
		t.Errorf("the receiver took %d requests; want none", len(reqs))
	}
}

// TestChatWebhookSigned: a chat webhook whose URL's fragment gives a secret
// signs its posts (the receiver's own check passes) with webhook-id
// chat_ID and the fragment is never sent; flavour=teams, or a Teams host,
// posts an Adaptive Card with the subject and body as text.
func TestChatWebhookSigned(t *testing.T) {
	url, got := signingReceiver(t, 200)
	w := newWebhook(t, url+"/hook#secret="+testSecret+"&flavour=teams")
	if !w.Signed() || w.Flavour() != notify.FlavourTeams {
		t.Errorf("Signed, Flavour = %v, %s; want true, teams", w.Signed(), w.Flavour())
	}
	m := notify.Message{ID: 42, Channel: notify.ChannelChat, Subject: "Escalation: [Acme](https://evil.example)", Body: "No touch.\nOwner: rex_smith@example.com"}
	if err := w.Send(t.Context(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	reqs := got()
	if len(reqs) != 1 || !reqs[0].Valid || reqs[0].ID != "chat_42" {
		t.Fatalf("receiver took %+v; want one post signed as chat_42", reqs)
	}
	var card struct {
		Type        string
		Attachments []struct {
			ContentType string
			Content     struct {
				Type string
				Body []struct{ Text, Weight string }
			}
		}
	}
	if err := json.Unmarshal(reqs[0].Body, &card); err != nil || card.Type != "message" || len(card.Attachments) != 1 ||
		card.Attachments[0].ContentType != "application/vnd.microsoft.card.adaptive" || len(card.Attachments[0].Content.Body) != 2 {
		t.Fatalf("Teams body %s (%v); want a message with one Adaptive Card of two text blocks", reqs[0].Body, err)
	}
	blocks := card.Attachments[0].Content.Body
	if blocks[0].Text != `Escalation: \[Acme\](https://evil.example)` || blocks[0].Weight != "Bolder" || blocks[1].Text != m.Body {
		t.Errorf("Teams blocks %+v; want the subject bold with its link brackets escaped, then the body", blocks)
	}

	for host, want := range map[string]string{
		"https://acme.webhook.office.com/webhookb2/x":     notify.FlavourTeams,
		"https://prod-1.westus.logic.azure.com/workflows": notify.FlavourTeams,
		"https://hooks.slack.com/services/T/B/X":          notify.FlavourSlack,
		"https://acme.webhook.office.com/x#flavour=slack": notify.FlavourSlack,
	} {
		if w := newWebhook(t, host); w.Flavour() != want || w.Signed() {
			t.Errorf("NewWebhook(%s) flavour %s, signed %v; want %s, unsigned", host, w.Flavour(), w.Signed(), want)
		}
	}
	for _, bad := range []string{"https://x.example/#secret=whsec_AAAA", "https://x.example/#colour=red", "https://x.example/#flavour=discord"} {
		_, err := notify.NewWebhook(bad)
		if err == nil || strings.Contains(err.Error(), "whsec_AAAA") {
			t.Errorf("NewWebhook(%s) = %v; want an error that does not repeat the secret", bad, err)
		}
	}
}

// TestSMTPPermanent: a 5xx to a recipient is final (notify.ErrPermanent),
// a 4xx or a refused login is not; the Message-ID carries the creation time
// and the installation id.
func TestSMTPPermanent(t *testing.T) {
	srv := &mailServer{refuse: "gone@example.com", busy: "busy@example.com"}
	s := newSMTP(t, "smtp://"+srv.start(t, plainText, tls.Certificate{})+"?from=tandem@mail.example.org&tls=none", nil)
	for to, permanent := range map[string]bool{"gone@example.com": true, "busy@example.com": false} {
		err := s.Send(t.Context(), notify.Message{ID: 1, Channel: notify.ChannelEmail, To: to, Subject: "s", Body: "b"})
		if err == nil || errors.Is(err, notify.ErrPermanent) != permanent {
			t.Errorf("Send to %s = %v; want an error, permanent = %v", to, err, permanent)
		}
	}
	auth := &mailServer{user: "tandem", pass: "s3cret"}
	a := newSMTP(t, "smtp://tandem:wrong@"+auth.start(t, plainText, tls.Certificate{})+"?from=tandem@example.com&tls=none", nil)
	if err := a.Send(t.Context(), notify.Message{ID: 1, Channel: notify.ChannelEmail, To: "ana@example.com"}); err == nil || errors.Is(err, notify.ErrPermanent) {
		t.Errorf("Send with a wrong password = %v; want an error that is not permanent (the password may be fixed)", err)
	}

	created := time.Date(2026, 11, 23, 15, 0, 0, 123456000, time.UTC)
	if err := s.Send(t.Context(), notify.Message{ID: 7, Channel: notify.ChannelEmail, To: "ana@example.com", Subject: "s", Body: "b",
		CreatedAt: created, Installation: "0f1e2d3c"}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := srv.messages()
	want := fmt.Sprintf("<tandem-notification-7.%d.0f1e2d3c@mail.example.org>", created.UnixMicro())
	if len(got) != 1 || parse(t, got[0]).MessageID != want {
		t.Errorf("received %d messages; want one with Message-ID %s (got %+v)", len(got), want, got)
	}
}

// FuzzNewWebhook: any URL either opens a webhook or is refused with an
// error that does not repeat the URL's path, query or fragment.
func FuzzNewWebhook(f *testing.F) {
	f.Add("https://hooks.slack.com/services/T/B/X")
	f.Add("https://x.webhook.office.com/a#secret=" + testSecret + "&flavour=teams")
	f.Add("https://x.example/p#flavour=slack&flavour=teams")
	f.Add("http://x/#%zz")
	f.Fuzz(func(t *testing.T, raw string) {
		w, err := notify.NewWebhook(raw)
		if err != nil {
			if i := strings.Index(raw, "#secret=whsec_"); i >= 0 && len(raw) > i+20 && strings.Contains(err.Error(), raw[i+8:i+20]) {
				t.Errorf("NewWebhook(%q) error %q repeats the secret", raw, err)
			}
			return
		}
		if f := w.Flavour(); f != notify.FlavourSlack && f != notify.FlavourTeams {
			t.Errorf("NewWebhook(%q).Flavour() = %q", raw, f)
		}
	})
}
