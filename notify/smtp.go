package notify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem/outbox"

	gomail "github.com/wneessen/go-mail"
)

// EmailChannel sends one email to each person an event tells
// (escalations and jeopardy alerts), through an SMTP server ([SMTP]).
func EmailChannel() Channel {
	return Channel{
		Channel: outbox.Channel{Name: ChannelEmail, Types: []string{outbox.EscalationSent, outbox.AlertRaised}, Route: func(_ outbox.Event, n outbox.Notice) []outbox.Delivery {
			ds := make([]outbox.Delivery, 0, len(n.To))
			for _, r := range n.To {
				if r.Email == "" {
					continue // a user known by name only: the inbox tells them
				}
				ds = append(ds, outbox.Delivery{UserID: r.UserID, Address: r.Email, Subject: n.Subject, Body: n.Body})
			}
			return ds
		}},
		Flag: "smtp", Env: "TANDEM_SMTP_URL",
		Usage: "SMTP server for escalation and alert email: smtp://[user:pass@]host:port?from=ADDR[&tls=none|starttls|tls]",
		Open:  func(config string) (Sender, error) { return NewSMTP(config) },
	}
}

// smtpTimeout bounds one Send, from dialling to QUIT, when ctx allows longer.
// It is generous because some servers delay their greeting on purpose.
const smtpTimeout = 30 * time.Second

// defaultPort returns the port an SMTP URL's TLS mode uses when the URL
// names none, and false for an unknown mode.
func defaultPort(tlsMode string) (string, bool) {
	switch tlsMode {
	case "starttls":
		return "587", true // submission; STARTTLS required
	case "tls":
		return "465", true // submissions; TLS from the first byte
	case "none":
		return "25", true // no TLS at all, for a relay on the same host or network
	}
	return "", false
}

// SMTP is a [Sender] that sends email through one SMTP server. It is safe for
// concurrent use: each Send opens its own connection and closes it before
// returning.
type SMTP struct {
	host, port string
	tls        string // "starttls", "tls" or "none"
	user, pass string // no authentication when user is ""
	from       string // the From address, as given in the URL
	domain     string // the from address's domain: the right side of Message-IDs
	rootCAs    *x509.CertPool
}

// NewSMTP returns a Sender that sends email through the SMTP server in rawURL:
//
//	smtp://[user:pass@]host[:port]?from=tandem@example.com[&tls=none|starttls|tls]
//
// tls=starttls, the default, requires the server to offer STARTTLS and fails
// the send when it does not: falling back to plain text would let anyone on
// the path remove the offer and read the password and the messages. tls=tls
// speaks TLS from the first byte (port 465), and tls=none never uses TLS, for
// a relay on the same host or network. The port defaults to 587, 465 or 25
// for starttls, tls and none. With a user and password, Send authenticates
// with PLAIN or LOGIN, which go-mail allows only over TLS or to localhost.
//
// NewSMTP returns an error naming the part of the URL that is wrong; the
// error never repeats the password.
func NewSMTP(rawURL string) (*SMTP, error) {
	s, err := parseSMTP(rawURL)
	if err != nil {
		return nil, fmt.Errorf("smtp url: %w", err)
	}
	return s, nil
}

func parseSMTP(rawURL string) (*SMTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// A *url.Error repeats the whole URL, password included.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, err
	}
	if u.Scheme != "smtp" {
		return nil, fmt.Errorf("scheme is %q, want smtp", u.Scheme)
	}
	if u.Opaque != "" || u.Hostname() == "" {
		return nil, errors.New("missing host")
	}
	if (u.Path != "" && u.Path != "/") || u.Fragment != "" {
		return nil, errors.New("unexpected path: want smtp://[user:pass@]host[:port]?from=...")
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	for k := range q {
		if k != "from" && k != "tls" {
			return nil, fmt.Errorf("unknown parameter %q: want from and tls", k)
		}
		if len(q[k]) > 1 {
			return nil, fmt.Errorf("parameter %q is given more than once", k)
		}
	}

	s := &SMTP{host: u.Hostname(), tls: "starttls"}
	if q.Has("tls") {
		s.tls = q.Get("tls")
	}
	port, ok := defaultPort(s.tls)
	if !ok {
		return nil, fmt.Errorf("unknown tls value %q: want none, starttls or tls", s.tls)
	}

	s.port = u.Port()
	if s.port == "" {
		s.port = port
	} else if n, err := strconv.Atoi(s.port); err != nil || n < 1 || n > 65535 {
		return nil, fmt.Errorf("bad port %q: want 1 to 65535", s.port)
	}

	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
		if s.user == "" {
			return nil, errors.New("password without a user name")
		}
		if s.pass == "" {
			return nil, errors.New("user name without a password")
		}
	}

	s.from = q.Get("from")
	if s.from == "" {
		return nil, errors.New("missing from: add ?from=tandem@example.com")
	}
	addr, err := mail.ParseAddress(s.from)
	if err != nil {
		return nil, fmt.Errorf("invalid from %q: %w", s.from, err)
	}
	s.domain = addr.Address[strings.LastIndexByte(addr.Address, '@')+1:]
	for _, r := range s.domain {
		// The domain goes into Message-ID headers, which must be ASCII.
		if r <= ' ' || r > '~' {
			return nil, fmt.Errorf("invalid from %q: the domain must be ASCII (punycode)", s.from)
		}
	}
	return s, nil
}

