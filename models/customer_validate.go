package models

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // IANA zones must resolve even in a minimal container.
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/language"
)

var (
	externalIDRE   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:@+\-]{0,199}$`)
	attributeKeyRE = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)
)

// Limits on free-form customer attributes, so one customer cannot bloat
// segment evaluation or the database.
const (
	MaxAttributesBytes = 16 * 1024
	MaxAttributesDepth = 5
)

// ValidExternalID reports whether id is an acceptable external id: 1-200
// characters of letters, digits and . _ : @ + -, starting alphanumeric.
func ValidExternalID(id string) bool { return externalIDRE.MatchString(id) }

// Normalize trims surrounding white space, lower-cases the email's domain
// and canonicalises the locale so equal inputs are stored equally.
func (in *CustomerInput) Normalize() {
	in.ExternalID = strings.TrimSpace(in.ExternalID)
	for _, spec := range channelSpecs {
		if spec.input != nil {
			addr := spec.input.field(in)
			*addr = spec.input.normalize(*addr)
		}
	}
	in.Name = strings.TrimSpace(in.Name)
	in.Locale = strings.TrimSpace(in.Locale)
	if tag, err := language.Parse(in.Locale); err == nil && in.Locale != "" {
		in.Locale = tag.String()
	}
	in.Timezone = strings.TrimSpace(in.Timezone)
	if in.PreferredWindows == nil {
		in.PreferredWindows = []Window{}
	}
	if in.Attributes == nil {
		in.Attributes = map[string]any{}
	}
	MapJSONLeaves(in.Attributes, positiveZero)
}

// zeroNumber reports whether the unsigned JSON number text s is exactly
// zero: only zeros in its digits, whatever its exponent (-1e-400 is not
// zero, though it rounds to 0 as a float64).
func zeroNumber(s string) bool {
	mantissa, _, _ := strings.Cut(strings.ToLower(s), "e")
	return mantissa != "" && strings.Trim(mantissa, "0.") == ""
}

// positiveZero returns the JSON leaf v as 0 when it is a negative zero.
// PostgreSQL's jsonb stores -0 as 0, SQLite's text keeps it: the same
// customer would read back differently by backend, and a PUT would
// answer -0 where a GET answers 0.
func positiveZero(v any) any {
	switch n := v.(type) {
	case float64:
		if n == 0 {
			return 0.0
		}
	case json.Number:
		if rest, neg := strings.CutPrefix(string(n), "-"); neg && zeroNumber(rest) {
			return json.Number(rest)
		}
	}
	return v
}

// Validate checks every field and returns an EINVALID error listing all
// problems, or nil. Call Normalize first.
func (in *CustomerInput) Validate() error {
	var p Problems
	// In field order, so the same input always names the same field.
	for _, f := range []struct{ field, s string }{{"/email", in.Email}, {"/phone", in.Phone}, {"/name", in.Name},
		{"/locale", in.Locale}, {"/timezone", in.Timezone}} {
		if !checkText(&p, f.field, f.s) {
			return p.Err() // further checks would only restate the problem
		}
	}
	if !ValidExternalID(in.ExternalID) {
		p.Add("/external_id", "format", "must be 1-200 letters, digits or . _ : @ + - and start with a letter or digit")
	}
	for _, spec := range channelSpecs {
		if spec.input != nil {
			if addr := *spec.input.field(in); addr != "" && !spec.input.valid(addr) {
				p.Add("/"+spec.AddressField, spec.input.rule, "%s", spec.input.detail)
			}
		}
	}
	if utf8.RuneCountInString(in.Name) > 200 {
		p.Add("/name", "max_length", "must be at most 200 characters")
	} else if strings.IndexFunc(in.Name, unicode.IsControl) >= 0 {
		p.Add("/name", "printable", "must not contain control characters")
	}
	if in.Locale != "" && !ValidLocale(in.Locale) {
		p.Add("/locale", "bcp47", "must be a BCP 47 language tag such as en-US or de-AT")
	}
	if in.Timezone != "" && !ValidTimezone(in.Timezone) {
		p.Add("/timezone", "iana_timezone", "must be an IANA time zone such as Europe/Berlin, got %q", in.Timezone)
	}
	spec, known := ChannelSpecFor(in.PreferredChannel)
	switch {
	case in.PreferredChannel == "":
		p.Add("/preferred_channel", "required", "is required: one of %s", ChannelList(", "))
	case !known:
		p.Add("/preferred_channel", "enum", "must be one of %s; got %q", ChannelList(", "), in.PreferredChannel)
	case spec.input != nil && *spec.input.field(in) == "":
		p.Add("/"+spec.AddressField, "required_for_channel", "is required because preferred_channel is %s", spec.Name)
	}
	ValidateWindows(&p, "/preferred_windows", in.PreferredWindows)
	ValidateCadence(&p, "/cadence", in.Cadence)
	validateAttributes(&p, in.Attributes)
	return p.Err()
}

// ValidLocale reports whether s is a BCP 47 language tag (valid text,
// no NUL, parsed by x/text/language).
func ValidLocale(s string) bool {
	if !ValidText(s) {
		return false
	}
	_, err := language.Parse(s)
	return err == nil
}

// ValidTimezone reports whether name is a canonical IANA zone or one of
// its standard links in the tzdata Go embeds (TimezoneNames). "Local",
// "Factory", the empty name and names that only the host's zone files
// hold (posixrules, right/UTC, ...) are rejected: a customer's zone must
// mean the same on every server.
func ValidTimezone(name string) bool {
	if !timezones[name] {
		return false
	}
	// Loading a zone reads and parses its tzdata on every call (issue 17
	// profiled 2 ms per 1,000-customer batch); the answer never changes
	// and the names are bounded by the timezones list.
	if ok, seen := loadableZones.Load(name); seen {
		return ok.(bool)
	}
	_, err := time.LoadLocation(name)
	loadableZones.Store(name, err == nil)
	return err == nil
}

// loadableZones caches ValidTimezone's LoadLocation per zone name.
var loadableZones sync.Map

func validateAttributes(p *Problems, attrs map[string]any) {
	raw, err := json.Marshal(attrs)
	if err != nil {
		p.Add("/attributes", "json", "must be a JSON object")
		return
	}
	if len(raw) > MaxAttributesBytes {
		p.Add("/attributes", "max_size", "must be at most %d bytes of JSON, got %d", MaxAttributesBytes, len(raw))
		return
	}
	walkAttributes(p, "/attributes", attrs, 1)
}

func walkAttributes(p *Problems, at string, v any, depth int) {
	switch v := v.(type) {
	case string:
		checkText(p, at, v)
	case map[string]any:
		if depth > MaxAttributesDepth {
			p.Add(at, "max_depth", "attributes may nest at most %d objects deep", MaxAttributesDepth)
			return
		}
		for k, child := range v {
			if !attributeKeyRE.MatchString(k) {
				p.Add(at+"/"+escapePointer(k), "attribute_key", "keys must be 1-64 letters, digits or underscores so segments can address them")
				continue
			}
			walkAttributes(p, at+"/"+k, child, depth+1)
		}
	case []any:
		if depth > MaxAttributesDepth {
			p.Add(at, "max_depth", "attributes may nest at most %d levels deep", MaxAttributesDepth)
			return
		}
		for i, child := range v {
			walkAttributes(p, fmt.Sprintf("%s/%d", at, i), child, depth+1)
		}
	}
}

// escapePointer escapes a JSON pointer reference token (RFC 6901).
func escapePointer(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}
