package configs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
	"gopkg.in/yaml.v3"
)

// Load returns the configuration from the defaults, the YAML file named by
// CANDOR_CONFIG if set, and the CANDOR_* variables, each overriding the
// one before. getenv is os.Getenv in production and a map lookup in
// tests; an empty variable counts as unset, so it never blanks a value
// from the file. Load fails with an *Error listing every value it cannot
// read (unreadable file, bad YAML, unknown key, a number that is not a
// number); the rules on readable values are Validate's job.
func Load(getenv func(string) string) (*Config, error) {
	c, p := load(getenv)
	if err := p.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// LoadAndValidate is Load followed by Validate(mode), reporting the
// problems of both at once: an operator fixing a bad port should not
// discover a bad TLS mode only on the next start. Values that could not
// be read keep their earlier value and are not validated twice.
func LoadAndValidate(getenv func(string) string, mode Mode) (*Config, error) {
	c, p := load(getenv)
	unreadable := map[string]bool{}
	for _, prob := range p {
		unreadable[prob.Var] = true
	}
	var verr *Error
	if err := c.Validate(mode); errors.As(err, &verr) {
		for _, prob := range verr.Problems {
			if !unreadable[prob.Var] {
				p = append(p, prob)
			}
		}
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// load reads defaults, file and environment, collecting every value it
// cannot read; the returned config is always usable for validation.
func load(getenv func(string) string) (*Config, problems) {
	c := Defaults()
	var p problems
	if path := getenv(configFileVar.Name); path != "" {
		c.loadFile(&p, path)
	}
	c.loadEnv(&p, getenv)
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	c.LogLevel = strings.ToLower(c.LogLevel)
	c.SMTP.TLS = strings.ToLower(c.SMTP.TLS)
	return c, p
}

// unknownFieldRE matches yaml.v3's message for a key that KnownFields
// rejects, to reword it without Go type names.
var unknownFieldRE = regexp.MustCompile(`^line (\d+): field (.+) not found in type \S+$`)

// loadFile decodes the YAML file at path over c. Unknown keys are errors,
// so a typo such as "smpt:" cannot silently leave the default in place.
func (c *Config) loadFile(p *problems, path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		p.add(configFileVar.Name, "file", "cannot read the config file: %v", err)
		return
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err = dec.Decode(c)
	var typeErr *yaml.TypeError
	switch {
	case err == nil, errors.Is(err, io.EOF): // io.EOF: the file is empty
	case errors.As(err, &typeErr):
		for _, msg := range typeErr.Errors {
			if m := unknownFieldRE.FindStringSubmatch(msg); m != nil {
				msg = fmt.Sprintf("line %s: unknown setting %q", m[1], m[2])
			}
			p.add(configFileVar.Name, "yaml", "%s: %s", path, msg)
		}
	default:
		p.add(configFileVar.Name, "yaml", "%s: %v", path, err)
	}
}

// loadEnv overrides c with the CANDOR_* variables that are set.
func (c *Config) loadEnv(p *problems, getenv func(string) string) {
	environment := map[string]string{}
	byField := map[string]string{} // Go field name -> variable, for typed fields
	for _, s := range settings(reflect.ValueOf(c).Elem(), "") {
		if v := getenv(s.name); v != "" {
			environment[s.name] = v
		}
		if s.value.Kind() != reflect.String {
			byField[s.field.Name] = s.name
		}
	}
	err := env.ParseWithOptions(c, env.Options{Environment: environment})
	if err == nil {
		return
	}
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		agg.Errors = []error{err}
	}
	for _, e := range agg.Errors {
		var pe env.ParseError
		if !errors.As(e, &pe) || byField[pe.Name] == "" {
			// Not reachable with Config's field types; kept so a new
			// field type cannot make Load fail without saying why.
			p.add("CANDOR_*", "parse", "%v", e)
			continue
		}
		name := byField[pe.Name]
		p.add(name, "parse", "must be %s, got %q", typeHint(pe.Type), environment[name])
	}
}

// typeHint describes the values a field of type t accepts.
func typeHint(t reflect.Type) string {
	switch {
	case t == reflect.TypeFor[time.Duration]():
		return "a duration such as 20s or 1m30s"
	case t.Kind() == reflect.Bool:
		return "true or false"
	default:
		return "a whole number"
	}
}
