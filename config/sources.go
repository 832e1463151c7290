package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Field describes one setting and how every source names it.
type Field struct {
	JSON, Env, Flag, Help string
	index                 int
}

// Fields lists every setting in declaration order.
func Fields() []Field {
	t := reflect.TypeOf(Config{})
	out := make([]Field, 0, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		out = append(out, Field{JSON: f.Tag.Get("json"), Env: f.Tag.Get("env"), Flag: f.Tag.Get("flag"), Help: f.Tag.Get("help"), index: i})
	}
	return out
}

// Get returns the field's value as text (durations as "10s").
func (c *Config) Get(f Field) string {
	return fmt.Sprint(reflect.ValueOf(c).Elem().Field(f.index).Interface())
}

// Copy sets the field to its value in from.
func (c *Config) Copy(f Field, from Config) {
	reflect.ValueOf(c).Elem().Field(f.index).Set(reflect.ValueOf(from).Field(f.index))
}

// Set parses s into the field.
func (c *Config) Set(f Field, s string) error {
	v := reflect.ValueOf(c).Elem().Field(f.index)
	s = strings.TrimSpace(s)
	switch v.Interface().(type) {
	case string:
		v.SetString(s)
	case time.Duration:
		d, err := parseDuration(s)
		if err != nil {
			return err
		}
		v.SetInt(int64(d))
	case int, int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not an integer", s)
		}
		v.SetInt(n)
	case float64:
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", s)
		}
		v.SetFloat(x)
	case bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("%q is not true or false", s)
		}
		v.SetBool(b)
	default:
		return fmt.Errorf("unsupported field type %s", v.Type())
	}
	return nil
}

// parseDuration accepts Go durations ("30m") and bare seconds ("30").
func parseDuration(s string) (time.Duration, error) {
	if n, err := strconv.ParseFloat(s, 64); err == nil {
		return time.Duration(n * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (e.g. 500ms, 10s, 30m)", s)
	}
	return d, nil
}

// ApplyEnv fills fields from environment variables that are set.
func (c *Config) ApplyEnv(lookup func(string) (string, bool)) error {
	var errs []error
	for _, f := range Fields() {
		if s, ok := lookup(f.Env); ok && s != "" {
			if err := c.Set(f, s); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", f.Env, err))
			}
		}
	}
	return errors.Join(errs...)
}

// RegisterFlags adds one flag per field to fs; values are applied to c when parsed.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	for _, f := range Fields() {
		f := f
		// The built-in default, never the value taken from the environment: usage text ends up
		// in editor logs, and MIMI_REDIS_URL or MIMI_CACHE_SECRET may hold a password.
		def := Default()
		fs.Func(f.Flag, f.Help+" (default "+def.Get(f)+", env "+f.Env+")", func(s string) error {
			return c.Set(f, s)
		})
	}
}

// ApplyJSON merges a JSON object of settings (initializationOptions or
// workspace/didChangeConfiguration) into c. Unknown keys are returned, not fatal; a value of
// the wrong type is an error naming the key. Values may be JSON strings, numbers or booleans.
// An object nested under "mimi" is accepted too (the shape editors use for settings sections):
// then only that object is read, and its siblings are other servers' sections, not unknown keys.
func (c *Config) ApplyJSON(raw json.RawMessage) (unknown []string, err error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, fmt.Errorf("settings must be a JSON object: %w", err)
	}
	if inner, ok := obj["mimi"]; ok && bytes.HasPrefix(bytes.TrimSpace(inner), []byte("{")) {
		return c.ApplyJSON(inner)
	}
	byName := map[string]Field{}
	for _, f := range Fields() {
		byName[f.JSON] = f
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var errs []error
	for _, k := range keys {
		f, ok := byName[k]
		if !ok {
			unknown = append(unknown, k)
			continue
		}
		var v any
		if err := json.Unmarshal(obj[k], &v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", k, err))
			continue
		}
		switch x := v.(type) {
		case string, bool, float64:
			s := fmt.Sprint(x)
			if n, ok := x.(float64); ok {
				s = strconv.FormatFloat(n, 'f', -1, 64)
			}
			if err := c.Set(f, s); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", k, err))
			}
		case nil:
		case []any: // a list of strings (e.g. secretFiles) is the comma-separated form
			parts := make([]string, 0, len(x))
			for _, e := range x {
				str, ok := e.(string)
				if !ok || strings.Contains(str, ",") {
					errs = append(errs, fmt.Errorf("%s: expected a list of strings without commas", k))
					parts = nil
					break
				}
				parts = append(parts, str)
			}
			if parts != nil || len(x) == 0 {
				if err := c.Set(f, strings.Join(parts, ",")); err != nil {
					errs = append(errs, fmt.Errorf("%s: %w", k, err))
				}
			}
		default:
			errs = append(errs, fmt.Errorf("%s: expected a string, number, boolean or list of strings", k))
		}
	}
	return unknown, errors.Join(errs...)
}

// Reference renders the configuration table (markdown) with defaults.
func Reference() string {
	d := Default()
	var b strings.Builder
	b.WriteString("| initializationOptions | env | flag | default | meaning |\n|---|---|---|---|---|\n")
	for _, f := range Fields() {
		fmt.Fprintf(&b, "| `%s` | `%s` | `--%s` | `%s` | %s |\n", f.JSON, f.Env, f.Flag, d.Get(f), f.Help)
	}
	return b.String()
}
