package coerce

import (
	"encoding/json"
	"testing"
)

// FuzzScalars feeds the scalar coercions the text an LM writes for a number or
// a bool, raw and as a decoded JSON number: they return the declared Go type
// or an error, never panic.
func FuzzScalars(f *testing.F) {
	for _, seed := range []string{"42", " 7 ", "42.0", "1.5", "-0", "1e3", "1e400", "0x10", "1_000", "NaN",
		"inf", "yes", "OFF", "t", "", "9223372036854775808", "9007199254740993.0", "-.5"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		for _, v := range []any{in, json.Number(in)} {
			if got, err := Int(v); err == nil {
				if _, ok := got.(int); !ok {
					t.Fatalf("Int(%#v) = %T", v, got)
				}
			}
			if got, err := Float(v); err == nil {
				if _, ok := got.(float64); !ok {
					t.Fatalf("Float(%#v) = %T", v, got)
				}
			}
			if got, err := Bool(v); err == nil {
				if _, ok := got.(bool); !ok {
					t.Fatalf("Bool(%#v) = %T", v, got)
				}
			}
			_ = Numbers(v)
		}
	})
}
