package egress_test

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/tandemhq/tandem/egress"
)

// TestCheckAddr: the zero policy refuses every non-public kind of address,
// IPv4-mapped IPv6 included, naming the kind, and lets public ones through;
// AllowPrivate lets everything through.
func TestCheckAddr(t *testing.T) {
	for _, tc := range []struct {
		addr string
		kind string // "" when allowed
	}{
		{"127.0.0.1", "loopback"},
		{"127.8.9.10", "loopback"},
		{"::1", "loopback"},
		{"::ffff:127.0.0.1", "loopback"},
		{"10.1.2.3", "private"},
		{"172.16.0.1", "private"},
		{"172.31.255.255", "private"},
		{"192.168.1.1", "private"},
		{"::ffff:192.168.1.1", "private"},
		{"fd00::1", "private"},
		{"169.254.169.254", "link-local"},
		{"fe80::1", "link-local"},
		{"0.0.0.0", "this network"},
		{"::", "unspecified"},
		{"100.64.0.1", "carrier-grade"},
		{"224.0.0.1", "multicast"},
		{"ff02::1", "multicast"},
		{"255.255.255.255", "reserved"},
		{"8.8.8.8", ""},
		{"172.32.0.1", ""},
		{"100.128.0.1", ""},
		{"93.184.216.34", ""},
		{"2606:4700::1111", ""},
	} {
		err := egress.Policy{}.CheckAddr(netip.MustParseAddr(tc.addr))
		switch {
		case tc.kind == "" && err != nil:
			t.Errorf("CheckAddr(%s) = %v; want allowed", tc.addr, err)
		case tc.kind != "" && (err == nil || !strings.Contains(err.Error(), tc.kind) || !strings.Contains(err.Error(), "--allow-private-webhooks")):
			t.Errorf("CheckAddr(%s) = %v; want refused as %s, saying how to allow it", tc.addr, err, tc.kind)
		}
		if err := (egress.Policy{AllowPrivate: true}).CheckAddr(netip.MustParseAddr(tc.addr)); err != nil {
			t.Errorf("AllowPrivate CheckAddr(%s) = %v; want allowed", tc.addr, err)
		}
	}
}

// TestCheckURL: hosts that are addresses or localhost are judged without
// resolving anything; other names pass, to be checked at connection.
func TestCheckURL(t *testing.T) {
	for _, tc := range []struct {
		url     string
		refused bool
	}{
		{"http://127.0.0.1:8080/hook", true},
		{"https://[::1]/x", true},
		{"http://169.254.169.254/latest/meta-data/", true},
		{"http://localhost/x", true},
		{"http://LOCALHOST./x", true},
		{"http://api.localhost/x", true},
		{"http://10.0.0.7/x", true},
		{"https://hooks.example.com/in", false},
		{"https://93.184.216.34/in", false},
		{"not a url at all", false},
	} {
		err := egress.Policy{}.CheckURL(tc.url)
		if (err != nil) != tc.refused {
			t.Errorf("CheckURL(%q) = %v; want refused=%v", tc.url, err, tc.refused)
		}
		if err := (egress.Policy{AllowPrivate: true}).CheckURL(tc.url); err != nil {
			t.Errorf("AllowPrivate CheckURL(%q) = %v", tc.url, err)
		}
	}
}

// TestDialRefusesAfterResolving: a connection to a listening loopback port
// is refused by the zero policy, also when it is asked for by the name
// "localhost", which only resolution turns into an address; AllowPrivate
// connects.
func TestDialRefusesAfterResolving(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	for _, host := range []string{"127.0.0.1", "localhost"} {
		addr := net.JoinHostPort(host, strconv.Itoa(port))
		if c, err := (egress.Policy{}).DialContext(context.Background(), "tcp", addr); err == nil {
			c.Close()
			t.Errorf("Dial(%s) with the zero policy connected; want refused", addr)
		} else if !strings.Contains(err.Error(), "loopback") {
			t.Errorf("Dial(%s) = %v; want a loopback refusal", addr, err)
		}
		c, err := (egress.Policy{AllowPrivate: true}).DialContext(context.Background(), "tcp", addr)
		if err != nil {
			t.Errorf("Dial(%s) with AllowPrivate = %v; want connected", addr, err)
			continue
		}
		c.Close()
	}
}
