package outbox

// Channel is one way out for the outbox's events besides the in-app inbox,
// which is always written: email, chat, and next outgoing webhooks. The
// store calls Route in the transaction that writes an event, and writes one
// notification row for each delivery it returns; a sender of the same name
// delivers them later (package worker, package notify).
type Channel struct {
	Name string // the notifications' channel column: "email", "chat"
	// Types are the event types the channel takes; nil takes every type.
	// Route is called only for those.
	Types []string
	// Route returns the deliveries of e on this channel; n is e's notice,
	// zero when e tells nobody ([NoticeOf]). It is pure and must not
	// keep e or n. An event the channel ignores gets nil.
	Route func(e Event, n Notice) []Delivery
}

// Takes reports whether the channel takes events of the type.
func (c Channel) Takes(typ string) bool {
	if c.Types == nil {
		return true
	}
	for _, t := range c.Types {
		if t == typ {
			return true
		}
	}
	return false
}

// Delivery is one message a channel will send for an event.
type Delivery struct {
	UserID  int64  // the person it goes to, 0 for none (a chat room)
	Address string // where it goes on the channel: an email address; "" when the channel knows
	Subject string
	Body    string
}
