package configs

import (
	"fmt"
	"reflect"
)

// Var documents one setting: its environment variable, its key in the
// YAML file, its default and what it does.
type Var struct {
	Name        string // environment variable, e.g. "CANDOR_SMTP_PORT"
	Key         string // YAML key path, e.g. "smtp.port"; empty for CANDOR_CONFIG
	Default     string // as it would be written in the environment; empty when unset
	Description string
	Secret      bool // the value is, or may contain, a credential
	// Roles names the one serving command that reads it ("api" or
	// "worker"); empty when both do.
	Roles string
}

// configFileVar names the YAML file; it is the one variable without a
// field, since it says where the fields come from.
var configFileVar = Var{
	Name:        "CANDOR_CONFIG",
	Description: "Path of an optional YAML file with these settings (see configs/candor.example.yaml); environment variables override it.",
}

// Vars lists every variable Candor reads, in declaration order, for the
// README's configuration table and the tests that keep it complete.
func Vars() []Var {
	vars := []Var{configFileVar}
	for _, s := range settings(reflect.ValueOf(Defaults()).Elem(), "") {
		vars = append(vars, Var{
			Name:        s.name,
			Key:         s.key,
			Default:     fmt.Sprint(s.value.Interface()),
			Description: s.field.Tag.Get("desc"),
			Secret:      s.field.Tag.Get("redact") != "",
			Roles:       s.field.Tag.Get("roles"),
		})
	}
	return vars
}

// setting is one leaf field of Config with its value.
type setting struct {
	name  string // env tag
	key   string // YAML key path
	field reflect.StructField
	value reflect.Value
}

// settings walks the leaf fields of a Config (or of one of its sections)
// in declaration order; fields without an env tag are sections.
func settings(v reflect.Value, prefix string) []setting {
	var out []setting
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		key := prefix + f.Tag.Get("yaml")
		if f.Tag.Get("env") == "" {
			out = append(out, settings(v.Field(i), key+".")...)
			continue
		}
		out = append(out, setting{name: f.Tag.Get("env"), key: key, field: f, value: v.Field(i)})
	}
	return out
}

// setting returns the value of the setting named by environment variable
// name as it would be written in the environment, or "" for a name that
// is not a setting. It lets the channel registry name a channel's
// settings without the configs package switching on channel names.
func (c *Config) setting(name string) string {
	for _, s := range settings(reflect.ValueOf(c).Elem(), "") {
		if s.name == name {
			return fmt.Sprint(s.value.Interface())
		}
	}
	return ""
}
