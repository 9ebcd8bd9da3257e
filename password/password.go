// Package password hashes and checks users' passwords with argon2id, and
// makes strong ones for people who are given a password rather than choose
// one. A hash is stored in the usual encoded form,
//
//	$argon2id$v=19$m=19456,t=2,p=1$SALT$HASH
//
// (salt and hash in unpadded standard base64), so that it carries its own
// parameters: a stored hash stays checkable after [Default] changes.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's cost parameters.
type Params struct {
	Time    uint32 // passes over the memory
	Memory  uint32 // KiB
	Threads uint8
}

// Default is OWASP's second argon2id configuration (t=2, 19 MiB, p=1): about
// 80 ms a hash on a small server, slow for a guesser and bearable for a
// person signing in.
var Default = Params{Time: 2, Memory: 19 * 1024, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32
	// MinLen and MaxLen bound a password, in characters and bytes. The
	// upper bound keeps a request from making the server hash megabytes.
	MinLen = 12
	MaxLen = 1024
	// maxMemory refuses a stored hash that would make checking it allocate
	// more than 1 GiB (a damaged or hostile row).
	maxMemory = 1 << 20
)

// Hash returns the encoded argon2id hash of p with a fresh random salt, at
// the Default cost.
func Hash(p string) string { return HashWith(p, Default) }

// HashWith is [Hash] at the given cost.
func HashWith(p string, params Params) string {
	salt := make([]byte, saltLen)
	rand.Read(salt)
	key := argon2.IDKey([]byte(p), salt, params.Time, params.Memory, params.Threads, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		params.Memory, params.Time, params.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// ErrMalformed is returned by [Verify] for a stored hash it cannot read.
var ErrMalformed = errors.New("password: malformed hash")

// Verify reports whether p is the password whose encoded hash is encoded.
// The comparison takes the same time wherever the hashes differ. An empty
// encoded hash (a user who has no password) matches nothing.
func Verify(encoded, p string) (bool, error) {
	if encoded == "" {
		return false, nil
	}
	parts := strings.Split(encoded, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return false, ErrMalformed
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, ErrMalformed
	}
	var params Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &params.Memory, &params.Time, &params.Threads); err != nil ||
		params.Time == 0 || params.Threads == 0 || params.Memory == 0 || params.Memory > maxMemory {
		return false, ErrMalformed
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) == 0 {
		return false, ErrMalformed
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 || len(want) > 128 {
		return false, ErrMalformed
	}
	got := argon2.IDKey([]byte(p), salt, params.Time, params.Memory, params.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// alphabet has no letters or digits that are easy to mistake for one
// another (0/o, 1/l/i): 31 symbols, almost 5 bits each.
const alphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// Generate returns a new random password of five groups of four symbols
// ("k7cm-2xqa-..."): about 99 bits, easy to read out and type. [Check]
// accepts it as the password of each of emails (one in a few hundred
// thousand random passwords holds a four-letter name before @ and is
// drawn again).
func Generate(emails ...string) string {
	for {
		p := generate()
		ok := true
		for _, e := range emails {
			ok = ok && Check(p, e) == nil
		}
		if ok {
			return p
		}
	}
}

func generate() string {
	var sb strings.Builder
	b := make([]byte, 1)
	for i := 0; i < 20; {
		rand.Read(b)
		// Rejection sampling keeps every symbol equally likely.
		if int(b[0]) >= 256/len(alphabet)*len(alphabet) {
			continue
		}
		if i > 0 && i%4 == 0 {
			sb.WriteByte('-')
		}
		sb.WriteByte(alphabet[int(b[0])%len(alphabet)])
		i++
	}
	return sb.String()
}
