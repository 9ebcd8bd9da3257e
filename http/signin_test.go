package http

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandemhq/tandem/password"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// fromAddr is a web client whose connections come from the loopback
// address local (127.0.0.2, ...): a real second address on one machine.
func fromAddr(t testing.TB, base, local string) *webClient {
	wc := newWebClient(t, base)
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 10 * time.Second}
	tr := &http.Transport{DialContext: d.DialContext}
	t.Cleanup(tr.CloseIdleConnections)
	wc.client.Transport = tr
	return wc
}

// TestSignInWhileLockedOut: an attacker who guesses an email's password
// from one address locks only their own (address, email) pair; the owner
// signs in from another address meanwhile.
func TestSignInWhileLockedOut(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		db, clk := openDB(t, b)
		pageUsers(t, db)
		s := startServer(t, db, nil)
		const owner = "page-sales_head@example.com"
		attacker, home := fromAddr(t, s.URL(), "127.0.0.2"), fromAddr(t, s.URL(), "127.0.0.3")

		for i := range pairFailures {
			want(t, fmt.Sprintf("attacker's guess %d", i+1), attacker.login(owner, "guess number "+strconv.Itoa(i)), 401, msgWrong)
		}
		r := attacker.login(owner, testPassword)
		want(t, "the attacker's right password, locked out", r, 429, msgThrottled, "Wait 15 minutes")
		if ra := r.header.Get("Retry-After"); ra != strconv.Itoa(int(pairLockout/time.Second)) || attacker.cookie != "" {
			t.Errorf("locked pair: Retry-After %q, cookie %q; want %d and none", ra, attacker.cookie, int(pairLockout/time.Second))
		}
		// The owner, from home, is never refused for the attacker's failures.
		want(t, "the owner from another address", home.login(owner, testPassword), 303, "/")
		want(t, "the owner's home page", home.get("/"), 200, "Hello")

		// Within the lockout the pair stays locked (a refused attempt does
		// not extend it); after it, one failure locks it again.
		clk.Advance(pairLockout - time.Second)
		want(t, "a second before the lockout ends", attacker.login(owner, "guess"), 429, msgThrottled)
		clk.Advance(time.Second)
		want(t, "the guess after the lockout", attacker.login(owner, "guess again"), 401, msgWrong)
		want(t, "right after that guess", attacker.login(owner, testPassword), 429, msgThrottled)

		// A day without failures forgets the pair: five guesses again.
		clk.Advance(pairForget)
		for i := range pairFailures {
			want(t, fmt.Sprintf("a day later, guess %d", i+1), attacker.login(owner, "guess"), 401, msgWrong)
		}
		want(t, "a day later, the sixth", attacker.login(owner, "guess"), 429, msgThrottled)

		// The right password clears the pair's failures.
		const rep = "page-sales_rep@example.com"
		for range pairFailures - 1 {
			want(t, "the rep's typo", home.login(rep, "typo"), 401, msgWrong)
		}
		want(t, "the rep's right password", home.login(rep, testPassword), 303, "/")
		for i := range pairFailures {
			want(t, fmt.Sprintf("after signing in, typo %d", i+1), home.login(rep, "typo"), 401, msgWrong)
		}
		want(t, "after five more typos", home.login(rep, testPassword), 429, msgThrottled)
	})
}

