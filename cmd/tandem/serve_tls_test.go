package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem/clock"
)

// testCert writes a self-signed certificate for 127.0.0.1 and its ECDSA
// key as PEM files in dir.
func testCert(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("GenerateKey: %v", err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "tandem test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("x509.CreateCertificate: %v", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatalf("x509.MarshalECPrivateKey: %v", err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestServeTLSFlags starts `tandem serve --tls-cert --tls-key
// --trusted-proxy`: it serves HTTPS, and believes the proxy's
// X-Forwarded-For in its request log.
func TestServeTLSFlags(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certFile, keyFile, pool := testCert(t, dir)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := startServing(t, ctx, &Main{Getenv: noEnv, Clock: clock.NewFake(epoch)}, "--db", filepath.Join(dir, "t.db"), "serve", "--addr", "127.0.0.1:0",
		"--tls-cert", certFile, "--tls-key", keyFile, "--trusted-proxy", "10.0.0.0/8", "--trusted-proxy", "127.0.0.1")
	url, stderr, done := srv.url, srv.stderr, srv.done
	if !strings.HasPrefix(url, "https://127.0.0.1:") {
		t.Fatalf("serve is on %q; want an https:// URL; stderr:\n%s", url, stderr)
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	req, _ := http.NewRequest("GET", url+"/healthz", nil)
	req.Header.Set("X-Forwarded-For", "198.51.100.23")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s/healthz over TLS: %v", url, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET %s/healthz = %s; want 200", url, resp.Status)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("serve: exit %d; want 0; stderr:\n%s", code, stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop within 30s")
	}
	if !strings.Contains(stderr.String(), "path=/healthz status=200 addr=198.51.100.23") {
		t.Errorf("the request log does not name the forwarded client 198.51.100.23:\n%s", stderr)
	}
}

func TestServeFlagErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certFile, _, _ := testCert(t, dir)
	db := filepath.Join(dir, "t.db")
	for _, tc := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"--trusted-proxy", "10.0.0.0/33"}, 2, `tandem: --trusted-proxy: "10.0.0.0/33" is not a CIDR block such as 10.0.0.0/8 or an address` + "\n"},
		{[]string{"--trusted-proxy", "proxy.example"}, 2, `tandem: --trusted-proxy: "proxy.example" is not a CIDR block such as 10.0.0.0/8 or an address` + "\n"},
		{[]string{"--tls-cert", certFile}, 2, "tandem: --tls-cert and --tls-key go together: give both or neither\n"},
		{[]string{"--tls-key", certFile}, 2, "tandem: --tls-cert and --tls-key go together: give both or neither\n"},
	} {
		r := tandemCmd(t, clock.NewFake(epoch), db, append([]string{"serve", "--addr", "127.0.0.1:0"}, tc.args...)...)
		if r.code != tc.code || r.stderr != tc.stderr {
			t.Errorf("tandem serve %q = exit %d, stderr %q; want %d, %q", tc.args, r.code, r.stderr, tc.code, tc.stderr)
		}
	}
	// A key that does not go with the certificate: refused at start.
	r := tandemCmd(t, clock.NewFake(epoch), db, "serve", "--addr", "127.0.0.1:0", "--tls-cert", certFile, "--tls-key", certFile)
	if r.code == 0 || !strings.Contains(r.stderr, "the TLS certificate and key") {
		t.Errorf("tandem serve with a certificate as its key = exit %d, stderr %q; want an error about the TLS certificate and key", r.code, r.stderr)
	}
}
