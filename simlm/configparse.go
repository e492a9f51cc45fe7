package simlm

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// EnvVar is the environment variable ConfigFromEnv reads.
const EnvVar = "SIMLM"

// ParseConfig reads a Config from a short comma-separated key=value string, so
// command-line tools can expose the whole simulator as one flag. Keys:
//
//	seed=42                    Config.Seed
//	model=simlm-1              Config.Model
//	latency=100ms              fixed delay (also latency=fixed:100ms)
//	latency=uniform:50ms:200ms uniform delay in [50ms, 200ms]
//	latency=lognormal:80ms:0.5 lognormal delay, median 80ms, sigma 0.5
//	latency=none               no delay
//	err429=0.1                 Faults.RateLimit
//	err500=0.05                Faults.ServerError
//	hang=0.01                  Faults.Hang
//	garbage=0.02               Faults.Garbage
//	prose=0.3                  Config.Prose
//	retry_after=2s             Faults.RetryAfter (bare numbers are seconds)
//	hang_for=30s               Faults.HangFor
//	max_faults=2               Faults.MaxConsecutive
//	base=0.4                   AccuracyModel.Base (zero-shot accuracy)
//	ceiling=0.9                AccuracyModel.Ceiling (best reachable accuracy)
//
// An empty string gives the zero Config. The result is validated.
func ParseConfig(s string) (Config, error) {
	var c Config
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		key, val, ok := strings.Cut(part, "=")
		if !ok {
			return Config{}, fmt.Errorf("simlm config %q: want key=value", part)
		}
		key, val = strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(val)
		if err := c.set(key, val); err != nil {
			return Config{}, fmt.Errorf("simlm config %s: %w", key, err)
		}
	}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("simlm config: %w", err)
	}
	return c, nil
}

// ConfigFromEnv parses the SIMLM environment variable with ParseConfig; unset
// or empty gives the zero Config.
func ConfigFromEnv() (Config, error) {
	return ParseConfig(os.Getenv(EnvVar))
}

func (c *Config) set(key, val string) error {
	var err error
	switch key {
	case "seed":
		c.Seed, err = strconv.ParseInt(val, 10, 64)
	case "model":
		c.Model = val
	case "latency":
		c.Latency, err = parseLatency(val)
	case "err429":
		c.Faults.RateLimit, err = strconv.ParseFloat(val, 64)
	case "err500":
		c.Faults.ServerError, err = strconv.ParseFloat(val, 64)
	case "hang":
		c.Faults.Hang, err = strconv.ParseFloat(val, 64)
	case "garbage":
		c.Faults.Garbage, err = strconv.ParseFloat(val, 64)
	case "prose":
		c.Prose, err = strconv.ParseFloat(val, 64)
	case "retry_after":
		c.Faults.RetryAfter, err = parseSeconds(val)
	case "hang_for":
		c.Faults.HangFor, err = parseSeconds(val)
	case "max_faults":
		c.Faults.MaxConsecutive, err = strconv.Atoi(val)
	case "base", "ceiling":
		var f float64
		if f, err = strconv.ParseFloat(val, 64); err != nil {
			break
		}
		if c.Accuracy == nil {
			a := DefaultAccuracy()
			c.Accuracy = &a
		}
		if key == "base" {
			c.Accuracy.Base = f
		} else {
			c.Accuracy.Ceiling = f
		}
	default:
		return fmt.Errorf("unknown key (want seed, model, latency, err429, err500, hang, garbage, prose, retry_after, hang_for, max_faults, base or ceiling)")
	}
	return err
}

// parseSeconds accepts a Go duration or a bare number of seconds.
func parseSeconds(s string) (time.Duration, error) {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return time.Duration(f * float64(time.Second)), nil
	}
	return time.ParseDuration(s)
}

func parseLatency(s string) (Latency, error) {
	parts := strings.Split(s, ":")
	switch strings.ToLower(parts[0]) {
	case "none", "0", "":
		if len(parts) == 1 {
			return Latency{}, nil
		}
	case "fixed":
		if len(parts) == 2 {
			d, err := time.ParseDuration(parts[1])
			return FixedLatency(d), err
		}
	case "uniform":
		if len(parts) == 3 {
			lo, err1 := time.ParseDuration(parts[1])
			hi, err2 := time.ParseDuration(parts[2])
			if err1 != nil || err2 != nil {
				return Latency{}, fmt.Errorf("uniform bounds %q: want durations", s)
			}
			return UniformLatency(lo, hi), nil
		}
	case "lognormal":
		if len(parts) == 3 {
			med, err1 := time.ParseDuration(parts[1])
			sigma, err2 := strconv.ParseFloat(parts[2], 64)
			if err1 != nil || err2 != nil {
				return Latency{}, fmt.Errorf("lognormal %q: want median duration and sigma", s)
			}
			return LogNormalLatency(med, sigma), nil
		}
	default:
		if len(parts) == 1 {
			d, err := time.ParseDuration(parts[0])
			if err != nil {
				return Latency{}, fmt.Errorf("latency %q: %w", s, err)
			}
			return FixedLatency(d), nil
		}
	}
	return Latency{}, fmt.Errorf("latency %q: want a duration, fixed:D, uniform:MIN:MAX or lognormal:MEDIAN:SIGMA", s)
}

// String renders c in the syntax ParseConfig reads, listing only the settings
// that differ from the zero Config. It round-trips every setting ParseConfig
// can express; of a custom AccuracyModel only Base and Ceiling are written.
func (c Config) String() string {
	var parts []string
	add := func(k, v string) { parts = append(parts, k+"="+v) }
	if c.Seed != 0 {
		add("seed", strconv.FormatInt(c.Seed, 10))
	}
	if c.Model != "" {
		add("model", c.Model)
	}
	switch l := c.Latency; l.Kind {
	case LatencyFixed:
		add("latency", "fixed:"+l.Fixed.String())
	case LatencyUniform:
		add("latency", "uniform:"+l.Min.String()+":"+l.Max.String())
	case LatencyLogNormal:
		add("latency", "lognormal:"+l.Median.String()+":"+strconv.FormatFloat(l.Sigma, 'g', -1, 64))
	}
	f := c.Faults
	for _, r := range []struct {
		k string
		v float64
	}{{"err429", f.RateLimit}, {"err500", f.ServerError}, {"hang", f.Hang}, {"garbage", f.Garbage}} {
		if r.v != 0 {
			add(r.k, strconv.FormatFloat(r.v, 'g', -1, 64))
		}
	}
	if c.Prose != 0 {
		add("prose", strconv.FormatFloat(c.Prose, 'g', -1, 64))
	}
	if f.RetryAfter != 0 {
		add("retry_after", f.RetryAfter.String())
	}
	if f.HangFor != 0 {
		add("hang_for", f.HangFor.String())
	}
	if f.MaxConsecutive != 0 {
		add("max_faults", strconv.Itoa(f.MaxConsecutive))
	}
	if a := c.Accuracy; a != nil {
		add("base", strconv.FormatFloat(a.Base, 'g', -1, 64))
		add("ceiling", strconv.FormatFloat(a.Ceiling, 'g', -1, 64))
	}
	return strings.Join(parts, ",")
}