func TestClient(t *testing.T) {
	s := &Server{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8:1::/48")}}
	for _, tc := range []struct {
		name   string
		remote string
		tls    bool
		header http.Header
		want   client
	}{
		{"direct", "198.51.100.7:4711", false, nil, client{netip.MustParseAddr("198.51.100.7"), false}},
		{"direct over TLS", "198.51.100.7:4711", true, nil, client{netip.MustParseAddr("198.51.100.7"), true}},
		{"IPv6 peer", "[2001:db8:2::5]:443", false, nil, client{netip.MustParseAddr("2001:db8:2::5"), false}},
		{"IPv4 mapped into IPv6", "[::ffff:198.51.100.7]:80", false, nil, client{netip.MustParseAddr("198.51.100.7"), false}},
		{"untrusted peer's headers are ignored", "198.51.100.7:4711", false,
			http.Header{"X-Forwarded-For": {"203.0.113.1"}, "X-Forwarded-Proto": {"https"}},
			client{netip.MustParseAddr("198.51.100.7"), false}},
		{"trusted proxy without headers", "10.1.2.3:5555", false, nil, client{netip.MustParseAddr("10.1.2.3"), false}},
		{"trusted proxy", "10.1.2.3:5555", false,
			http.Header{"X-Forwarded-For": {"203.0.113.1"}, "X-Forwarded-Proto": {"https"}},
			client{netip.MustParseAddr("203.0.113.1"), true}},
		{"the client's own X-Forwarded-For is skipped", "10.1.2.3:5555", false,
			http.Header{"X-Forwarded-For": {"1.2.3.4, 203.0.113.1"}},
			client{netip.MustParseAddr("203.0.113.1"), false}},
		{"two trusted proxies", "10.1.2.3:5555", false,
			http.Header{"X-Forwarded-For": {"1.2.3.4, 203.0.113.1, 10.9.9.9"}},
			client{netip.MustParseAddr("203.0.113.1"), false}},
		{"two header lines", "10.1.2.3:5555", false,
			http.Header{"X-Forwarded-For": {"1.2.3.4, 203.0.113.1", "10.9.9.9"}},
			client{netip.MustParseAddr("203.0.113.1"), false}},
		{"every hop trusted", "10.1.2.3:5555", false,
			http.Header{"X-Forwarded-For": {"10.0.0.1, 10.9.9.9"}},
			client{netip.MustParseAddr("10.0.0.1"), false}},
		{"garbage stops the walk", "10.1.2.3:5555", false,
			http.Header{"X-Forwarded-For": {"203.0.113.1, bogus, 10.9.9.9"}},
			client{netip.MustParseAddr("10.9.9.9"), false}},
		{"a port and IPv6 in brackets", "10.1.2.3:5555", false,
			http.Header{"X-Forwarded-For": {"[2001:db8:2::9]:1234"}},
			client{netip.MustParseAddr("2001:db8:2::9"), false}},
		{"an IPv6 proxy", "[2001:db8:1::1]:443", false,
			http.Header{"X-Forwarded-For": {"203.0.113.1:4711"}},
			client{netip.MustParseAddr("203.0.113.1"), false}},
		{"the last proto counts", "10.1.2.3:5555", false,
			http.Header{"X-Forwarded-Proto": {"https, http"}},
			client{netip.MustParseAddr("10.1.2.3"), false}},
		{"the proxy's word on proto beats its own connection", "10.1.2.3:5555", true,
			http.Header{"X-Forwarded-Proto": {"http"}},
			client{netip.MustParseAddr("10.1.2.3"), false}},
		{"proto in capitals", "10.1.2.3:5555", false,
			http.Header{"X-Forwarded-Proto": {"HTTPS"}},
			client{netip.MustParseAddr("10.1.2.3"), true}},
	} {
		r := &http.Request{RemoteAddr: tc.remote, Header: tc.header}
		if tc.tls {
			r.TLS = &tls.ConnectionState{}
		}
		if got := s.client(r); got != tc.want {
			t.Errorf("%s: client(%s, %v) = %+v; want %+v", tc.name, tc.remote, tc.header, got, tc.want)
		}
	}
}

func TestParseTrustedProxy(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // "" for an error
	}{
		{"10.0.0.0/8", "10.0.0.0/8"},
		{"10.1.2.3/8", "10.0.0.0/8"},
		{"192.0.2.10", "192.0.2.10/32"},
		{" 2001:db8::/32 ", "2001:db8::/32"},
		{"2001:db8::1", "2001:db8::1/128"},
		{"::ffff:10.0.0.0/104", "10.0.0.0/8"},
		{"::ffff:10.0.0.0/64", ""},
		{"10.0.0.0/33", ""},
		{"proxy.example", ""},
		{"fe80::1%eth0", ""},
		{"", ""},
	} {
		p, err := ParseTrustedProxy(tc.in)
		got := ""
		if err == nil {
			got = p.String()
		}
		if got != tc.want || (err == nil) != (tc.want != "") {
			t.Errorf("ParseTrustedProxy(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestThrottleKey(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"198.51.100.7", "198.51.100.7"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"},
	} {
		if got := throttleKey(netip.MustParseAddr(tc.in)); got != tc.want {
			t.Errorf("throttleKey(%s) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

// syncBuffer is a log destination safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestTrustedProxy runs requests through a proxy on 127.0.0.1 (trusted)
// and from 127.0.0.2 (not), with forwarded headers: throttling, the
// request log and the cookie follow the client the trusted proxy names,
// and ignore what an untrusted peer claims.
func TestTrustedProxy(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		db, _ := openDB(t, b)
		pageUsers(t, db)
		var logs syncBuffer
		s := startServer(t, db, func(s *Server) {
			s.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
			s.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		})
		const owner = "page-admin@example.com"
		proxy, stranger := fromAddr(t, s.URL(), "127.0.0.1"), fromAddr(t, s.URL(), "127.0.0.2")
		via := func(wc *webClient, addr, proto, pw string) response {
			return wc.post("/login", url.Values{"email": {owner}, "password": {pw}}, "X-Forwarded-For", "203.0.113.66, "+addr, "X-Forwarded-Proto", proto)
		}

		// Through the trusted proxy, each forwarded address is its own
		// client: six guesses from six addresses lock nothing...
		for i := range pairFailures + 1 {
			want(t, fmt.Sprintf("guess via the proxy from 198.51.100.%d", i), via(proxy, fmt.Sprintf("198.51.100.%d", i), "http", "guess"), 401, msgWrong)
		}
		// ... and five from one lock that address's pair only.
		for range pairFailures - 1 {
			want(t, "guess via the proxy from 198.51.100.0", via(proxy, "198.51.100.0", "http", "guess"), 401, msgWrong)
		}
		want(t, "the locked client via the proxy", via(proxy, "198.51.100.0", "http", testPassword), 429, msgThrottled)
		r := via(proxy, "198.51.100.200", "https", testPassword)
		want(t, "the owner via the proxy over HTTPS", r, 303, "/")
		if c := r.header.Get("Set-Cookie"); !strings.Contains(c, "; Secure") {
			t.Errorf("Set-Cookie behind a trusted proxy with X-Forwarded-Proto https = %q; want Secure", c)
		}
		r = via(proxy, "198.51.100.201", "http", testPassword)
		want(t, "the owner via the proxy over HTTP", r, 303, "/")
		if c := r.header.Get("Set-Cookie"); strings.Contains(c, "Secure") {
			t.Errorf("Set-Cookie behind a trusted proxy with X-Forwarded-Proto http = %q; want it not Secure", c)
		}
		want(t, "sign-out via the proxy over HTTPS", proxy.post("/logout", url.Values{}, "X-Forwarded-Proto", "https"), 303, "/login")

		// An untrusted peer's forwarded headers are ignored: guesses
		// "from" six addresses are guesses from 127.0.0.2, and lock it.
		for i := range pairFailures {
			want(t, fmt.Sprintf("stranger's guess %d", i+1), via(stranger, fmt.Sprintf("192.0.2.%d", i), "https", "guess"), 401, msgWrong)
		}
		r = via(stranger, "192.0.2.99", "https", testPassword)
		want(t, "the stranger, locked whatever it forwards", r, 429, msgThrottled)
		r = fromAddr(t, s.URL(), "127.0.0.3").post("/login", url.Values{"email": {owner}, "password": {testPassword}}, "X-Forwarded-Proto", "https")
		want(t, "an untrusted peer saying https", r, 303, "/")
		if c := r.header.Get("Set-Cookie"); strings.Contains(c, "Secure") {
			t.Errorf("Set-Cookie from an untrusted peer with X-Forwarded-Proto https = %q; want it not Secure", c)
		}

		// The request log names the client the trusted proxy gave, and the
		// stranger by its own address.
		log := logs.String()
		for _, w := range []string{"addr=198.51.100.200", "addr=127.0.0.2", "addr=127.0.0.3"} {
			if !strings.Contains(log, "msg=request method=POST path=/login status=303 "+w) &&
				!strings.Contains(log, "msg=request method=POST path=/login status=401 "+w) &&
				!strings.Contains(log, "msg=request method=POST path=/login status=429 "+w) {
				t.Errorf("the request log has no POST /login line with %s:\n%s", w, log)
			}
		}
		if strings.Contains(log, "addr=192.0.2.") || strings.Contains(log, "addr=203.0.113.66") {
			t.Errorf("the log believed a forwarded address it should not:\n%s", log)
		}
	})
}

// selfSigned writes a certificate for 127.0.0.1 and its ECDSA key as PEM
// files in dir, and returns their paths and a pool that trusts it.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("GenerateKey: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "tandem test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("x509.CreateCertificate: %v", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatalf("x509.MarshalECPrivateKey: %v", err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatalf("os.WriteFile: %v", err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatalf("os.WriteFile: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("x509.ParseCertificate: %v", err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestServeTLS serves HTTPS with a certificate made here, signs in over it
// (the cookie is Secure) and refuses TLS older than 1.2.
func TestServeTLS(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		db, _ := openDB(t, b)
		pageUsers(t, db)
		certFile, keyFile, pool := selfSigned(t, t.TempDir())
		s := NewServer(db, nil)
		if err := s.OpenTLS("127.0.0.1:0", certFile, keyFile); err != nil {
			t.Fatalf("OpenTLS: %v", err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			s.Close(ctx)
		})
		if !strings.HasPrefix(s.URL(), "https://127.0.0.1:") {
			t.Fatalf("URL() = %q; want https://127.0.0.1:PORT", s.URL())
		}
		wc := newWebClient(t, s.URL())
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
		t.Cleanup(tr.CloseIdleConnections)
		wc.client.Transport = tr
		r := wc.login("page-executive@example.com", testPassword)
		want(t, "sign-in over HTTPS", r, 303, "/")
		c := r.header.Get("Set-Cookie")
		for _, attr := range []string{"; Secure", "HttpOnly", "SameSite=Lax"} {
			if !strings.Contains(c, attr) {
				t.Errorf("Set-Cookie over HTTPS = %q; want %s", c, attr)
			}
		}
		want(t, "GET / over HTTPS", wc.get("/"), 200, "Hello")

		// TLS 1.1 is refused in the handshake.
		old := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MaxVersion: tls.VersionTLS11}}}
		if resp, err := old.Get(s.URL() + "/login"); err == nil {
			resp.Body.Close()
			t.Errorf("GET /login over TLS 1.1 = %s; want a failed handshake", resp.Status)
		}
		// Plain HTTP to the TLS port gets no page.
		if resp, err := http.Get(strings.Replace(s.URL(), "https:", "http:", 1) + "/login"); err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("plain HTTP to the TLS port = %s; want 400", resp.Status)
			}
		}

		// Files that are not a certificate and key: a clear error.
		bad := NewServer(db, nil)
		if err := bad.OpenTLS("127.0.0.1:0", keyFile, certFile); err == nil || !strings.Contains(err.Error(), "TLS certificate and key") {
			t.Errorf("OpenTLS with the files swapped = %v; want an error about the TLS certificate and key", err)
		}
	})
}

