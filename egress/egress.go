// Package egress says which network addresses Tandem's outgoing webhooks
// may reach, and enforces it where the connection is made.
//
// A webhook subscription's URL is given by an admin or by a program holding
// an admin's token; without a guard it could make Tandem's server post to
// the machines only that server can reach (a database's admin port, a cloud
// metadata service at 169.254.169.254): server-side request forgery. The
// guard refuses private, loopback, link-local and other non-public
// addresses unless the operator allows them (serve --allow-private-webhooks,
// for receivers on the company's own network). It checks the address the
// connection is really made to, after name resolution, so a name that
// resolves to a private address, or that changes its answer between the
// check and the post (DNS rebinding), is refused too.
package egress

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Policy is what outgoing webhooks may reach. The zero Policy allows only
// public addresses.
type Policy struct {
	// AllowPrivate lets webhooks reach every address, private networks and
	// this machine included.
	AllowPrivate bool
}

// blocked are the address ranges a zero Policy refuses, with the words an
// error uses for each. IPv4-mapped IPv6 addresses are checked as IPv4.
var blocked = []struct {
	prefix netip.Prefix
	what   string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "a 'this network' address"},
	{netip.MustParsePrefix("10.0.0.0/8"), "a private address"},
	{netip.MustParsePrefix("100.64.0.0/10"), "a shared (carrier-grade NAT) address"},
	{netip.MustParsePrefix("127.0.0.0/8"), "a loopback address"},
	{netip.MustParsePrefix("169.254.0.0/16"), "a link-local address"},
	{netip.MustParsePrefix("172.16.0.0/12"), "a private address"},
	{netip.MustParsePrefix("192.0.0.0/24"), "an IETF protocol address"},
	{netip.MustParsePrefix("192.168.0.0/16"), "a private address"},
	{netip.MustParsePrefix("198.18.0.0/15"), "a benchmarking address"},
	{netip.MustParsePrefix("224.0.0.0/4"), "a multicast address"},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved address"},
	{netip.MustParsePrefix("::/128"), "the unspecified address"},
	{netip.MustParsePrefix("::1/128"), "a loopback address"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "a local IPv4/IPv6 translation address"},
	{netip.MustParsePrefix("fc00::/7"), "a private (unique local) address"},
	{netip.MustParsePrefix("fe80::/10"), "a link-local address"},
	{netip.MustParsePrefix("ff00::/8"), "a multicast address"},
}

// CheckAddr returns nil when p lets a webhook reach ip, or an error saying
// what kind of address it is and how to allow it.
func (p Policy) CheckAddr(ip netip.Addr) error {
	if p.AllowPrivate {
		return nil
	}
	if !ip.IsValid() {
		return fmt.Errorf("no address")
	}
	ip = ip.Unmap()
	for _, b := range blocked {
		if b.prefix.Contains(ip) {
			return fmt.Errorf("%s is %s: outgoing webhooks may reach public addresses only (serve --allow-private-webhooks allows the rest)", ip, b.what)
		}
	}
	return nil
}

// CheckURL returns nil when p may let a webhook reach raw's host as far as
// can be told without resolving it: a host that is an address is checked,
// and "localhost" (and names under it) is refused like 127.0.0.1. A name is
// checked when the connection is made ([Policy.DialContext]).
func (p Policy) CheckURL(raw string) error {
	if p.AllowPrivate {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil // the URL's own check names this
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return fmt.Errorf("%s is this machine: outgoing webhooks may reach public addresses only (serve --allow-private-webhooks allows the rest)", host)
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return p.CheckAddr(ip)
	}
	return nil
}

// DialContext connects like [net.Dialer.DialContext], refusing every address
// p does not allow: the check is made on the address connected to, after
// name resolution, for each address tried.
func (p Policy) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{
		Timeout:   10 * time.Second,
		KeepAlive: 30 * time.Second,
		Control: func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("egress: %q is not an address", address)
			}
			return p.CheckAddr(ap.Addr())
		},
	}
	return d.DialContext(ctx, network, addr)
}
