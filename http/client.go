package http

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// client is where a request came from, as far as the server can trust it:
// the one answer that sign-in throttling, the request log and the session
// cookie use.
type client struct {
	Addr  netip.Addr // the client's address; invalid when unknown
	HTTPS bool       // whether the browser's own request was HTTPS
}

// client works out where r came from. The connection's peer is the client,
// unless the peer is one of the trusted proxies ([Server.TrustedProxies]):
// then the client is the right-most address of X-Forwarded-For that is not
// a trusted proxy (addresses to its left are whatever the client sent, and
// prove nothing), and the request was HTTPS when the last
// X-Forwarded-Proto says so (the one the nearest proxy set). From any other
// peer both headers are ignored.
func (s *Server) client(r *http.Request) client {
	c := client{Addr: peerAddr(r.RemoteAddr), HTTPS: r.TLS != nil}
	if !s.trusted(c.Addr) {
		return c
	}
	hops := r.Header.Values("X-Forwarded-For")
walk:
	for i := len(hops) - 1; i >= 0; i-- {
		list := strings.Split(hops[i], ",")
		for j := len(list) - 1; j >= 0; j-- {
			a, ok := hopAddr(list[j])
			if !ok {
				// A hop no address can be read from: the nearest proxy that
				// spoke for it is the best known.
				break walk
			}
			c.Addr = a
			if !s.trusted(a) {
				break walk
			}
		}
	}
	if protos := r.Header.Values("X-Forwarded-Proto"); len(protos) > 0 {
		last := protos[len(protos)-1]
		if k := strings.LastIndexByte(last, ','); k >= 0 {
			last = last[k+1:]
		}
		c.HTTPS = strings.EqualFold(strings.TrimSpace(last), "https")
	}
	return c
}

// trusted reports whether a is one of the trusted proxies.
func (s *Server) trusted(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	for _, p := range s.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// peerAddr is the address of a connection's peer, given as host:port; an
// IPv4 address mapped into IPv6 is given as IPv4.
func peerAddr(hostport string) netip.Addr {
	if ap, err := netip.ParseAddrPort(hostport); err == nil {
		return ap.Addr().Unmap()
	}
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	a, _ := netip.ParseAddr(host)
	return a.Unmap()
}

// hopAddr reads one entry of X-Forwarded-For: an address, possibly with a
// port ("203.0.113.9:4711", "[2001:db8::1]:443"). A zone is not allowed.
func hopAddr(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if ap, err := netip.ParseAddrPort(s); err == nil {
		s = ap.Addr().String()
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// ParseTrustedProxy reads a trusted proxy as `tandem serve --trusted-proxy`
// takes it: a CIDR block ("10.0.0.0/8", "2001:db8::/32") or one address.
func ParseTrustedProxy(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not a CIDR block such as 10.0.0.0/8 or an address", s)
		}
		if p.Addr().Is4In6() {
			// ::ffff:10.0.0.0/104 is 10.0.0.0/8: peers are compared as IPv4.
			if p.Bits() < 96 {
				return netip.Prefix{}, fmt.Errorf("%q mixes IPv4 and IPv6: give the IPv4 block", s)
			}
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("%q is not a CIDR block such as 10.0.0.0/8 or an address", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// throttleKey is the key of a's sign-in attempts: the address itself for
// IPv4, and its /64 network for IPv6, since one machine usually holds a
// whole /64 and could otherwise take a fresh address for each attempt.
func throttleKey(a netip.Addr) string {
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}
