// Package notify holds Tandem's channels, the ways its events go out
// besides the in-app inbox ([Channels]): email through an SMTP server
// ([SMTP]) and chat messages through a Slack-compatible incoming webhook
// ([Webhook]). Each [Channel] says what it delivers for an event and opens
// its [Sender]. The outbox that holds the events and their messages, and the
// worker that claims them, live elsewhere; this package renders and sends.
//
// # Idempotency
//
// Each [Message] carries the id of its outbox row, and that id is the
// message's idempotency key. Delivery is at least once: the worker records a
// message as sent only after [Sender.Send] returns nil, so a crash, a lost
// reply or a timeout between the receiver accepting a message and the outbox
// recording it makes the worker send it again. To let receivers recognise the
// second copy, everything that identifies a message is derived from the row id
// alone and what is stored with it, never from the time of sending or a
// random number: an email's Message-ID is
// <tandem-notification-ID.CREATED.INSTALLATION@DOMAIN>, where CREATED is
// when the row was written (Unix microseconds), INSTALLATION the database's
// random installation id and DOMAIN the domain of the from address; both
// email and chat requests carry the header X-Tandem-Notification: ID. A
// receiver that remembers the ids it has seen can drop the duplicate; many
// mail stores do so by Message-ID on their own. A plain Slack webhook does
// not, so a chat message may, rarely, arrive twice.
//
// The installation id keeps two installations sharing a from address apart,
// and the creation time keeps apart the messages of a database restored to
// before messages it had already sent, whose new rows reuse row ids.
package notify

import (
	"context"
	"errors"
	"time"

	"github.com/tandemhq/tandem/outbox"
)

// Message is one notification to deliver.
type Message struct {
	ID      int64  // the outbox row id: the idempotency key
	Channel string // ChannelEmail, ChannelChat or another channel's name
	To      string // the recipient's address on the channel (email); "" for chat
	Subject string
	Body    string // plain text, may have several lines
	// Event is the outbox event the message delivers, for a channel that
	// sends the event itself (docs/events.md); zero for a message written
	// before events were.
	Event outbox.Event
	// CreatedAt is when the notification was written, and Installation
	// the database's installation id: with ID they make an email's
	// Message-ID, which no other installation, nor this one after a
	// restore, gives another message.
	CreatedAt    time.Time
	Installation string
}

// ErrPermanent marks a send refused for good (an SMTP 5xx answer to the
// sender, a recipient or the message): it is not retried but
// dead-lettered. Test for it with errors.Is.
var ErrPermanent = errors.New("refused for good, not retried")

// Channels a message can be delivered on.
const (
	ChannelInbox = "inbox" // in-app; never sent by a Sender
	ChannelEmail = "email"
	ChannelChat  = "chat"
)

// Sender delivers a message or returns an error saying why not; the caller
// retries failed messages later with backoff. A Sender may deliver a message
// and still return an error (the connection broke before the receiver
// confirmed), so a retry can deliver a duplicate: see the package
// documentation. Send must be safe for concurrent use.
type Sender interface {
	Send(ctx context.Context, m Message) error
}
