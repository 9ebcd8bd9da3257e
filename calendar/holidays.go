package calendar

import (
	"slices"
	"time"

	"github.com/rickar/cal/v2"
	calat "github.com/rickar/cal/v2/at"
	"github.com/rickar/cal/v2/au"
	"github.com/rickar/cal/v2/be"
	"github.com/rickar/cal/v2/br"
	"github.com/rickar/cal/v2/ca"
	"github.com/rickar/cal/v2/de"
	"github.com/rickar/cal/v2/dk"
	"github.com/rickar/cal/v2/es"
	"github.com/rickar/cal/v2/fr"
	"github.com/rickar/cal/v2/gb"
	"github.com/rickar/cal/v2/ie"
	"github.com/rickar/cal/v2/it"
	"github.com/rickar/cal/v2/nl"
	"github.com/rickar/cal/v2/no"
	"github.com/rickar/cal/v2/pl"
	"github.com/rickar/cal/v2/se"
	"github.com/rickar/cal/v2/us"
)

// countries maps an ISO 3166 alpha-2 code to the national public holidays
// closed in it. It is never written after initialisation.
//
// Each list starts from the country package's national list in
// github.com/rickar/cal/v2 (its Holidays), not from the holidays' Type
// field: the library sets Type unevenly (every English bank holiday is
// "bank" although bank holidays are the public holidays there; several
// Brazilian and Irish national holidays are "unknown"). What is changed:
//   - days the library marks ObservanceOther are left out (Sweden's
//     Midsummer, Christmas and New Year's eves: customary days off, not
//     public holidays);
//   - CA: the Civic Holiday is provincial, not national, and is left out;
//   - AU: the library has state lists only; the national list is the
//     holidays every state keeps: New Year's Day, Australia Day, Good
//     Friday, Easter Monday, Anzac Day, Christmas Day and Boxing Day;
//   - BR: Black Consciousness Day (20 November) has been a national holiday
//     since 2024 (Law 14.759/2023) and is not in this version of the library.
//
// Countries the library has but whose lists were not good enough to vouch
// for are not offered (Switzerland's list holds cantonal days, New Zealand's
// lacks Matariki, Russia's lacks its transferred New Year days).
var countries = map[string][]*cal.Holiday{
	"AT": calat.Holidays,
	"AU": {au.NewYear, au.AustraliaDay, au.GoodFriday, au.EasterMonday, au.AnzacDay, au.ChristmasDay, au.BoxingDay},
	"BE": be.Holidays,
	"BR": append(slices.Clip(br.Holidays), blackConsciousnessDay),
	"CA": slices.DeleteFunc(slices.Clone(ca.Holidays), func(h *cal.Holiday) bool { return h == ca.CivicDay }),
	"DE": de.Holidays,
	"DK": dk.Holidays,
	"ES": es.Holidays,
	"FR": fr.Holidays,
	"GB": gb.Holidays,
	"IE": ie.Holidays,
	"IT": it.Holidays,
	"NL": nl.Holidays,
	"NO": no.Holidays,
	"PL": pl.Holidays,
	"SE": se.Holidays,
	"US": us.Holidays,
}

// blackConsciousnessDay is Brazil's Dia Nacional de Zumbi e da Consciência Negra.
var blackConsciousnessDay = &cal.Holiday{
	Name:      "Dia Nacional de Zumbi e da Consciência Negra",
	Type:      cal.ObservancePublic,
	StartYear: 2024,
	Month:     time.November,
	Day:       20,
	Func:      cal.CalcDayOfMonth,
}

// Countries returns the codes of the countries whose public holidays a
// calendar can close, in alphabetical order: the values [Hours.Holidays]
// accepts besides "".
func Countries() []string {
	codes := make([]string, 0, len(countries))
	for c := range countries {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	return codes
}

// holidayDays returns the day numbers of the holidays of country that fall
// in year: both the day a holiday falls on and the day it is observed when
// that differs (a Saturday holiday observed on Friday closes both, so that
// a calendar open on Saturdays closes on the holiday itself). Substitute
// days can cross a year's end, so the neighbouring years are computed too.
//
// The library computes in cal.DefaultLoc (the process's local zone); only
// the calendar date of its results is used here.
func holidayDays(country string, year int) []int {
	var days []int
	add := func(t time.Time) {
		if t.IsZero() {
			return
		}
		y, m, d := t.Date()
		if y == year {
			days = append(days, dayNumber(y, m, d))
		}
	}
	for _, h := range countries[country] {
		if h.Type == cal.ObservanceOther {
			continue
		}
		for y := year - 1; y <= year+1; y++ {
			actual, observed := h.Calc(y)
			add(actual)
			add(observed)
		}
	}
	return days
}
