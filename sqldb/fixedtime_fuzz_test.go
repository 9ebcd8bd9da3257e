package sqldb

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem/dealreport"
)

// FuzzParseFixedTime checks parseFixedTime against time.Parse: a text it
// reads, time.Parse reads as the same instant, and a text in SQLite's
// layout that time.Parse reads, it reads too.
func FuzzParseFixedTime(f *testing.F) {
	for _, s := range []string{"2025-06-30T23:59:59.999999Z", "2024-02-29T00:00:00.000000Z", "2023-02-29T00:00:00.000000Z",
		"2025-13-01T00:00:00.000000Z", "2025-06-31T00:00:00.000000Z", "2025-06-30T24:00:00.000000Z", "2025-06-30T23:60:00.000000Z",
		"2025-06-30T23:59:60.000000Z", "+025-06-30T23:59:59.999999Z", "2025-06-30T23:59:59.99999-Z", "2025-06-30T23:59:59Z", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseFixedTime(s)
		want, err := time.Parse(time.RFC3339Nano, s)
		if ok && (err != nil || !got.Equal(want) || got.Location() != time.UTC) {
			t.Fatalf("parseFixedTime(%q) = %v; want %v (time.Parse: %v)", s, got, want, err)
		}
		if !ok && err == nil && len(s) == len(sqliteTimeLayout) && want.UTC().Format(sqliteTimeLayout) == s {
			t.Fatalf("parseFixedTime(%q) refused what time.Parse reads as %v", s, want)
		}
	})
}

// FuzzUnpackDeal checks that unpackDeal reads any text without panicking,
// and what packedDeal's form holds as written.
func FuzzUnpackDeal(f *testing.F) {
	none := strings.Repeat(" ", len(sqliteTimeLayout))
	f.Add("2025-06-01T10:00:00.000000Z"+none+none+"0|qualify", int64(0))
	f.Add("2025-06-01T10:00:00.000000Z2025-05-01T00:00:00.000000Z2025-07-01T00:00:00.000000Z120050|won", int64(120050))
	f.Add("2025-06-01T10:00:00.000000Z"+none+none+"|", int64(0))
	f.Add("short|x", int64(0))
	f.Fuzz(func(t *testing.T, s string, amount int64) {
		var d dealreport.Deal
		_ = unpackDeal(s, &d) // must not panic
		w := len(sqliteTimeLayout)
		if len(s) < 3*w {
			return
		}
		for i := range 3 {
			if _, ok := parseFixedTime(s[i*w : (i+1)*w]); !ok && strings.TrimSpace(s[i*w:(i+1)*w]) != "" {
				return
			}
		}
		packed := s[:3*w] + strconv.FormatInt(amount, 10) + "|stage|x"
		if err := unpackDeal(packed, &d); err != nil || d.AmountCents != amount || d.Stage != "stage|x" {
			t.Fatalf("unpackDeal(%q) = %+v, %v; want amount %d, stage %q", packed, d, err, amount, "stage|x")
		}
	})
}
