// Package webhook signs and verifies HTTP webhooks the way the Standard
// Webhooks specification (standardwebhooks.com) says: three headers,
// webhook-id, webhook-timestamp and webhook-signature, where the signature is
// "v1," followed by the base64 HMAC-SHA256 of "id.timestamp.body" under a
// secret written "whsec_<base64>".
//
// It is pure: no clock, no network, no randomness except in [NewSecret]. The
// outgoing webhooks (package notify) sign with it and the inbound hooks verify
// with it, so both ends of Tandem speak one scheme that any Standard Webhooks
// library can check.
package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The header names of the specification. HTTP headers are case-insensitive;
// these are the spellings the specification uses.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// SecretPrefix starts a secret's written form.
const SecretPrefix = "whsec_"

// Tolerance is how far a message's timestamp may be from now, either way, for
// [Verify] to accept it: the specification's suggestion, which bounds replays.
const Tolerance = 5 * time.Minute

// Limits that keep Verify's work bounded whatever a sender puts in the headers.
const (
	// MinSecretBytes and MaxSecretBytes are the specification's bounds on a
	// secret's length (192 to 512 bits).
	MinSecretBytes = 24
	MaxSecretBytes = 64
	// MaxIDLength bounds webhook-id.
	MaxIDLength = 256
	// MaxSignatures bounds how many space-separated signatures
	// webhook-signature may carry (one per secret during a rotation).
	MaxSignatures = 16
	// maxSignatureHeader bounds the header's length before it is split.
	maxSignatureHeader = 4096
)

// Errors [Verify] returns; each is wrapped with the detail that failed.
var (
	// ErrMissing: a header is absent or empty.
	ErrMissing = errors.New("missing webhook header")
	// ErrMalformed: a header cannot be read (bad timestamp, too long).
	ErrMalformed = errors.New("malformed webhook header")
	// ErrTimestamp: the timestamp is further than Tolerance from now.
	ErrTimestamp = errors.New("webhook timestamp out of tolerance")
	// ErrSignature: no v1 signature matches the body under the secret.
	ErrSignature = errors.New("webhook signature does not match")
)

// Secret is the key that signs and verifies: the bytes behind "whsec_...".
type Secret []byte

// NewSecret returns a new random 32-byte secret.
func NewSecret() Secret {
	s := make(Secret, 32)
	rand.Read(s) // never fails (crypto/rand since Go 1.24)
	return s
}

// ParseSecret reads a secret written "whsec_<base64>" (standard base64 with
// padding). The prefix may be left off, as the reference libraries allow. The
// decoded key must hold 24 to 64 bytes.
func ParseSecret(s string) (Secret, error) {
	b64 := strings.TrimPrefix(strings.TrimSpace(s), SecretPrefix)
	if b64 == "" {
		return nil, errors.New("webhook secret: empty")
	}
	if len(b64) > base64.StdEncoding.EncodedLen(MaxSecretBytes) {
		return nil, fmt.Errorf("webhook secret: longer than %d bytes", MaxSecretBytes)
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("webhook secret: not base64 after %q: %v", SecretPrefix, err)
	}
	if len(key) < MinSecretBytes || len(key) > MaxSecretBytes {
		return nil, fmt.Errorf("webhook secret: %d bytes, want %d to %d", len(key), MinSecretBytes, MaxSecretBytes)
	}
	return Secret(key), nil
}

// String writes the secret as "whsec_<base64>". It is the secret itself:
// show it to its owner once and never log it.
func (s Secret) String() string {
	return SecretPrefix + base64.StdEncoding.EncodeToString(s)
}

// Sign returns the webhook-signature value for a message: "v1," and the
// base64 HMAC-SHA256 of id, ".", the Unix seconds of ts, ".", and body.
func Sign(secret Secret, id string, ts time.Time, body []byte) string {
	return "v1," + base64.StdEncoding.EncodeToString(mac(secret, id, strconv.FormatInt(ts.Unix(), 10), body))
}

func mac(secret Secret, id, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(id))
	h.Write([]byte{'.'})
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// SetHeaders sets the three headers on h for body signed by secret, as sent
// at ts. A retry sends the same id with a new ts, as the specification asks.
func SetHeaders(h http.Header, secret Secret, id string, ts time.Time, body []byte) {
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderSignature, Sign(secret, id, ts, body))
}

// Verify checks a received message: h's webhook-timestamp must be within
// [Tolerance] of now and one of the space-separated "v1,<base64>" entries of
// webhook-signature must be body's signature under one of secrets (more than
// one while a secret is rotated). Entries of other versions (such as "v1a",
// the asymmetric scheme) are skipped. It returns the message's webhook-id,
// which stays the same across retries and so tells duplicates apart. The
// error wraps [ErrMissing], [ErrMalformed], [ErrTimestamp] or [ErrSignature].
func Verify(h http.Header, body []byte, now time.Time, secrets ...Secret) (id string, err error) {
	id, tsText, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	switch {
	case id == "":
		return "", fmt.Errorf("%w: %s", ErrMissing, HeaderID)
	case tsText == "":
		return "", fmt.Errorf("%w: %s", ErrMissing, HeaderTimestamp)
	case sigs == "":
		return "", fmt.Errorf("%w: %s", ErrMissing, HeaderSignature)
	case len(id) > MaxIDLength:
		return "", fmt.Errorf("%w: %s is %d bytes, over %d", ErrMalformed, HeaderID, len(id), MaxIDLength)
	case len(sigs) > maxSignatureHeader:
		return "", fmt.Errorf("%w: %s is %d bytes, over %d", ErrMalformed, HeaderSignature, len(sigs), maxSignatureHeader)
	}
	ts, err := parseTimestamp(tsText)
	if err != nil {
		return "", fmt.Errorf("%w: %s: %v", ErrMalformed, HeaderTimestamp, err)
	}
	if d := now.Sub(ts); d > Tolerance || d < -Tolerance {
		return "", fmt.Errorf("%w: %s is %d, %v from now", ErrTimestamp, HeaderTimestamp, ts.Unix(), d.Round(time.Second))
	}
	entries := strings.Fields(sigs)
	if len(entries) > MaxSignatures {
		return "", fmt.Errorf("%w: %s has %d signatures, over %d", ErrMalformed, HeaderSignature, len(entries), MaxSignatures)
	}
	var got [][]byte
	for _, e := range entries {
		version, b64, ok := strings.Cut(e, ",")
		if !ok || version != "v1" {
			continue
		}
		sig, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(sig) != sha256.Size {
			continue // a bad entry is no match; another may still match
		}
		got = append(got, sig)
	}
	if len(got) == 0 {
		return "", fmt.Errorf("%w: %s has no v1 signature", ErrSignature, HeaderSignature)
	}
	for _, s := range secrets {
		want := mac(s, id, tsText, body)
		for _, sig := range got {
			if hmac.Equal(sig, want) {
				return id, nil
			}
		}
	}
	return "", fmt.Errorf("%w: %s %q", ErrSignature, HeaderID, id)
}

// parseTimestamp reads Unix seconds written in decimal digits only.
func parseTimestamp(s string) (time.Time, error) {
	if len(s) > 12 {
		return time.Time{}, fmt.Errorf("%d digits, want at most 12", len(s))
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return time.Time{}, fmt.Errorf("%q is not whole Unix seconds", s)
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q: %v", s, err)
	}
	return time.Unix(n, 0), nil
}
