package models

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Cadence is a rolling limit: at most Max messages in any period of Per
// ("<n>d" or "<n>h").
type Cadence struct {
	Max int    `json:"max"`
	Per string `json:"per"`
}

var periodRE = regexp.MustCompile(`^([1-9][0-9]{0,3})([dh])$`)

// maxPeriod bounds a cadence period to one year.
const maxPeriod = 366 * 24 * time.Hour

// ParsePeriod parses a cadence period such as "30d" or "12h".
func ParsePeriod(s string) (time.Duration, error) {
	m := periodRE.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf(`must be a whole number of days or hours such as "30d" or "12h", got %q`, s)
	}
	n, _ := strconv.Atoi(m[1])
	d := time.Duration(n) * time.Hour
	if m[2] == "d" {
		d *= 24
	}
	if d > maxPeriod {
		return 0, fmt.Errorf("must be at most 366d, got %q", s)
	}
	return d, nil
}

// Period returns the parsed period of a valid cadence.
func (c Cadence) Period() time.Duration {
	d, _ := ParsePeriod(c.Per)
	return d
}

// ValidateCadence checks a cadence and records problems under prefix.
func ValidateCadence(p *Problems, prefix string, c *Cadence) {
	if c == nil {
		return
	}
	if c.Max < 1 || c.Max > 1000 {
		p.Add(prefix+"/max", "range", "must be between 1 and 1000, got %d", c.Max)
	}
	if _, err := ParsePeriod(c.Per); err != nil {
		p.Add(prefix+"/per", "period", "%v", err)
	}
}

// ParseCadenceSpec parses the compact "N/<n>d" form used by
// CANDOR_MAX_MESSAGES_PER_CUSTOMER, e.g. "4/30d".
func ParseCadenceSpec(spec string) (*Cadence, error) {
	maxStr, per, ok := strings.Cut(strings.TrimSpace(spec), "/")
	if !ok {
		return nil, fmt.Errorf(`want "N/<n>d" or "N/<n>h" such as "4/30d", got %q`, spec)
	}
	n, err := strconv.Atoi(maxStr)
	if err != nil {
		return nil, fmt.Errorf("count %q is not a whole number", maxStr)
	}
	c := &Cadence{Max: n, Per: per}
	var p Problems
	ValidateCadence(&p, "", c)
	if len(p) > 0 {
		return nil, fmt.Errorf("%s: %s", strings.TrimPrefix(p[0].Field, "/"), p[0].Detail)
	}
	return c, nil
}
