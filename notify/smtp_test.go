package notify_test

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/google/go-cmp/cmp"

	"github.com/tandemhq/tandem/notify"
	"github.com/tandemhq/tandem/outbox"
)

// mailServer is a real SMTP server on 127.0.0.1 that keeps what it receives.
type mailServer struct {
	user, pass string // when set, the server offers AUTH PLAIN and requires it
	refuse     string // a recipient the server refuses
	busy       string // a recipient the server puts off (450)
	listen     string // the address to listen on; 127.0.0.1:0 when ""

	mu       sync.Mutex
	received []envelope
}

// envelope is one message as the server received it.
type envelope struct {
	From string
	To   []string
	Data []byte
}

// How a test server speaks TLS.
const (
	plainText   = iota // no TLS
	startTLS           // offers STARTTLS
	implicitTLS        // TLS from the first byte
)

// start serves on 127.0.0.1:0 until the test ends and returns the address.
func (b *mailServer) start(t *testing.T, mode int, cert tls.Certificate) string {
	t.Helper()
	listen := b.listen
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		t.Skipf("listen on %s: %v", listen, err)
	}
	srv := smtp.NewServer(b)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	switch mode {
	case startTLS:
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	case implicitTLS:
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}})
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

func (b *mailServer) messages() []envelope {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]envelope(nil), b.received...)
}

func (b *mailServer) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &session{server: b}, nil
}

type session struct {
	server *mailServer
	authed bool
	env    envelope
}

