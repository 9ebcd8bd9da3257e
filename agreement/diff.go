package agreement

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Diff lists, in plain words and in file order, each change from old to new:
// what the heads are asked to sign when a new version replaces the one in
// force. It is empty when the two agree in every respect. Either may be nil,
// which reads as an empty agreement.
func Diff(old, new *Agreement) []string {
	if old == nil {
		old = &Agreement{}
	}
	if new == nil {
		new = &Agreement{}
	}
	d := &differ{}
	d.value("", "format", strconv.Itoa(old.Format), strconv.Itoa(new.Format))
	d.text("", "name", old.Name, new.Name)
	d.text("", "description", old.Description, new.Description)
	d.value("", "marketing mission", string(old.MarketingMission), string(new.MarketingMission))
	d.stages(old.Stages, new.Stages)
	d.rejectReasons(old.RejectReasons, new.RejectReasons)
	d.businessHours(&old.BusinessHours, &new.BusinessHours)
	d.sales(&old.Sales, &new.Sales)
	d.marketing(&old.Marketing, &new.Marketing)
	d.list("escalation step", escalationWords(old.Escalation), escalationWords(new.Escalation))
	d.routing(&old.Routing, &new.Routing)
	d.pipeline(&old.Pipeline, &new.Pipeline)
	d.funnel(old, new)
	d.goal(&old.Goal, &new.Goal)
	return d.out
}

type differ struct{ out []string }

func (d *differ) add(format string, args ...any) { d.out = append(d.out, fmt.Sprintf(format, args...)) }

// value reports a change of a short value, written as it is.
func (d *differ) value(section, label, old, new string) {
	if old == new {
		return
	}
	prefix := ""
	if section != "" {
		prefix = section + ": "
	}
	switch {
	case old == "":
		d.add("%s%s set to %s", prefix, label, new)
	case new == "":
		d.add("%s%s removed (was %s)", prefix, label, old)
	default:
		d.add("%s%s changed from %s to %s", prefix, label, old, new)
	}
}

// text reports a change of written words, quoted.
func (d *differ) text(section, label, old, new string) {
	if old == new {
		return
	}
	q := func(s string) string {
		if s == "" {
			return ""
		}
		return strconv.Quote(s)
	}
	d.value(section, label, q(old), q(new))
}

// list compares two lists item by item, each item already in words.
func (d *differ) list(label string, old, new []string) {
	for i := range max(len(old), len(new)) {
		switch {
		case i >= len(old):
			d.add("%s %d added: %s", label, i+1, new[i])
		case i >= len(new):
			d.add("%s %d removed: %s", label, i+1, old[i])
		case old[i] != new[i]:
			d.add("%s %d changed from %s to %s", label, i+1, old[i], new[i])
		}
	}
}

func (d *differ) stages(old, new []Stage) {
	byName := func(ss []Stage) map[string]Stage {
		m := make(map[string]Stage, len(ss))
		for _, s := range ss {
			m[s.Name] = s
		}
		return m
	}
	om, nm := byName(old), byName(new)
	for _, s := range old {
		if _, ok := nm[s.Name]; !ok {
			d.add("stage %s removed", s.Name)
		}
	}
	for i, s := range new {
		o, ok := om[s.Name]
		if !ok {
			var what []string
			if s.Exit {
				what = append(what, "an exit")
			}
			if s.Final {
				what = append(what, "final")
			}
			if s.Entry != "" {
				what = append(what, fmt.Sprintf("entry rule `%s`", s.Entry))
			}
			where := ""
			if i > 0 {
				where = " after " + new[i-1].Name
			}
			if len(what) > 0 {
				d.add("stage %s added%s: %s", s.Name, where, strings.Join(what, ", "))
			} else {
				d.add("stage %s added%s", s.Name, where)
			}
			continue
		}
		section := "stage " + s.Name
		d.text(section, "definition", o.Definition, s.Definition)
		switch {
		case o.Entry == s.Entry:
		case o.Entry == "":
			d.add("%s: entry rule `%s` added", section, s.Entry)
		case s.Entry == "":
			d.add("%s: entry rule `%s` removed", section, o.Entry)
		default:
			d.add("%s: entry rule changed from `%s` to `%s`", section, o.Entry, s.Entry)
		}
		if o.Exit != s.Exit {
			if s.Exit {
				d.add("%s: now an exit stage", section)
			} else {
				d.add("%s: now a path stage, no longer an exit", section)
			}
		}
		if o.Final != s.Final {
			if s.Final {
				d.add("%s: now final", section)
			} else {
				d.add("%s: no longer final", section)
			}
		}
		if !slices.Equal(o.MovesTo, s.MovesTo) || (o.MovesTo == nil) != (s.MovesTo == nil) {
			d.add("%s: manual moves changed from %s to %s", section, movesWords(o.MovesTo), movesWords(s.MovesTo))
		}
	}
	// The order of the stages that both versions have.
	var oo, no []string
	for _, s := range old {
		if _, ok := nm[s.Name]; ok {
			oo = append(oo, s.Name)
		}
	}
	for _, s := range new {
		if _, ok := om[s.Name]; ok {
			no = append(no, s.Name)
		}
	}
	if !slices.Equal(oo, no) {
		d.add("stage order changed from %s to %s", strings.Join(oo, ", "), strings.Join(no, ", "))
	}
}

