package pyfmt

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFloat_MatchesPythonRepr(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0.0"},
		{math.Copysign(0, -1), "-0.0"},
		{1, "1.0"},
		{0.1, "0.1"},
		{-2.5, "-2.5"},
		{1e6, "1000000.0"},
		{123456789012345.0, "123456789012345.0"},
		{1e15, "1000000000000000.0"},
		{1e16, "1e+16"},
		{1.5e17, "1.5e+17"},
		{0.0001, "0.0001"},
		{0.00001, "1e-05"},
		{1.25e-7, "1.25e-07"},
		{math.MaxFloat64, "1.7976931348623157e+308"},
		{math.NaN(), "nan"},
		{math.Inf(1), "inf"},
		{math.Inf(-1), "-inf"},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, Float(tc.in), "%v", tc.in)
	}
}
