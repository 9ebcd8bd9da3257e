package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The test vector published with the Standard Webhooks reference libraries.
const (
	vecSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vecID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vecTS     = 1614265330
	vecBody   = `{"test": 2432232314}`
	vecSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func vecSecretKey(t *testing.T) Secret {
	t.Helper()
	s, err := ParseSecret(vecSecret)
	if err != nil {
		t.Fatalf("ParseSecret(%q): %v", vecSecret, err)
	}
	return s
}

func TestSignSpecVector(t *testing.T) {
	got := Sign(vecSecretKey(t), vecID, time.Unix(vecTS, 0), []byte(vecBody))
	if got != vecSig {
		t.Errorf("Sign(spec vector) = %q; want %q", got, vecSig)
	}
}

func TestVerifySpecVector(t *testing.T) {
	h := http.Header{}
	h.Set(HeaderID, vecID)
	h.Set(HeaderTimestamp, "1614265330")
	h.Set(HeaderSignature, vecSig)
	id, err := Verify(h, []byte(vecBody), time.Unix(vecTS+10, 0), vecSecretKey(t))
	if err != nil || id != vecID {
		t.Errorf("Verify(spec vector) = %q, %v; want %q, nil", id, err, vecID)
	}
}

// TestSignIndependent checks Sign against an HMAC the test computes itself
// for a secret, id and body other than the vector's.
func TestSignIndependent(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	body := []byte(`{"type":"deal.won","data":{"id":7}}`)
	m := hmac.New(sha256.New, key)
	m.Write([]byte("evt_42.1700000000." + string(body)))
	want := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
	if got := Sign(Secret(key), "evt_42", time.Unix(1700000000, 0), body); got != want {
		t.Errorf("Sign = %q; want %q", got, want)
	}
}

func TestSetHeadersRoundTrip(t *testing.T) {
	s := NewSecret()
	now := time.Unix(1700000000, 0)
	body := []byte(`{"hello":"world"}`)
	h := http.Header{}
	SetHeaders(h, s, "msg_1", now, body)
	if got := h.Get(HeaderTimestamp); got != "1700000000" {
		t.Errorf("webhook-timestamp = %q; want 1700000000", got)
	}
	if id, err := Verify(h, body, now, s); err != nil || id != "msg_1" {
		t.Errorf("Verify(own signature) = %q, %v; want msg_1, nil", id, err)
	}
}

func TestVerifyRejects(t *testing.T) {
	key := vecSecretKey(t)
	other := NewSecret()
	now := time.Unix(vecTS, 0)
	base := func() http.Header {
		h := http.Header{}
		h.Set(HeaderID, vecID)
		h.Set(HeaderTimestamp, "1614265330")
		h.Set(HeaderSignature, vecSig)
		return h
	}
	tests := []struct {
		name    string
		edit    func(http.Header)
		body    string
		now     time.Time
		secrets []Secret
		want    error
	}{
		{name: "body changed", body: `{"test": 2432232315}`, want: ErrSignature},
		{name: "id changed", edit: func(h http.Header) { h.Set(HeaderID, "msg_other") }, want: ErrSignature},
		{name: "timestamp changed", edit: func(h http.Header) { h.Set(HeaderTimestamp, "1614265331") }, want: ErrSignature},
		{name: "wrong secret", secrets: []Secret{other}, want: ErrSignature},
		{name: "no secret", secrets: []Secret{}, want: ErrSignature},
		{name: "too old", now: now.Add(Tolerance + time.Second), want: ErrTimestamp},
		{name: "too new", now: now.Add(-Tolerance - time.Second), want: ErrTimestamp},
		{name: "no id", edit: func(h http.Header) { h.Del(HeaderID) }, want: ErrMissing},
		{name: "no timestamp", edit: func(h http.Header) { h.Del(HeaderTimestamp) }, want: ErrMissing},
		{name: "no signature", edit: func(h http.Header) { h.Del(HeaderSignature) }, want: ErrMissing},
		{name: "timestamp in ms", edit: func(h http.Header) { h.Set(HeaderTimestamp, "1614265330000") }, want: ErrMalformed},
		{name: "timestamp signed", edit: func(h http.Header) { h.Set(HeaderTimestamp, "+1614265330") }, want: ErrMalformed},
		{name: "timestamp decimal", edit: func(h http.Header) { h.Set(HeaderTimestamp, "1614265330.5") }, want: ErrMalformed},
		{name: "only v1a", edit: func(h http.Header) { h.Set(HeaderSignature, "v1a,"+vecSig[3:]) }, want: ErrSignature},
		{name: "not base64", edit: func(h http.Header) { h.Set(HeaderSignature, "v1,@@@") }, want: ErrSignature},
		{name: "bare signature", edit: func(h http.Header) { h.Set(HeaderSignature, vecSig[3:]) }, want: ErrSignature},
		{name: "too many signatures", edit: func(h http.Header) {
			h.Set(HeaderSignature, strings.Repeat("v1,x ", MaxSignatures)+vecSig)
		}, want: ErrMalformed},
		{name: "id too long", edit: func(h http.Header) { h.Set(HeaderID, strings.Repeat("a", MaxIDLength+1)) }, want: ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := base()
			if tt.edit != nil {
				tt.edit(h)
			}
			body := vecBody
			if tt.body != "" {
				body = tt.body
			}
			at := now
			if !tt.now.IsZero() {
				at = tt.now
			}
			secrets := []Secret{key}
			if tt.secrets != nil {
				secrets = tt.secrets
			}
			id, err := Verify(h, []byte(body), at, secrets...)
			if !errors.Is(err, tt.want) {
				t.Errorf("Verify = %q, %v; want error %v", id, err, tt.want)
			}
			if id != "" {
				t.Errorf("Verify returned id %q with an error; want empty", id)
			}
		})
	}
}

func TestVerifyAccepts(t *testing.T) {
	key := vecSecretKey(t)
	now := time.Unix(vecTS, 0)
	tests := []struct {
		name    string
		sigs    string
		now     time.Time
		secrets []Secret
	}{
		{name: "edge of tolerance, late", sigs: vecSig, now: now.Add(Tolerance)},
		{name: "edge of tolerance, early", sigs: vecSig, now: now.Add(-Tolerance)},
		{name: "among others", sigs: "v1,bm9wZQ== v1a,abc " + vecSig + " v2,zzz"},
		{name: "rotation: second secret", sigs: vecSig, secrets: []Secret{NewSecret(), key}},
		{name: "extra spaces", sigs: "  " + vecSig + "   "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			h.Set(HeaderID, vecID)
			h.Set(HeaderTimestamp, "1614265330")
			h.Set(HeaderSignature, tt.sigs)
			at := now
			if !tt.now.IsZero() {
				at = tt.now
			}
			secrets := []Secret{key}
			if tt.secrets != nil {
				secrets = tt.secrets
			}
			if id, err := Verify(h, []byte(vecBody), at, secrets...); err != nil || id != vecID {
				t.Errorf("Verify(%q) = %q, %v; want %q, nil", tt.sigs, id, err, vecID)
			}
		})
	}
}

func TestParseSecret(t *testing.T) {
	// The vector's key is 24 bytes; decoded here by the test itself.
	want, _ := base64.StdEncoding.DecodeString("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	for _, in := range []string{vecSecret, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", " " + vecSecret + "\n"} {
		got, err := ParseSecret(in)
		if err != nil || string(got) != string(want) {
			t.Errorf("ParseSecret(%q) = %x, %v; want %x, nil", in, got, err, want)
		}
	}
	bad := map[string]string{
		"":                                    "empty",
		"whsec_":                              "empty",
		"whsec_not base64!":                   "not base64",
		"whsec_c2hvcnQ=":                      "5 bytes",
		"whsec_" + strings.Repeat("QUFB", 22): "66 bytes, want 24 to 64",
		"whsec_" + strings.Repeat("QUFB", 30): "longer than 64",
	}
	for in, wantMsg := range bad {
		if _, err := ParseSecret(in); err == nil || !strings.Contains(err.Error(), wantMsg) {
			t.Errorf("ParseSecret(%q) error = %v; want one saying %q", in, err, wantMsg)
		}
	}
}