func movesWords(moves []string) string {
	switch {
	case moves == nil:
		return "the default rule"
	case len(moves) == 0:
		return "none"
	}
	return orList(moves)
}

func (d *differ) rejectReasons(old, new []RejectReason) {
	om := map[string]RejectReason{}
	for _, r := range old {
		om[r.Code] = r
	}
	nm := map[string]RejectReason{}
	for _, r := range new {
		nm[r.Code] = r
	}
	for _, r := range old {
		if _, ok := nm[r.Code]; !ok {
			d.add("reject reason %s removed", r.Code)
		}
	}
	for _, r := range new {
		if o, ok := om[r.Code]; !ok {
			d.add("reject reason %s added: %s", r.Code, r.Description)
		} else {
			d.text("reject reason "+r.Code, "description", o.Description, r.Description)
			d.value("reject reason "+r.Code, "after cadence", strconv.FormatBool(o.AfterCadence), strconv.FormatBool(r.AfterCadence))
		}
	}
}

func (d *differ) businessHours(old, new *BusinessHours) {
	const s = "business hours"
	d.value(s, "time zone", old.TimeZone, new.TimeZone)
	d.value(s, "days", daysWords(old.Days), daysWords(new.Days))
	d.value(s, "open", timeWords(old.Open, old.Close), timeWords(new.Open, new.Close))
	d.value(s, "close", timeWords(old.Close, old.Open), timeWords(new.Close, new.Open))
	d.value(s, "holidays", holidayWords(old.Holidays), holidayWords(new.Holidays))
	for _, day := range old.ClosedDates {
		if !slices.Contains(new.ClosedDates, day) {
			d.add("%s: closed date %s removed", s, day)
		}
	}
	for _, day := range new.ClosedDates {
		if !slices.Contains(old.ClosedDates, day) {
			d.add("%s: closed date %s added", s, day)
		}
	}
}

// timeWords writes a time of day; an agreement without business hours has
// both ends zero, and then there is no time to write.
func timeWords(t, other TimeOfDay) string {
	if t == 0 && other == 0 {
		return ""
	}
	return t.String()
}

func daysWords(days []time.Weekday) string {
	names := make([]string, len(days))
	for i, wd := range days {
		names[i] = dayNames[wd]
	}
	return strings.Join(names, ", ")
}

func holidayWords(country string) string {
	if country == "" {
		return "none"
	}
	return country
}

func (d *differ) sales(old, new *Sales) {
	const s = "sales"
	d.value(s, "first touch within", spanWords(old.FirstTouchWithin), spanWords(new.FirstTouchWithin))
	d.value(s, "accept within", spanWords(old.AcceptWithin), spanWords(new.AcceptWithin))
	d.value(s, "hot lead first touch within", spanWords(old.HotLeadFirstTouchWithin), spanWords(new.HotLeadFirstTouchWithin))
	d.value(s, "min touches before recycle", strconv.Itoa(old.MinTouchesBeforeRecycle), strconv.Itoa(new.MinTouchesBeforeRecycle))
	d.list("cadence step", stepWords(old.Cadence), stepWords(new.Cadence))
	d.list("connected cadence step", stepWords(old.ConnectedCadence), stepWords(new.ConnectedCadence))
}

// spanWords writes a clock's span; a zero span means the clock is not set.
func spanWords(s Span) string {
	if s.IsZero() {
		return ""
	}
	return s.String()
}

func stepWords(steps []Step) []string {
	out := make([]string, len(steps))
	for i, s := range steps {
		out[i] = s.String()
	}
	return out
}

func escalationWords(steps []EscalationStep) []string {
	out := make([]string, len(steps))
	for i, e := range steps {
		out[i] = fmt.Sprintf("notify %s after %s", e.Notify, e.After)
	}
	return out
}