// Send sends m as a plain-text email to m.To. The Message-ID and the
// X-Tandem-Notification header are derived from m.ID, so that a retry is
// recognisably the same message. Send gives up when ctx ends or after 30
// seconds. Once the server has accepted the message, Send returns nil even if
// the connection then fails, since a retry would only send a duplicate.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	if err := s.send(ctx, m); err != nil {
		return fmt.Errorf("send email %d: %w", m.ID, err)
	}
	return nil
}

func (s *SMTP) send(ctx context.Context, m Message) error {
	if m.Channel != ChannelEmail {
		return fmt.Errorf("channel is %q, want %q", m.Channel, ChannelEmail)
	}
	if m.To == "" {
		return errors.New("no recipient")
	}
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.From(s.from); err != nil {
		return fmt.Errorf("from: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("recipient: %w", err)
	}
	// go-mail encodes header values (RFC 2047), so a CR or LF in the
	// subject cannot start a header of its own.
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(messageID(m, s.domain))
	msg.SetGenHeader(headerNotification, strconv.FormatInt(m.ID, 10))
	// Asks mail systems not to answer with out-of-office replies (RFC 3834).
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetBodyString(gomail.TypeTextPlain, m.Body)

	ctx, cancel := context.WithTimeout(ctx, smtpTimeout)
	defer cancel()
	c, err := gomail.NewClient(s.host, s.options(ctx)...)
	if err != nil {
		return err
	}
	err = c.DialAndSendWithContext(ctx, msg)
	switch {
	case err == nil || msg.IsDelivered():
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	// A 5xx to MAIL FROM, RCPT TO or the message is the server's final
	// answer; a 4xx, a dropped connection or a failed login may pass.
	var se *gomail.SendError
	if errors.As(err, &se) && se.ErrorCode() >= 500 && se.ErrorCode() <= 599 {
		return fmt.Errorf("%w (%w)", err, ErrPermanent)
	}
	return err
}

// messageID returns the Message-ID of m: the same on every attempt, and
// never another message's (see the package documentation).
func messageID(m Message, domain string) string {
	if m.Installation == "" { // a caller that has no database
		return fmt.Sprintf("tandem-notification-%d@%s", m.ID, domain)
	}
	return fmt.Sprintf("tandem-notification-%d.%d.%s@%s", m.ID, m.CreatedAt.UnixMicro(), m.Installation, domain)
}

// options returns the go-mail options for one Send bounded by ctx.
func (s *SMTP) options(ctx context.Context) []gomail.Option {
	tlsConfig := &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12, RootCAs: s.rootCAs}
	dial := func(dctx context.Context, _, _ string) (net.Conn, error) {
		// The address go-mail passes is not bracketed for IPv6; ours is.
		addr := net.JoinHostPort(s.host, s.port)
		var d net.Dialer
		var conn net.Conn
		var err error
		if s.tls == "tls" {
			// A *tls.Conn, unwrapped, is how go-mail's auth knows the
			// connection is encrypted.
			conn, err = (&tls.Dialer{NetDialer: &d, Config: tlsConfig}).DialContext(dctx, "tcp", addr)
		} else {
			conn, err = d.DialContext(dctx, "tcp", addr)
		}
		if err != nil {
			return nil, err
		}
		// go-mail bounds each command by its own timeout, not by ctx, and
		// leaves the connection open when STARTTLS or AUTH fails. Closing
		// it when ctx ends, which is at the latest when Send returns,
		// covers both.
		context.AfterFunc(ctx, func() { conn.Close() })
		return conn, nil
	}
	opts := []gomail.Option{gomail.WithDialContextFunc(dial), gomail.WithTLSConfig(tlsConfig)}
	switch s.tls {
	case "starttls":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case "tls":
		opts = append(opts, gomail.WithSSL())
	case "none":
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if s.user != "" {
		opts = append(opts,
			gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthPlain, gomail.SMTPAuthLogin),
			gomail.WithUsername(s.user), gomail.WithPassword(s.pass))
	}
	return opts
}

// headerNotification carries a message's outbox id on email and webhook
// requests alike.
const headerNotification = "X-Tandem-Notification"