func TestTable(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tb := newTable[int](3, time.Minute)
	for i := range 5 {
		tb.put(strconv.Itoa(i), i, start.Add(time.Duration(i)*time.Second))
	}
	if tb.len() != 3 {
		t.Errorf("a table of at most 3 after 5 puts holds %d", tb.len())
	}
	for _, tc := range []struct {
		key  string
		at   time.Duration
		want bool
	}{
		{"0", 5 * time.Second, false}, // the two put longest ago are gone
		{"1", 5 * time.Second, false},
		{"2", 5 * time.Second, true},
		{"4", 5 * time.Second, true},
		{"2", 62 * time.Second, false}, // a minute after its put
		{"3", 62 * time.Second, true},
		{"4", 64 * time.Second, false},
	} {
		if _, ok := tb.get(tc.key, start.Add(tc.at)); ok != tc.want {
			t.Errorf("get(%s) at +%v = %v; want %v", tc.key, tc.at, ok, tc.want)
		}
	}
	if tb.len() != 0 {
		t.Errorf("after every entry expired the table holds %d", tb.len())
	}
}

// TestThrottleBounded: a flood of made-up emails from many addresses
// keeps the throttle's memory within its caps.
func TestThrottleBounded(t *testing.T) {
	th := newThrottle()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range maxPairs + 1000 {
		addr := fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
		if _, wait := th.begin(addr, fmt.Sprintf("x%d@example.com", i), now); wait != 0 {
			t.Fatalf("begin(%s) = wait %v; want a first attempt let through", addr, wait)
		}
	}
	if th.addrs.len() > maxAddrs || th.pairs.len() > maxPairs {
		t.Errorf("after %d attempts the throttle holds %d addresses and %d pairs; want at most %d and %d",
			maxPairs+1000, th.addrs.len(), th.pairs.len(), maxAddrs, maxPairs)
	}
	if got := th.addrs.len(); got != maxAddrs {
		t.Errorf("addresses held = %d; want %d (the cap)", got, maxAddrs)
	}
}

