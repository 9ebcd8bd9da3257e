package notify

import "github.com/tandemhq/tandem/outbox"

// Channel is one way Tandem's events go out besides the in-app inbox:
// what it delivers for an event (the embedded [outbox.Channel], which the
// store calls as it writes the event), how tandem serve turns it on, and
// the [Sender] that delivers it. A channel is one file that defines it and
// one line in [Channels].
type Channel struct {
	outbox.Channel
	Flag  string // serve's flag giving its configuration, like "smtp"
	Env   string // the environment variable giving the same
	Usage string // the flag's help
	// Open returns the Sender for the flag's value, or an error naming what
	// is wrong with it (never repeating a secret).
	Open func(config string) (Sender, error)
}

// Channels returns every channel Tandem has, in the order serve lists
// their flags.
func Channels() []Channel {
	return []Channel{
		EmailChannel(),
		ChatChannel(),
	}
}

// Routes returns the channels' routes, for the store ([sqldb.Options]).
func Routes(chs []Channel) []outbox.Channel {
	rs := make([]outbox.Channel, len(chs))
	for i, ch := range chs {
		rs[i] = ch.Channel
	}
	return rs
}
