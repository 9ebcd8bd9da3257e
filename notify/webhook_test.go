package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tandemhq/tandem/notify"
)

// secretPath stands for the token in a real webhook URL, which errors must
// not show.
const secretPath = "/services/T000/B000/s3cretToken"

// chatRequest is what a test receiver keeps of one request.
type chatRequest struct {
	Method, Path string
	ContentType  string
	Notification string
	Body         map[string]any
}

// chatReceiver is a real HTTP server standing in for Slack. It answers every
// request with status and body, after recording it.
func chatReceiver(t *testing.T, status int, body string) (url string, requests func() []chatRequest) {
	t.Helper()
	var mu sync.Mutex
	var got []chatRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := chatRequest{
			Method:       r.Method,
			Path:         r.URL.Path,
			ContentType:  r.Header.Get("Content-Type"),
			Notification: r.Header.Get("X-Tandem-Notification"),
		}
		if err := json.NewDecoder(r.Body).Decode(&req.Body); err != nil {
			t.Errorf("decode request body: %v", err)
		}
		mu.Lock()
		got = append(got, req)
		mu.Unlock()
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + secretPath, func() []chatRequest {
		mu.Lock()
		defer mu.Unlock()
		return append([]chatRequest(nil), got...)
	}
}

func newWebhook(t *testing.T, rawURL string) *notify.Webhook {
	t.Helper()
	w, err := notify.NewWebhook(rawURL)
	if err != nil {
		t.Fatalf("NewWebhook: %v", err)
	}
	return w
}

func TestWebhookSend(t *testing.T) {
	for _, tc := range []struct {
		subject, body string
		want          string
	}{
		{"Escalation: Acme Corp", "No first touch for 4 business hours.\nOwner: Bo",
			"*Escalation: Acme Corp*\nNo first touch for 4 business hours.\nOwner: Bo"},
		{"  Two\nlines  ", "body", "*Two lines*\nbody"},
		{"", "just a body", "just a body"},
		{"just a subject", "", "*just a subject*"},
		{"<!channel> Smith & Sons", "see <https://evil.example|here>",
			"*&lt;!channel&gt; Smith &amp; Sons*\nsee &lt;https://evil.example|here&gt;"},
		{"Ünïcødé ✓", "\"quoted\"\ttab", "*Ünïcødé ✓*\n\"quoted\"\ttab"},
	} {
		url, requests := chatReceiver(t, http.StatusOK, "ok")
		w := newWebhook(t, url)
		m := notify.Message{ID: 42, Channel: notify.ChannelChat, Subject: tc.subject, Body: tc.body}
		if err := w.Send(t.Context(), m); err != nil {
			t.Errorf("Send(%+v): %v", m, err)
			continue
		}
		want := []chatRequest{{
			Method:       "POST",
			Path:         secretPath,
			ContentType:  "application/json",
			Notification: "42",
			Body:         map[string]any{"text": tc.want},
		}}
		if diff := cmp.Diff(want, requests()); diff != "" {
			t.Errorf("Send(%+v): received (-want +got):\n%s", m, diff)
		}
	}
}

