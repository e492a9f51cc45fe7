package pyfmt

import (
	"math"
	"strconv"
	"strings"
)

// Float is Python's repr (and str) of a float: the shortest digits that
// round-trip, always with a decimal point or an exponent, in exponent form
// below 1e-4 and from 1e16 up; nan, inf and -inf for the non-finite values.
func Float(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return finiteFloat(f)
}

// finiteFloat is Float for a finite f.
func finiteFloat(f float64) string {
	if f == 0 {
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	exp := int(math.Floor(math.Log10(math.Abs(f))))
	// Log10 can be off by one at exact powers of ten; the 'e' form is exact.
	sci := strconv.FormatFloat(f, 'e', -1, 64)
	if i := strings.IndexByte(sci, 'e'); i >= 0 {
		if e, err := strconv.Atoi(sci[i+1:]); err == nil {
			exp = e
		}
	}
	if exp < -4 || exp >= 16 {
		return sci
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsRune(s, '.') {
		s += ".0"
	}
	return s
}
