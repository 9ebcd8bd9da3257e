package worker_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/notify"
	"github.com/tandemhq/tandem/schedule"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
	"github.com/tandemhq/tandem/tandemtest"
	"github.com/tandemhq/tandem/worker"
)

// mailbox is a real SMTP server (emersion/go-smtp) on 127.0.0.1 that keeps
// every message it receives.
type mailbox struct {
	mu  sync.Mutex
	got []received
}

type received struct {
	to   []string
	data []byte
}

func (m *mailbox) start(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen for the SMTP server: %v", err)
	}
	srv := smtp.NewServer(m)
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

func (m *mailbox) messages() []received {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.got)
}

func (m *mailbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &mailSession{box: m}, nil }

type mailSession struct {
	box *mailbox
	to  []string
}

func (s *mailSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}
func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.box.mu.Lock()
	s.box.got = append(s.box.got, received{to: s.to, data: b})
	s.box.mu.Unlock()
	return nil
}
func (s *mailSession) Reset()        { s.to = nil }
func (s *mailSession) Logout() error { return nil }

// part is one leaf of a MIME message.
type part struct {
	contentType, filename string
	body                  []byte
}

// parts reads a message's leaves with the standard library's MIME reader,
// decoding quoted-printable and base64 bodies.
func parts(t *testing.T, data []byte) (*mail.Message, []part) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("reading the message: %v", err)
	}
	var out []part
	var walk func(ct string, header map[string][]string, body io.Reader)
	walk = func(ct string, header map[string][]string, body io.Reader) {
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil {
			t.Fatalf("content type %q: %v", ct, err)
		}
		if strings.HasPrefix(mt, "multipart/") {
			r := multipart.NewReader(body, params["boundary"])
			for {
				p, err := r.NextPart()
				if err == io.EOF {
					return
				}
				if err != nil {
					t.Fatalf("reading a part: %v", err)
				}
				walk(p.Header.Get("Content-Type"), p.Header, p) // multipart decodes quoted-printable itself
			}
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatalf("reading a part's body: %v", err)
		}
		if enc := strings.ToLower(first(header["Content-Transfer-Encoding"])); enc == "base64" {
			b = decodeBase64(t, b)
		}
		_, dp, _ := mime.ParseMediaType(first(header["Content-Disposition"]))
		out = append(out, part{contentType: mt, filename: dp["filename"], body: b})
	}
	walk(msg.Header.Get("Content-Type"), msg.Header, msg.Body)
	return msg, out
}

func first(xs []string) string {
	if len(xs) == 0 {
		return ""
	}
	return xs[0]
}

// newYork is the default agreement's zone.
var newYork, _ = time.LoadLocation("America/New_York")

func nyAt(m time.Month, d, h, min int) time.Time {
	y := 2026
	if m < time.June {
		y = 2027
	}
	return time.Date(y, m, d, h, min, 0, 0, newYork).UTC()
}