func TestWebhookStatus(t *testing.T) {
	m := notify.Message{ID: 5, Channel: notify.ChannelChat, Subject: "s", Body: "b"}
	for _, status := range []int{http.StatusOK, http.StatusCreated, http.StatusNoContent} {
		url, _ := chatReceiver(t, status, "")
		if err := newWebhook(t, url).Send(t.Context(), m); err != nil {
			t.Errorf("Send answered %d = %v; want nil", status, err)
		}
	}

	long := "upstream exploded: " + strings.Repeat("x", 300)
	for _, tc := range []struct {
		status int
		body   string
		want   []string
	}{
		{http.StatusInternalServerError, long, []string{"chat message 5", "500 Internal Server Error", long[:200]}},
		{http.StatusNotFound, "no_service", []string{"404 Not Found", `"no_service"`}},
		{http.StatusTooManyRequests, "", []string{"429 Too Many Requests"}},
		{http.StatusMultipleChoices, "", []string{"300 Multiple Choices"}},
	} {
		url, requests := chatReceiver(t, tc.status, tc.body)
		err := newWebhook(t, url).Send(t.Context(), m)
		if err == nil {
			t.Errorf("Send answered %d = nil; want an error", tc.status)
			continue
		}
		for _, phrase := range tc.want {
			if !strings.Contains(err.Error(), phrase) {
				t.Errorf("Send answered %d = %q; want it to contain %q", tc.status, err, phrase)
			}
		}
		if strings.Contains(err.Error(), long[:201]) {
			t.Errorf("Send answered %d = %q; want at most 200 bytes of the body", tc.status, err)
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("Send answered %d = %q; the error shows the webhook's secret", tc.status, err)
		}
		if n := len(requests()); n != 1 {
			t.Errorf("Send answered %d made %d requests; want 1", tc.status, n)
		}
	}
}

// TestWebhookContext checks that Send gives up when its context ends while
// the receiver hangs.
func TestWebhookContext(t *testing.T) {
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Hang until the client goes away, which the server notices only
		// once the body has been read, or until the test ends.
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(stop) }) // runs before srv.Close
	w := newWebhook(t, srv.URL+secretPath)
	m := notify.Message{ID: 6, Channel: notify.ChannelChat, Subject: "s", Body: "b"}

	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := w.Send(ctx, m)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Send with a 200ms deadline = %v; want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Send took %v with a deadline of 200ms", d)
	}
	if err != nil && strings.Contains(err.Error(), "s3cret") {
		t.Errorf("Send = %q; the error shows the webhook's secret", err)
	}

	ctx, cancel = context.WithCancel(t.Context())
	cancel()
	if err := w.Send(ctx, m); !errors.Is(err, context.Canceled) {
		t.Errorf("Send with a cancelled context = %v; want context.Canceled", err)
	}
}

func TestWebhookWrongChannel(t *testing.T) {
	url, requests := chatReceiver(t, http.StatusOK, "ok")
	m := notify.Message{ID: 8, Channel: notify.ChannelEmail, To: "ana@example.com", Subject: "s"}
	err := newWebhook(t, url).Send(t.Context(), m)
	if err == nil || !strings.Contains(err.Error(), `channel is "email"`) {
		t.Errorf("Send(%+v) = %v; want an error about the channel", m, err)
	}
	if n := len(requests()); n != 0 {
		t.Errorf("Send(%+v) made %d requests; want none", m, n)
	}
}

func TestNewWebhookErrors(t *testing.T) {
	for _, tc := range []struct {
		url  string
		want string
	}{
		{"", `scheme is ""`},
		{"hooks.slack.com/services/T000/B000/s3cret", `scheme is ""`},
		{"ftp://hooks.slack.com/services/T000/B000/s3cret", `scheme is "ftp"`},
		{"smtp://hooks.slack.com", `scheme is "smtp"`},
		{"https://", "missing host"},
		{"https:///services/T000/B000/s3cret", "missing host"},
		{"https:hooks.slack.com", "missing host"},
		{"https://hooks.slack.com:x/services/s3cret", "invalid port"},
		{"https://[::1/services/s3cret", "missing ']'"},
		{"https://hooks.slack.com/services/s3cret%zz", "invalid URL escape"},
		{"://hooks.slack.com/services/s3cret", "missing protocol scheme"},
	} {
		_, err := notify.NewWebhook(tc.url)
		if err == nil {
			t.Errorf("NewWebhook(%q) = nil error; want one containing %q", tc.url, tc.want)
			continue
		}
		if !strings.HasPrefix(err.Error(), "webhook url: ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewWebhook(%q) = %q; want webhook url: ...%s...", tc.url, err, tc.want)
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("NewWebhook(%q) = %q; the error shows the webhook's secret", tc.url, err)
		}
	}
}
