package password

import (
	"strings"
	"testing"
	"time"
)

// fast keeps the tests quick; the cost is carried in the hash.
var fast = Params{Time: 1, Memory: 64, Threads: 1}

func TestHashVerify(t *testing.T) {
	h := HashWith("correct horse battery", fast)
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("HashWith = %q; want the $argon2id$v=19$m=64,t=1,p=1$ form", h)
	}
	if h2 := HashWith("correct horse battery", fast); h2 == h {
		t.Errorf("two hashes of one password are equal (%q): the salt is not random", h)
	}
	for _, tc := range []struct {
		p    string
		want bool
	}{
		{"correct horse battery", true},
		{"correct horse batter", false},
		{"Correct horse battery", false},
		{"", false},
	} {
		if got, err := Verify(h, tc.p); got != tc.want || err != nil {
			t.Errorf("Verify(%q, %q) = %v, %v; want %v, nil", h, tc.p, got, err, tc.want)
		}
	}
	if got, err := Verify("", "anything"); got || err != nil {
		t.Errorf("Verify(\"\", ...) = %v, %v; want false, nil (no password matches nothing)", got, err)
	}
}

func TestVerifyMalformed(t *testing.T) {
	good := HashWith("pw", fast)
	parts := strings.Split(good, "$")
	for _, bad := range []string{
		"plain",
		"$argon2i$v=19$m=64,t=1,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=18$m=64,t=1,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=64,t=0,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=99999999,t=1,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=64,t=1,p=1$!!$" + parts[5],
		"$argon2id$v=19$m=64,t=1,p=1$" + parts[4] + "$",
	} {
		if _, err := Verify(bad, "pw"); err != ErrMalformed {
			t.Errorf("Verify(%q) error = %v; want ErrMalformed", bad, err)
		}
	}
}

func TestDefaultCost(t *testing.T) {
	if testing.Short() {
		t.Skip("measures the default cost")
	}
	start := time.Now()
	h := Hash("correct horse battery")
	took := time.Since(start)
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("Hash = %q; want m=19456,t=2,p=1", h)
	}
	t.Logf("one default hash took %v", took)
}

func TestGenerate(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		p := Generate()
		if len(p) != 24 || strings.Count(p, "-") != 4 {
			t.Fatalf("Generate() = %q; want five groups of four", p)
		}
		if err := Check(p, "abcd@example.com"); err != nil {
			t.Fatalf("Check(Generate() = %q) = %v", p, err)
		}
		if seen[p] {
			t.Fatalf("Generate() repeated %q", p)
		}
		seen[p] = true
	}
}