// TestScheduledScorecardByEmail runs two replicas (two connections to one
// database, each with its own Schedules worker) against a real SMTP
// server. A scorecard schedule made on 30 November to the executives, the
// head of sales and a board address sends nothing for the occurrence
// before it existed, nothing at 07:59 on Tuesday 1 December (the first
// working day), and at 08:00 exactly one email to each recipient although
// both replicas run rounds side by side: November's print view as the HTML
// body and attached as scorecard-2026-11.html. While both are down the
// January occurrence (Monday 4 January: the 1st is a holiday) passes; a
// replica's first round after starting sends it, once.
func TestScheduledScorecardByEmail(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		clk := clock.NewFake(nyAt(time.November, 30, 12, 0))
		open := func() *sqldb.DB {
			db, err := sqldb.Open(ctx, b.DSN, sqldb.Options{Clock: clk})
			if err != nil {
				t.Fatalf("Open(%s): %v", b.Name, err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		}
		one, two := open(), open()
		c := tandemtest.People(t, one)
		c.Sign(t, one, string(agreement.Default()))
		sc, err := one.AddSchedule(ctx, schedule.Schedule{Kind: schedule.Scorecard,
			Roles: []tandem.Role{tandem.RoleExecutive, tandem.RoleSalesHead}, Addresses: []string{"Board@Example.com"}})
		if err != nil {
			t.Fatalf("AddSchedule: %v", err)
		}
		var box mailbox
		sender, err := notify.NewSMTP("smtp://" + box.start(t) + "?from=tandem@example.com&tls=none")
		if err != nil {
			t.Fatalf("NewSMTP: %v", err)
		}
		replicas := []*worker.Schedules{
			{DB: one, Clock: clk, Name: "one", Sender: sender},
			{DB: two, Clock: clk, Name: "two", Sender: sender},
		}
		round := func(when string) int {
			t.Helper()
			var wg sync.WaitGroup
			sent := make([]int, len(replicas))
			for i, r := range replicas {
				wg.Go(func() {
					for range 3 {
						n, err := r.RunOnce(ctx)
						if err != nil {
							t.Errorf("%s: replica %s: RunOnce: %v", when, r.Name, err)
						}
						sent[i] += n
					}
				})
			}
			wg.Wait()
			return sent[0] + sent[1]
		}
		if n := round("30 November"); n != 0 || len(box.messages()) != 0 {
			t.Fatalf("on 30 November: %d sends, %d emails; want none (the 2 November occurrence came before the schedule)", n, len(box.messages()))
		}
		clk.Set(nyAt(time.December, 1, 7, 59))
		if n := round("1 December 07:59"); n != 0 {
			t.Fatalf("at 07:59 on 1 December: %d sends; want 0", n)
		}
		clk.Set(nyAt(time.December, 1, 8, 0))
		if n := round("1 December 08:00"); n != 1 {
			t.Errorf("at 08:00 on 1 December: %d sends; want 1 across both replicas", n)
		}
		want := []string{"board@example.com", c.Eve.Email, c.Sam.Email}
		checkOnce := func(when string, msgs []received) {
			t.Helper()
			var to []string
			for _, m := range msgs {
				to = append(to, m.to...)
			}
			slices.Sort(to)
			if !slices.Equal(to, want) {
				t.Errorf("%s: emails went to %v; want one to each of %v", when, to, want)
			}
		}
		msgs := box.messages()
		checkOnce("1 December", msgs)
		for _, m := range msgs {
			msg, ps := parts(t, m.data)
			if got := msg.Header.Get("Subject"); got != "Scorecard 2026-11" {
				t.Errorf("subject %q; want %q", got, "Scorecard 2026-11")
			}
			var html, file *part
			for i := range ps {
				switch {
				case ps[i].filename != "":
					file = &ps[i]
				case ps[i].contentType == "text/html":
					html = &ps[i]
				}
			}
			if html == nil || !strings.Contains(string(html.body), "<title>Scorecard 2026-11") {
				t.Errorf("to %v: no HTML body with the scorecard of 2026-11 (parts %d)", m.to, len(ps))
			}
			if file == nil || file.filename != "scorecard-2026-11.html" || !strings.HasPrefix(string(file.body), "<!DOCTYPE html>") ||
				strings.Contains(string(file.body), "<script") || strings.Contains(string(file.body), "src=\"http") {
				t.Errorf("to %v: want a self-contained scorecard-2026-11.html attached (no script, nothing fetched); got %+v", m.to, file)
			} else if crlf := []byte("\r\n"); html != nil && !bytes.Equal(bytes.ReplaceAll(file.body, crlf, []byte("\n")), bytes.ReplaceAll(html.body, crlf, []byte("\n"))) {
				// (the HTML body travels as quoted-printable text, whose
				// line ends are CRLF; the file as base64, byte for byte)
				t.Errorf("to %v: the attachment differs from the HTML body; want the print view in both", m.to)
			}
		}
		if n := round("1 December, again"); n != 0 || len(box.messages()) != len(want) {
			t.Errorf("a later round on 1 December: %d sends, %d emails in all; want 0 more", n, len(box.messages()))
		}
		last, err := one.LastSends(ctx)
		if err != nil || last[sc.ID].Occurrence != "2026-11" || last[sc.ID].State != "sent" || last[sc.ID].Recipients != 3 {
			t.Errorf("LastSends = %+v, %v; want 2026-11 sent to 3", last[sc.ID], err)
		}

		// Both replicas are down from 2 December to 5 January.
		clk.Set(nyAt(time.January, 5, 10, 0))
		restarted := &worker.Schedules{DB: two, Clock: clk, Name: "restarted", Sender: sender}
		if n, err := restarted.RunOnce(ctx); err != nil || n != 1 {
			t.Fatalf("the first round after the restart = %d, %v; want December's scorecard sent", n, err)
		}
		msgs = box.messages()[len(want):]
		checkOnce("5 January", msgs)
		for _, m := range msgs {
			if msg, _ := parts(t, m.data); msg.Header.Get("Subject") != "Scorecard 2026-12" {
				t.Errorf("after the restart: subject %q; want Scorecard 2026-12", msg.Header.Get("Subject"))
			}
		}
	})
}