// TestPasswordRulesEveryPath walks every page that sets a password
// through password.Check: setup and the account page refuse a common
// password, a run and the user's email, naming the password; the admin's
// add and reset make passwords that pass. (The CLI's are in
// cmd/tandem/users_test.go, the demo's in demo_test.go.)
func TestPasswordRulesEveryPath(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		db, _ := openDB(t, b)
		s := startServer(t, db, nil)
		wc := newWebClient(t, s.URL())
		const email = "grace.hopper@example.com"
		for _, tc := range []struct{ pw, says string }{
			{"Password1234!", "The password is one of the most common passwords"},
			{"abcdef123456", "The password is a run of keys"},
			{"gracehopper1906", "The password must not contain the user&#39;s email address or its name before @ (gracehopper)"},
			{"grace.hopper@example.com", "The password must not contain the user&#39;s email address"},
			{"short", "The password must be at least 12 characters long (it has 5)."},
		} {
			form := url.Values{"email": {email}, "name": {"Grace"}, "password": {tc.pw}, "password2": {tc.pw}}
			want(t, "POST /setup with "+tc.pw, wc.post("/setup", form), 422, tc.says)
		}
		if open, _ := db.SetupOpen(context.Background()); !open {
			t.Fatal("a refused setup closed setup")
		}
		const good = "compilers all the way down"
		want(t, "POST /setup", wc.post("/setup", url.Values{"email": {email}, "password": {good}, "password2": {good}}), 303, "/")

		change := func(n string) response {
			return wc.post("/account/password", url.Values{"current": {good}, "new": {n}, "new2": {n}})
		}
		want(t, "a new password with the email's name", change("Grace.Hopper!!"), 422, "must not contain the user&#39;s email")
		want(t, "a common new password", change("iloveyou2026"), 422, "most common passwords")
		want(t, "a run as the new password", change("qwertyuiopasdf"), 422, "run of keys")
		want(t, "a good new password", change("nanoseconds of wire"), 200, "your password is changed")

		// The admin's add and reset make passwords the rules accept.
		r := wc.post("/settings/users", url.Values{"email": {"abcd@example.com"}, "role": {"executive"}})
		want(t, "add a user", r, 200, "added abcd@example.com")
		if pw := shownSecret(t, "add", r); password.Check(pw, "abcd@example.com") != nil {
			t.Errorf("password.Check(%q, abcd@example.com) = %v; want nil", pw, password.Check(pw, "abcd@example.com"))
		}
		r = wc.post("/settings/users/password", url.Values{"email": {"abcd@example.com"}})
		want(t, "reset the user's password", r, 303, "/settings?shown=")
		r = wc.get(r.header.Get("Location"))
		if pw := shownSecret(t, "reset", r); password.Check(pw, "abcd@example.com") != nil {
			t.Errorf("password.Check(%q, abcd@example.com) = %v; want nil", pw, password.Check(pw, "abcd@example.com"))
		}
	})
}