func (d *differ) marketing(old, new *Marketing) {
	const s = "marketing"
	if old.SalesSourced != new.SalesSourced {
		d.add("%s: sales-sourced rule changed from `%s` to `%s`", s, old.SalesSourced, new.SalesSourced)
	}
	d.value(s, "qualified leads per month", countWords(old.QualifiedLeadsPerMonth), countWords(new.QualifiedLeadsPerMonth))
	segs := slices.Sorted(maps.Keys(old.QualifiedLeadsBySegment))
	for _, k := range slices.Sorted(maps.Keys(new.QualifiedLeadsBySegment)) {
		if _, ok := old.QualifiedLeadsBySegment[k]; !ok {
			segs = append(segs, k)
		}
	}
	for _, k := range segs {
		o, oOK := old.QualifiedLeadsBySegment[k]
		n, nOK := new.QualifiedLeadsBySegment[k]
		switch {
		case !nOK:
			d.add("%s: qualified leads for segment %s removed (was %d)", s, k, o)
		case !oOK:
			d.add("%s: qualified leads for segment %s set to %d", s, k, n)
		case o != n:
			d.add("%s: qualified leads for segment %s changed from %d to %d", s, k, o, n)
		}
	}
	d.value(s, "min acceptance rate", floorWords(old.MinAcceptanceRate), floorWords(new.MinAcceptanceRate))
	d.value(s, "min average rating", floorWords(old.MinAverageRating), floorWords(new.MinAverageRating))
}

func countWords(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

func floorWords(f float64) string {
	if f == 0 {
		return "none"
	}
	return formatNumber(f)
}

func (d *differ) routing(old, new *Routing) {
	const s = "routing"
	d.value(s, "method", string(old.Method), string(new.Method))
	d.value(s, "field", old.Field, new.Field)
	// Values listed in both, or only in the old, then the new ones, like
	// the segments of marketing.
	values := slices.Sorted(maps.Keys(old.Teams))
	for _, v := range slices.Sorted(maps.Keys(new.Teams)) {
		if _, ok := old.Teams[v]; !ok {
			values = append(values, v)
		}
	}
	for _, v := range values {
		field := new.Field
		if _, ok := new.Teams[v]; !ok || field == "" {
			field = old.Field
		}
		d.value(s, fmt.Sprintf("team for %s %s", field, v), old.Teams[v], new.Teams[v])
	}
	capWords := func(n int) string {
		if n == 0 {
			return "unlimited"
		}
		return strconv.Itoa(n)
	}
	d.value(s, "capacity", capWords(old.Capacity), capWords(new.Capacity))
}

// funnel lists conversion pairs in the order of the path stages.
func (d *differ) funnel(oa, na *Agreement) {
	const s = "funnel"
	old, new := &oa.Funnel, &na.Funnel
	a := func(x Assumption) string {
		if !x.History && x.Value == 0 {
			return "" // an agreement built by hand, without a funnel
		}
		return x.String()
	}
	d.value(s, "average deal size", a(old.AverageDealSize), a(new.AverageDealSize))
	d.value(s, "close rate", a(old.CloseRate), a(new.CloseRate))
	d.value(s, "sales cycle days", a(old.SalesCycleDays), a(new.SalesCycleDays))
	// A pair the file leaves out is derived from history; a pair whose
	// stages are no longer neighbours is gone.
	oldPairs, newPairs := conversionPairs(oa), conversionPairs(na)
	pairs := slices.Clone(newPairs)
	for _, p := range oldPairs {
		if !slices.Contains(pairs, p) {
			pairs = append(pairs, p)
		}
	}
	for _, p := range pairs {
		o, ok := old.Conversion[p]
		if !ok {
			o = FromHistory
		}
		n, ok := new.Conversion[p]
		if !ok {
			n = FromHistory
		}
		ow, nw := o.String(), n.String()
		if !slices.Contains(oldPairs, p) {
			ow = ""
		}
		if !slices.Contains(newPairs, p) {
			nw = ""
		}
		d.value(s, "conversion "+p.String(), ow, nw)
	}
	d.value(s, "tolerance", formatNumber(old.Tolerance), formatNumber(new.Tolerance))
}

// conversionPairs lists the pairs of neighbouring path stages that have a
// conversion rate, in path order: every pair but the last, which is the
// close rate.
func conversionPairs(a *Agreement) []StagePair {
	path := a.PathStages()
	var out []StagePair
	for i := 0; i+2 < len(path); i++ {
		out = append(out, StagePair{path[i], path[i+1]})
	}
	return out
}

func (d *differ) goal(old, new *Goal) {
	const s = "goal"
	money := func(f float64) string {
		if f == 0 {
			return ""
		}
		return formatNumber(f)
	}
	d.value(s, "period", string(old.Period), string(new.Period))
	d.value(s, "revenue", money(old.Revenue), money(new.Revenue))
	d.value(s, "marketing share", formatNumber(old.MarketingShare), formatNumber(new.MarketingShare))
	d.value(s, "unified kpi", string(old.UnifiedKPI), string(new.UnifiedKPI))
}
