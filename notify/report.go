package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	gomail "github.com/wneessen/go-mail"
)

// Report is the email of a scheduled report (the monthly scorecard, the
// weekly pacing digest): a plain-text and an HTML body, and files
// attached. It does not go through the outbox's notifications, whose
// rows hold plain text only; the schedule's send row plays their part
// (package worker).
type Report struct {
	// Ref identifies the send (its row id) and, with Installation (the
	// database's installation id), the email: the Message-ID of its copy
	// to the i-th recipient is <tandem-report-REF.I.INSTALLATION@DOMAIN>,
	// the same on a retry and never another installation's.
	Ref          int64
	Installation string
	To           []string
	Subject      string
	Text, HTML   string
	Attachments  []Attachment
}

// Attachment is a file attached to a report.
type Attachment struct {
	Name        string // the file name the reader sees
	ContentType string // e.g. "text/html; charset=utf-8", "application/pdf"
	Data        []byte
}

// ReportSender sends report emails; [SMTP] is one.
type ReportSender interface {
	SendReport(ctx context.Context, r Report) error
}

// SendReport sends r to each of its recipients, one email each so that
// no recipient sees the others' addresses. It stops at the first failure
// and returns it: a retry sends every copy again, each with its
// Message-ID, which lets mail stores drop the copies they already have.
func (s *SMTP) SendReport(ctx context.Context, r Report) error {
	if len(r.To) == 0 {
		return errors.New("send report: no recipient")
	}
	for i, to := range r.To {
		if err := s.sendReport(ctx, r, i, to); err != nil {
			return fmt.Errorf("send report %d to %s: %w", r.Ref, to, err)
		}
	}
	return nil
}

func (s *SMTP) sendReport(ctx context.Context, r Report, i int, to string) error {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.From(s.from); err != nil {
		return fmt.Errorf("from: %w", err)
	}
	if err := msg.To(to); err != nil {
		return fmt.Errorf("recipient: %w", err)
	}
	msg.Subject(r.Subject)
	msg.SetMessageIDWithValue(fmt.Sprintf("tandem-report-%d.%d.%s@%s", r.Ref, i, r.Installation, s.domain))
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetBodyString(gomail.TypeTextPlain, r.Text)
	if r.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, r.HTML)
	}
	for _, a := range r.Attachments {
		if err := msg.AttachReader(a.Name, bytes.NewReader(a.Data), gomail.WithFileContentType(gomail.ContentType(a.ContentType))); err != nil {
			return fmt.Errorf("attach %s: %w", a.Name, err)
		}
	}
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
	return err
}
