package configs

import (
	"log/slog"
	"net/url"
	"reflect"
	"time"
)

// The formatting methods below have value receivers so that a Config, a
// *Config and a copied section all print redacted; with pointer receivers
// fmt.Print(cfg.SMTP) would show the password.

// LogValue implements slog.LogValuer: every setting by YAML key, with
// secrets replaced by "[redacted]" and credentials, paths and queries of
// URLs removed as their redact tags say.
func (c Config) LogValue() slog.Value {
	attrs := []slog.Attr{slog.Bool("embedded", c.Embedded())}
	return slog.GroupValue(append(attrs, logAttrs(reflect.ValueOf(c))...)...)
}

// String returns the redacted settings, as LogValue.
func (c Config) String() string { return c.LogValue().String() }

// GoString makes %#v redacted too.
func (c Config) GoString() string { return c.String() }

// LogValue implements slog.LogValuer with the password redacted.
func (s SMTP) LogValue() slog.Value { return slog.GroupValue(logAttrs(reflect.ValueOf(s))...) }

// String returns the redacted settings, as LogValue.
func (s SMTP) String() string { return s.LogValue().String() }

// GoString makes %#v redacted too.
func (s SMTP) GoString() string { return s.String() }

// LogValue implements slog.LogValuer with the token and URL redacted.
func (s SMS) LogValue() slog.Value { return slog.GroupValue(logAttrs(reflect.ValueOf(s))...) }

// String returns the redacted settings, as LogValue.
func (s SMS) String() string { return s.LogValue().String() }

// GoString makes %#v redacted too.
func (s SMS) GoString() string { return s.String() }

// logAttrs renders the fields of v, a Config or a section, one attribute
// per field and one group per section.
func logAttrs(v reflect.Value) []slog.Attr {
	var attrs []slog.Attr
	t := v.Type()
	for i := range t.NumField() {
		f, fv := t.Field(i), v.Field(i)
		key := f.Tag.Get("yaml")
		if f.Tag.Get("env") == "" {
			attrs = append(attrs, slog.Attr{Key: key, Value: slog.GroupValue(logAttrs(fv)...)})
			continue
		}
		switch f.Tag.Get("redact") {
		case "value":
			attrs = append(attrs, slog.String(key, redactValue(fv.String())))
		case "url":
			attrs = append(attrs, slog.String(key, redactURL(fv.String(), false)))
		case "origin":
			attrs = append(attrs, slog.String(key, redactURL(fv.String(), true)))
		default:
			if d, ok := fv.Interface().(time.Duration); ok {
				// "20s" rather than the JSON handler's nanoseconds, as
				// the operator wrote it.
				attrs = append(attrs, slog.String(key, d.String()))
				continue
			}
			attrs = append(attrs, slog.Any(key, fv.Interface()))
		}
	}
	return attrs
}

// redactValue says only whether a secret is set, which is what an
// operator debugging a deployment needs to know.
func redactValue(s string) string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// redactURL keeps what identifies a backend or endpoint and drops what
// may authenticate to it: the whole user info (a Redis password is
// sometimes written as the user name), the query (postgres accepts
// ?password=) and, with originOnly, the path, where webhook services
// often embed their token.
func redactURL(s string, originOnly bool) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Opaque != "" {
		// Unparseable values may be keyword DSNs with a password inside.
		return "[redacted: not a URL]"
	}
	if originOnly {
		return u.Scheme + "://" + u.Host
	}
	if u.User != nil {
		u.User = url.User("xxxxx")
	}
	u.RawQuery, u.Fragment, u.RawFragment = "", "", ""
	return u.String()
}