func TestSecretString(t *testing.T) {
	s := NewSecret()
	if len(s) != 32 {
		t.Errorf("len(NewSecret()) = %d; want 32", len(s))
	}
	text := s.String()
	if !strings.HasPrefix(text, "whsec_") {
		t.Errorf("Secret.String() = %q; want the whsec_ prefix", text)
	}
	back, err := ParseSecret(text)
	if err != nil || string(back) != string(s) {
		t.Errorf("ParseSecret(%q) = %x, %v; want %x", text, back, err, []byte(s))
	}
	if string(NewSecret()) == string(s) {
		t.Errorf("two NewSecret calls gave the same key")
	}
}

// FuzzVerify feeds arbitrary headers and bodies to Verify: it must never
// panic, and must never accept what the test did not sign.
func FuzzVerify(f *testing.F) {
	f.Add(vecID, "1614265330", vecSig, vecBody)
	f.Add("", "", "", "")
	f.Add("msg", "99999999999999999999", "v1,", "{}")
	f.Add("msg", "1614265330", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= v1a,xx", "x")
	f.Add("a.b", "0001614265330", "v1 v1, ,v1", "")
	key, _ := ParseSecret(vecSecret)
	now := time.Unix(vecTS, 0)
	f.Fuzz(func(t *testing.T, id, ts, sigs, body string) {
		h := http.Header{}
		h.Set(HeaderID, id)
		h.Set(HeaderTimestamp, ts)
		h.Set(HeaderSignature, sigs)
		got, err := Verify(h, []byte(body), now, key)
		if err != nil {
			return
		}
		// Accepted: the test recomputes the signature itself and requires
		// that one of the entries is exactly it.
		m := hmac.New(sha256.New, key)
		m.Write([]byte(h.Get(HeaderID) + "." + h.Get(HeaderTimestamp) + "." + body))
		want := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
		found := false
		for _, e := range strings.Fields(h.Get(HeaderSignature)) {
			if e == want {
				found = true
			}
		}
		if !found || got != h.Get(HeaderID) {
			t.Errorf("Verify(id %q, ts %q, sig %q) accepted with id %q; its signature is %q", id, ts, sigs, got, want)
		}
	})
}

// FuzzParseSecret: never panics; whatever it accepts writes back to a
// secret it reads the same.
func FuzzParseSecret(f *testing.F) {
	f.Add(vecSecret)
	f.Add("whsec_")
	f.Add("whsec_====")
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ParseSecret(in)
		if err != nil {
			return
		}
		if len(s) < MinSecretBytes || len(s) > MaxSecretBytes {
			t.Errorf("ParseSecret(%q) accepted %d bytes", in, len(s))
		}
		back, err := ParseSecret(s.String())
		if err != nil || string(back) != string(s) {
			t.Errorf("ParseSecret(%q).String() does not read back: %v", in, err)
		}
	})
}

func TestRetry(t *testing.T) {
	// The schedule, written out: nominal waits after attempts 1 to 9.
	want := []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour,
		10 * time.Hour, 14 * time.Hour, 20 * time.Hour, 24 * time.Hour}
	var total time.Duration
	for i, w := range want {
		n := i + 1
		if got, ok := Retry(n, 0.5); !ok || got != w {
			t.Errorf("Retry(%d, 0.5) = %v, %v; want %v, true", n, got, ok, w)
		}
		lo, _ := Retry(n, 0)
		hi, _ := Retry(n, 0.999999)
		if lo != w*8/10 || hi < w*119/100 || hi > w*12/10 {
			t.Errorf("Retry(%d) ranges %v to %v; want %v to %v", n, lo, hi, w*8/10, w*12/10)
		}
		total += w
	}
	if total < 72*time.Hour || total > 80*time.Hour {
		t.Errorf("the schedule adds up to %v; want about three days", total)
	}
	if Attempts != 10 {
		t.Errorf("Attempts = %d; want 10", Attempts)
	}
	if got, ok := Retry(10, 0.5); ok {
		t.Errorf("Retry(10, 0.5) = %v, true; want dead (false) after the tenth attempt", got)
	}
	if _, ok := Retry(0, 0.5); !ok {
		t.Errorf("Retry(0, 0.5) says dead; want a delivery never tried to be live")
	}
}
