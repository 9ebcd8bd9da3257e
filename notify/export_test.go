package notify

import "crypto/x509"

// SetRootCAs makes s trust the certificates in pool instead of the system's,
// so that tests can run a TLS server with a certificate of their own.
func SetRootCAs(s *SMTP, pool *x509.CertPool) { s.rootCAs = pool }