// TestScheduledPacingDigest: a pacing schedule to an address sends, on
// Monday 7 December at 08:00, the month's pacing as text and an HTML
// table, once; a removed schedule sends nothing more.
func TestScheduledPacingDigest(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		clk := clock.NewFake(nyAt(time.December, 2, 12, 0))
		db, err := sqldb.Open(ctx, b.DSN, sqldb.Options{Clock: clk})
		if err != nil {
			t.Fatalf("Open(%s): %v", b.Name, err)
		}
		t.Cleanup(func() { db.Close() })
		c := tandemtest.People(t, db, tandemtest.Mia, tandemtest.Sam, tandemtest.Manu, tandemtest.Rex)
		c.Sign(t, db, string(agreement.Default()))
		sc, err := db.AddSchedule(ctx, schedule.Schedule{Kind: schedule.Pacing, Addresses: []string{"pace@example.com"}})
		if err != nil {
			t.Fatalf("AddSchedule: %v", err)
		}
		var box mailbox
		sender, err := notify.NewSMTP("smtp://" + box.start(t) + "?from=tandem@example.com&tls=none")
		if err != nil {
			t.Fatalf("NewSMTP: %v", err)
		}
		w := &worker.Schedules{DB: db, Clock: clk, Name: "w", Sender: sender}
		clk.Set(nyAt(time.December, 7, 8, 0))
		if n, err := w.RunOnce(ctx); err != nil || n != 1 {
			t.Fatalf("RunOnce on Monday 08:00 = %d, %v; want 1", n, err)
		}
		msgs := box.messages()
		if len(msgs) != 1 || !slices.Equal(msgs[0].to, []string{"pace@example.com"}) {
			t.Fatalf("emails %d; want one to pace@example.com", len(msgs))
		}
		msg, ps := parts(t, msgs[0].data)
		if got := msg.Header.Get("Subject"); got != "Pacing 2026-12, week 50" {
			t.Errorf("subject %q; want %q", got, "Pacing 2026-12, week 50")
		}
		var text, html string
		for _, p := range ps {
			switch p.contentType {
			case "text/plain":
				text = string(p.body)
			case "text/html":
				html = string(p.body)
			}
		}
		if !strings.Contains(text, "Pacing 2026-12, day 7 of 31") || !strings.Contains(text, "mql") {
			t.Errorf("text body %q; want the pacing of day 7 of 31 with its stages", text)
		}
		if !strings.Contains(html, "<table") || !strings.Contains(html, "<td>mql</td>") {
			t.Errorf("HTML body %q; want a table of the stages", html)
		}
		if err := db.RemoveSchedule(ctx, sc.ID); err != nil {
			t.Fatalf("RemoveSchedule: %v", err)
		}
		if err := db.RemoveSchedule(ctx, sc.ID); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("RemoveSchedule twice = %v; want ENOTFOUND", err)
		}
		clk.Set(nyAt(time.December, 14, 9, 0))
		if n, err := w.RunOnce(ctx); err != nil || n != 0 || len(box.messages()) != 1 {
			t.Errorf("after removal: RunOnce = %d, %v, %d emails; want nothing more", n, err, len(box.messages()))
		}
	})
}

func decodeBase64(t *testing.T, b []byte) []byte {
	t.Helper()
	out, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(b)), ""))
	if err != nil {
		t.Fatalf("decoding a base64 part: %v", err)
	}
	return out
}
