// Package envflag takes command-line flags' defaults from environment
// variables, so that a container or a shell profile configures a binary
// without a command line, and a flag still overrides the variable.
//
// A variable whose value does not parse is not fatal when it is read: it is
// kept in Errors, to be reported by the caller's validation naming both the
// variable and the flag, and forgotten once the flag is given.
package envflag

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"

	"github.com/spf13/pflag"
)

// Errors holds the environment values that did not parse, keyed by flag
// name. The map is created on the first bad value, so the options holding it
// compare equal to their defaults when every value parses; copies of those
// options share it, as their flags write through pointers too.
type Errors map[string]error

// Err joins the errors, sorted by flag name, or returns nil.
func (e Errors) Err() error {
	names := make([]string, 0, len(e))
	for name := range e {
		names = append(names, name)
	}
	sort.Strings(names)
	errs := make([]error, 0, len(names))
	for _, name := range names {
		errs = append(errs, e[name])
	}
	return errors.Join(errs...)
}

// Bind sets the already defined flag name from the environment variable
// when it is set, so the help shows the value in force; it notes the
// variable in the flag's help and reports whether the variable was set. A
// value that does not parse is kept in *errs until the flag is given.
func Bind(fs *pflag.FlagSet, errs *Errors, name, variable string) bool {
	f := fs.Lookup(name)
	f.Usage += " [$" + variable + "]"
	val, ok := os.LookupEnv(variable)
	if !ok {
		return false
	}
	if err := f.Value.Set(val); err != nil {
		// pflag's numeric values store the zero value on a parse error.
		_ = f.Value.Set(f.DefValue)
		if *errs == nil {
			*errs = Errors{}
		}
		pending := *errs
		pending[name] = fmt.Errorf("$%s=%s: %w (fix or unset it, or pass --%s)", variable, strconv.Quote(val), err, name)
		f.Value = &clearOnSet{Value: f.Value, clear: func() { delete(pending, name) }}
		return true
	}
	f.DefValue = f.Value.String()
	return true
}

// clearOnSet forgets a bad environment default once the flag is given.
type clearOnSet struct {
	pflag.Value
	clear func()
}

// Set sets the flag and clears the pending environment error.
func (c *clearOnSet) Set(s string) error {
	if err := c.Value.Set(s); err != nil {
		return err
	}
	c.clear()
	return nil
}