func (s *session) AuthMechanisms() []string {
	if s.server.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.server.user || pass != s.server.pass {
			return smtp.ErrAuthFailed
		}
		s.authed = true
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.server.user != "" && !s.authed {
		return smtp.ErrAuthRequired
	}
	s.env = envelope{From: from}
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if to == s.server.refuse {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox here"}
	}
	if to == s.server.busy {
		return &smtp.SMTPError{Code: 450, EnhancedCode: smtp.EnhancedCode{4, 2, 1}, Message: "mailbox busy, try later"}
	}
	s.env.To = append(s.env.To, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.env.Data = data
	s.server.mu.Lock()
	s.server.received = append(s.server.received, s.env)
	s.server.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.env = envelope{} }
func (s *session) Logout() error { return nil }

// testCert returns a self-signed certificate for 127.0.0.1 and a pool that
// trusts it.
func testCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatalf("GenerateKey: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "notify test"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(nil, tmpl, tmpl, pub, priv)
	if err != nil {
		t.Fatalf("x509.CreateCertificate: %v", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("x509.ParseCertificate: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: priv, Leaf: leaf}, pool
}

// delivered is what a test checks of a received message.
type delivered struct {
	EnvelopeFrom string
	EnvelopeTo   []string
	From, To     string
	Subject      string
	MessageID    string
	Notification string
	Body         string
}

// parse reads a received message the way a mail client would.
func parse(t *testing.T, e envelope) delivered {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(string(e.Data)))
	if err != nil {
		t.Fatalf("read message: %v\n%s", err, e.Data)
	}
	var dec mime.WordDecoder
	subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("decode subject: %v", err)
	}
	body := msg.Body
	if msg.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
		body = quotedprintable.NewReader(body)
	}
	text, err := io.ReadAll(body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return delivered{
		EnvelopeFrom: e.From,
		EnvelopeTo:   e.To,
		From:         msg.Header.Get("From"),
		To:           msg.Header.Get("To"),
		Subject:      subject,
		MessageID:    msg.Header.Get("Message-Id"),
		Notification: msg.Header.Get("X-Tandem-Notification"),
		// The message ends with a line break, which the body did not have.
		Body: strings.TrimSuffix(strings.ReplaceAll(string(text), "\r\n", "\n"), "\n"),
	}
}

func newSMTP(t *testing.T, rawURL string, pool *x509.CertPool) *notify.SMTP {
	t.Helper()
	s, err := notify.NewSMTP(rawURL)
	if err != nil {
		t.Fatalf("NewSMTP(%q): %v", rawURL, err)
	}
	notify.SetRootCAs(s, pool)
	return s
}

func TestSMTPSend(t *testing.T) {
	cert, pool := testCert(t)
	m := notify.Message{
		ID:      42,
		Channel: notify.ChannelEmail,
		To:      "ana@example.com",
		Subject: "Escalation: Acme Corp — lead untouched for 4h",
		Body:    "Lead Acme Corp has had no first touch for 4 business hours.\nOwner: Bo\n\nOpen: https://tandem.example.com/leads/7",
	}
	want := delivered{
		EnvelopeFrom: "tandem@example.com",
		EnvelopeTo:   []string{"ana@example.com"},
		From:         "<tandem@example.com>",
		To:           "<ana@example.com>",
		Subject:      m.Subject,
		MessageID:    "<tandem-notification-42@example.com>",
		Notification: "42",
		Body:         m.Body,
	}
	for _, tc := range []struct {
		name       string
		mode       int
		user, pass string
		userinfo   string
		query      string
	}{
		{name: "no auth, tls=none", mode: plainText, query: "&tls=none"},
		{name: "PLAIN auth, tls=none", mode: plainText, user: "tandem", pass: "s3cret", userinfo: "tandem:s3cret@", query: "&tls=none"},
		{name: "PLAIN auth, starttls by default", mode: startTLS, user: "tandem", pass: "s3cret", userinfo: "tandem:s3cret@"},
		{name: "no auth, tls=tls", mode: implicitTLS, query: "&tls=tls"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := &mailServer{user: tc.user, pass: tc.pass}
			addr := srv.start(t, tc.mode, cert)
			s := newSMTP(t, "smtp://"+tc.userinfo+addr+"?from=tandem@example.com"+tc.query, pool)
			if err := s.Send(t.Context(), m); err != nil {
				t.Fatalf("Send: %v", err)
			}
			got := srv.messages()
			if len(got) != 1 {
				t.Fatalf("server received %d messages; want 1", len(got))
			}
			if diff := cmp.Diff(want, parse(t, got[0])); diff != "" {
				t.Errorf("received message (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSMTPRetrySameID checks that sending a message again, as the worker does
// after a crash, produces the same Message-ID for receivers to drop.
func TestSMTPRetrySameID(t *testing.T) {
	srv := &mailServer{}
	s := newSMTP(t, "smtp://"+srv.start(t, plainText, tls.Certificate{})+"?from=Tandem%20%3Ctandem@mail.example.org%3E&tls=none", nil)
	m := notify.Message{ID: 7, Channel: notify.ChannelEmail, To: "Bo <bo@example.com>", Subject: "s", Body: "b"}
	for range 2 {
		if err := s.Send(t.Context(), m); err != nil {
			t.Fatalf("Send: %v", err)
		}
	}
	got := srv.messages()
	if len(got) != 2 {
		t.Fatalf("server received %d messages; want 2", len(got))
	}
	for _, e := range got {
		d := parse(t, e)
		if d.MessageID != "<tandem-notification-7@mail.example.org>" || d.Notification != "7" {
			t.Errorf("Message-ID %q, X-Tandem-Notification %q; want <tandem-notification-7@mail.example.org>, 7", d.MessageID, d.Notification)
		}
		if d.From != `"Tandem" <tandem@mail.example.org>` {
			t.Errorf("From = %q; want \"Tandem\" <tandem@mail.example.org>", d.From)
		}
	}
}

// TestSMTPHeaderInjection sends subjects that try to add headers and
// recipients through CR and LF.
func TestSMTPHeaderInjection(t *testing.T) {
	srv := &mailServer{}
	s := newSMTP(t, "smtp://"+srv.start(t, plainText, tls.Certificate{})+"?from=tandem@example.com&tls=none", nil)
	subjects := []string{
		"Escalation\r\nBcc: mallory@example.net\r\nX-Injected: yes",
		"Escalation\nBcc: mallory@example.net\nX-Injected: yes",
		"Escalation\rBcc: mallory@example.net\rX-Injected: yes",
		"Escalation\r\n\r\nX-Injected: yes",
	}
	for i, subject := range subjects {
		m := notify.Message{ID: int64(i + 1), Channel: notify.ChannelEmail, To: "ana@example.com", Subject: subject, Body: "body"}
		if err := s.Send(t.Context(), m); err != nil {
			t.Fatalf("Send(subject %q): %v", subject, err)
		}
	}
	for i, e := range srv.messages() {
		msg, err := mail.ReadMessage(strings.NewReader(string(e.Data)))
		if err != nil {
			t.Fatalf("read message %d: %v", i, err)
		}
		for _, h := range []string{"Bcc", "X-Injected"} {
			if v, ok := msg.Header[h]; ok {
				t.Errorf("subject %q: header %s: %q was injected\n%s", subjects[i], h, v, e.Data)
			}
		}
		if diff := cmp.Diff([]string{"ana@example.com"}, e.To); diff != "" {
			t.Errorf("subject %q: recipients (-want +got):\n%s", subjects[i], diff)
		}
		if got := parse(t, e).Body; got != "body" {
			t.Errorf("subject %q: body = %q; want %q", subjects[i], got, "body")
		}
	}
}

func TestSMTPSendErrors(t *testing.T) {
	cert, pool := testCert(t)
	email := notify.Message{ID: 3, Channel: notify.ChannelEmail, To: "ana@example.com", Subject: "s", Body: "b"}
	for _, tc := range []struct {
		name   string
		server *mailServer
		mode   int
		url    string // with ADDR for the server's address
		m      notify.Message
		want   []string // phrases the error must contain
	}{
		{
			name:   "refused recipient",
			server: &mailServer{refuse: "ana@example.com"},
			url:    "smtp://ADDR?from=tandem@example.com&tls=none",
			m:      email,
			want:   []string{"send email 3", "RCPT TO", "550", "no such mailbox here", "ana@example.com"},
		},
		{
			name:   "wrong password",
			server: &mailServer{user: "tandem", pass: "s3cret"},
			url:    "smtp://tandem:wrong@ADDR?from=tandem@example.com&tls=none",
			m:      email,
			want:   []string{"send email 3", "AUTH", "535"},
		},
		{
			name:   "starttls required but not offered",
			server: &mailServer{},
			url:    "smtp://ADDR?from=tandem@example.com",
			m:      email,
			want:   []string{"send email 3", "STARTTLS"},
		},
		{
			// go-mail sends a password in plain text to localhost only;
			// 127.0.0.2 is the loopback too on Linux, but not localhost
			// by name.
			name:   "password refused without TLS to another host",
			server: &mailServer{user: "tandem", pass: "s3cret", listen: "127.0.0.2:0"},
			mode:   startTLS,
			url:    "smtp://tandem:s3cret@ADDR?from=tandem@example.com&tls=none",
			m:      email,
			want:   []string{"send email 3", "unencrypted"},
		},
		{
			name: "empty recipient",
			url:  "smtp://ADDR?from=tandem@example.com&tls=none",
			m:    notify.Message{ID: 4, Channel: notify.ChannelEmail, Subject: "s"},
			want: []string{"send email 4", "no recipient"},
		},
		{
			name: "bad recipient",
			url:  "smtp://ADDR?from=tandem@example.com&tls=none",
			m:    notify.Message{ID: 5, Channel: notify.ChannelEmail, To: "ana at example.com"},
			want: []string{"send email 5", "recipient"},
		},
		{
			name: "chat message",
			url:  "smtp://ADDR?from=tandem@example.com&tls=none",
			m:    notify.Message{ID: 6, Channel: notify.ChannelChat, Subject: "s"},
			want: []string{"send email 6", `"chat"`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := "127.0.0.1:1" // never dialled when the message is refused first
			if tc.server != nil {
				addr = tc.server.start(t, tc.mode, cert)
			}
			rawURL := strings.Replace(tc.url, "ADDR", addr, 1)
			s := newSMTP(t, rawURL, pool)
			err := s.Send(t.Context(), tc.m)
			if err == nil {
				t.Fatalf("Send(%+v) = nil; want an error", tc.m)
			}
			for _, phrase := range tc.want {
				if !strings.Contains(err.Error(), phrase) {
					t.Errorf("Send(%+v) = %q; want it to contain %q", tc.m, err, phrase)
				}
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("Send(%+v) = %q; the error shows the password", tc.m, err)
			}
			if tc.server != nil && len(tc.server.messages()) != 0 {
				t.Errorf("server received %d messages; want none", len(tc.server.messages()))
			}
		})
	}
}

// TestSMTPContext checks that Send stops when its context ends, even while
// the server says nothing at all.
func TestSMTPContext(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("net.Listen: %v", err)
	}
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait) // cleanups run last first: close the listener, then wait
	t.Cleanup(func() { ln.Close() })
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			// Hold the connection, never greeting, until the client hangs up.
			wg.Go(func() {
				defer conn.Close()
				_, _ = io.Copy(io.Discard, conn)
			})
		}
	})

	s := newSMTP(t, "smtp://"+ln.Addr().String()+"?from=tandem@example.com&tls=none", nil)
	m := notify.Message{ID: 9, Channel: notify.ChannelEmail, To: "ana@example.com", Subject: "s", Body: "b"}

	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = s.Send(ctx, m)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Send with a 200ms deadline = %v; want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Send took %v after its deadline of 200ms", d)
	}

	ctx, cancel = context.WithCancel(t.Context())
	cancel()
	if err := s.Send(ctx, m); !errors.Is(err, context.Canceled) {
		t.Errorf("Send with a cancelled context = %v; want context.Canceled", err)
	}
}

// TestEmailChannelSkipsUsersWithoutEmail routes a notice to a user with an
// email and one known by name only: only the first gets an email.
func TestEmailChannelSkipsUsersWithoutEmail(t *testing.T) {
	n := outbox.Notice{Subject: "s", Body: "b", To: []outbox.Recipient{{UserID: 1, Email: "ana@example.com"}, {UserID: 2}}}
	ds := notify.EmailChannel().Route(outbox.Event{}, n)
	if len(ds) != 1 || ds[0].UserID != 1 || ds[0].Address != "ana@example.com" {
		t.Errorf("notify.EmailChannel().Route(%+v) = %+v; want one email, to ana@example.com", n, ds)
	}
}
