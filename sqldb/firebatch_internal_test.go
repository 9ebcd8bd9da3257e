package sqldb

import (
	"testing"
	"time"

	"github.com/tandemhq/tandem"
)

// TestOnlyTouched: a breach's lead, which moved only its version and
// update time, is written with those two columns; any other change (a
// field, an attribute, a time) needs the whole row.
func TestOnlyTouched(t *testing.T) {
	at := time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)
	was := tandem.Lead{ID: 7, Email: "a@example.com", Stage: "mql", Score: 80, OwnerID: 3, CreatedAt: at, UpdatedAt: at,
		StageChangedAt: at, Version: 4, Attributes: map[string]string{"plan": "pro"}}
	for _, c := range []struct {
		name   string
		change func(l *tandem.Lead)
		want   bool
	}{
		{"nothing", func(l *tandem.Lead) {}, true},
		{"version and update time", func(l *tandem.Lead) { l.Version++; l.UpdatedAt = at.Add(time.Hour) }, true},
		{"the same instant in another zone", func(l *tandem.Lead) { l.CreatedAt = at.In(time.FixedZone("EST", -5*3600)) }, true},
		{"stage", func(l *tandem.Lead) { l.Version++; l.Stage = "sal" }, false},
		{"owner", func(l *tandem.Lead) { l.OwnerID = 4 }, false},
		{"score", func(l *tandem.Lead) { l.Score = 81 }, false},
		{"stage changed at", func(l *tandem.Lead) { l.StageChangedAt = at.Add(time.Minute) }, false},
		{"an attribute", func(l *tandem.Lead) { l.Attributes = map[string]string{"plan": "free"} }, false},
	} {
		l := was.Clone()
		c.change(&l)
		w := was.Clone()
		if got := onlyTouched(&w, &l); got != c.want {
			t.Errorf("%s: onlyTouched(%+v, %+v) = %v; want %v", c.name, w, l, got, c.want)
		}
	}
}
