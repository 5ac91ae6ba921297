package models

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Weekday names as used in preferred windows, Monday first.
var weekdayNames = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// Window is one recurring slot in which a customer is happy to be
// contacted: on the given weekdays, from Start (inclusive) to End
// (exclusive), in the customer's local time. End may be "24:00".
type Window struct {
	Days  []string `json:"days"`
	Start string   `json:"start"`
	End   string   `json:"end"`
}

// ParseWeekday returns the time.Weekday for a name such as "mon".
func ParseWeekday(name string) (time.Weekday, bool) {
	for i, n := range weekdayNames {
		if n == name {
			return time.Weekday((i + 1) % 7), true
		}
	}
	return 0, false
}

// ParseClock parses "HH:MM" into minutes after midnight. "24:00" is
// accepted only when allow24 is set (a window's end).
func ParseClock(s string, allow24 bool) (int, error) {
	// Digits only: strconv.Atoi alone would also take "+1" or "-0".
	if len(s) != 5 || s[2] != ':' || !isDigit(s[0]) || !isDigit(s[1]) || !isDigit(s[3]) || !isDigit(s[4]) {
		return 0, fmt.Errorf("must be HH:MM, got %q", s)
	}
	h, err1 := strconv.Atoi(s[:2])
	m, err2 := strconv.Atoi(s[3:])
	if err1 != nil || err2 != nil || h < 0 || m < 0 || m > 59 {
		return 0, fmt.Errorf("must be HH:MM, got %q", s)
	}
	if h == 24 && m == 0 && allow24 {
		return 24 * 60, nil
	}
	if h > 23 {
		return 0, fmt.Errorf("hour must be 00-23%s, got %q", map[bool]string{true: " (or 24:00)"}[allow24], s)
	}
	return h*60 + m, nil
}

// maxWindows bounds how many windows one customer may state.
const maxWindows = 28

// ValidateWindows checks a list of windows and records every problem under
// the JSON pointer prefix (e.g. "/preferred_windows"): known, unique days;
// HH:MM times; start before end; no two windows overlapping on a day.
func ValidateWindows(p *Problems, prefix string, ws []Window) {
	if len(ws) > maxWindows {
		p.Add(prefix, "max_items", "at most %d windows are allowed, got %d", maxWindows, len(ws))
		return
	}
	type span struct{ start, end, idx int }
	perDay := map[string][]span{}
	for i, w := range ws {
		at := fmt.Sprintf("%s/%d", prefix, i)
		ok := true
		if len(w.Days) == 0 {
			p.Add(at+"/days", "required", "must list at least one day (mon, tue, wed, thu, fri, sat, sun)")
			ok = false
		}
		seen := map[string]bool{}
		for j, d := range w.Days {
			if _, known := ParseWeekday(d); !known {
				p.Add(fmt.Sprintf("%s/days/%d", at, j), "weekday", "must be one of mon, tue, wed, thu, fri, sat, sun; got %q", d)
				ok = false
			} else if seen[d] {
				p.Add(fmt.Sprintf("%s/days/%d", at, j), "unique", "day %q is listed twice", d)
				ok = false
			}
			seen[d] = true
		}
		start, err := ParseClock(w.Start, false)
		if err != nil {
			p.Add(at+"/start", "time_of_day", "%v", err)
			ok = false
		}
		end, err := ParseClock(w.End, true)
		if err != nil {
			p.Add(at+"/end", "time_of_day", "%v", err)
			ok = false
		}
		if ok && start >= end {
			p.Add(at+"/end", "after_start", "end (%s) must be after start (%s); a window cannot cross midnight, split it into two", w.End, w.Start)
			ok = false
		}
		if ok {
			for _, d := range w.Days {
				perDay[d] = append(perDay[d], span{start, end, i})
			}
		}
	}
	for _, d := range weekdayNames {
		spans := perDay[d]
		sort.Slice(spans, func(a, b int) bool { return spans[a].start < spans[b].start })
		for k := 1; k < len(spans); k++ {
			if spans[k].start < spans[k-1].end {
				p.Add(fmt.Sprintf("%s/%d", prefix, spans[k].idx), "no_overlap",
					"overlaps window %d on %s; windows of one day must not overlap", spans[k-1].idx, d)
			}
		}
	}
}

// ParseWindowsSpec parses the compact form used by CANDOR_DEFAULT_WINDOWS:
// windows separated by ";", each "DAYS HH:MM-HH:MM" where DAYS is a comma
// list of day names or ranges, e.g. "mon-fri 09:00-17:00; sat 10:00-12:00".
func ParseWindowsSpec(spec string) ([]Window, error) {
	var ws []Window
	for _, part := range strings.Split(spec, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		fields := strings.Fields(part)
		if len(fields) != 2 {
			return nil, fmt.Errorf("window %q: want \"DAYS HH:MM-HH:MM\"", part)
		}
		days, err := parseDays(fields[0])
		if err != nil {
			return nil, fmt.Errorf("window %q: %v", part, err)
		}
		start, end, found := strings.Cut(fields[1], "-")
		if !found {
			return nil, fmt.Errorf("window %q: want HH:MM-HH:MM", part)
		}
		ws = append(ws, Window{Days: days, Start: start, End: end})
	}
	if len(ws) == 0 {
		return nil, fmt.Errorf("no window given")
	}
	var p Problems
	ValidateWindows(&p, "", ws)
	if len(p) > 0 {
		return nil, fmt.Errorf("window %s: %s", strings.TrimPrefix(p[0].Field, "/"), p[0].Detail)
	}
	return ws, nil
}

func parseDays(s string) ([]string, error) {
	var days []string
	for _, item := range strings.Split(s, ",") {
		from, to, isRange := strings.Cut(item, "-")
		a, okA := ParseWeekday(from)
		if !okA {
			return nil, fmt.Errorf("unknown day %q", from)
		}
		if !isRange {
			days = append(days, from)
			continue
		}
		b, okB := ParseWeekday(to)
		if !okB {
			return nil, fmt.Errorf("unknown day %q", to)
		}
		ia, ib := (int(a)+6)%7, (int(b)+6)%7 // Monday = 0
		if ia > ib {
			return nil, fmt.Errorf("day range %q must run forward from Monday to Sunday", item)
		}
		days = append(days, weekdayNames[ia:ib+1]...)
	}
	return days, nil
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }
