package agreement

import (
	"testing"
)

func TestParseSpan(t *testing.T) {
	tests := []struct {
		in   string
		want Span
		out  string
	}{
		{"0m", Span{}, "0m"},
		{"10m", Span{Minutes: 10}, "10m"},
		{"90m", Span{Minutes: 90}, "1h30m"},
		{"4h", Span{Minutes: 240}, "4h"},
		{"1h30m", Span{Minutes: 90}, "1h30m"},
		{"1d", Span{Days: 1}, "1d"},
		{"2d4h", Span{Days: 2, Minutes: 240}, "2d4h"},
		{"2d4h15m", Span{Days: 2, Minutes: 255}, "2d4h15m"},
		{"0d", Span{}, "0m"},
		{"30h", Span{Minutes: 1800}, "30h"},
		{"366d", Span{Days: 366}, "366d"},
	}
	for _, tt := range tests {
		got, err := ParseSpan(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseSpan(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			continue
		}
		if s := got.String(); s != tt.out {
			t.Errorf("ParseSpan(%q).String() = %q; want %q", tt.in, s, tt.out)
		}
		if again, err := ParseSpan(got.String()); err != nil || again != got {
			t.Errorf("ParseSpan(%q) = %+v, %v; want %+v", got.String(), again, err, got)
		}
	}
	bad := []string{"", "0", "10", "m", "10x", "1w", "10 m", " 10m", "4h1d", "1d1d", "1h1h", "-5m", "1.5h", "367d", "9999999m", "10m5", "1d2"}
	for _, in := range bad {
		if got, err := ParseSpan(in); err == nil {
			t.Errorf("ParseSpan(%q) = %+v, nil; want an error", in, got)
		}
	}
}

func TestSpanText(t *testing.T) {
	var s Span
	if err := s.UnmarshalText([]byte("2d4h")); err != nil || s != (Span{Days: 2, Minutes: 240}) {
		t.Errorf("UnmarshalText(2d4h) = %+v, %v", s, err)
	}
	if b, _ := s.MarshalText(); string(b) != "2d4h" {
		t.Errorf("MarshalText() = %q; want 2d4h", b)
	}
	if got := (Span{Days: 1, Minutes: 30}).BusinessMinutes(480); got != 510 {
		t.Errorf("BusinessMinutes(480) = %d; want 510", got)
	}
}
