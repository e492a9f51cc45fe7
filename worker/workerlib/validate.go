package workerlib

import (
	"errors"
	"fmt"
	"sort"
)

// Validate reports every problem with o at once, each naming the flag (or
// environment variable) to change, so a user fixes a command line in one go.
func (o Options) Validate() error {
	var errs []error
	names := make([]string, 0, len(o.envErrs))
	for name := range o.envErrs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		errs = append(errs, o.envErrs[name])
	}

	if (o.TLSCertFile == "") != (o.TLSKeyFile == "") {
		errs = append(errs, fmt.Errorf("--%s and --%s go together: mutual TLS needs both the certificate and its key", FlagTLSCert, FlagTLSKey))
	}
	nonNegative := []struct {
		flag  string
		value float64
	}{
		{FlagConcurrency, float64(o.Concurrency)},
		{FlagMaxConcurrentActivities, float64(o.MaxConcurrentActivities)},
		{FlagStopTimeout, float64(o.StopTimeout)},
		{FlagDialTimeout, float64(o.DialTimeout)},
		{FlagLMTimeout, float64(o.LM.Timeout)},
		{FlagLMMaxRetries, float64(o.LM.MaxRetries)},
		{FlagLMMaxConcurrency, float64(o.LM.MaxConcurrency)},
		{FlagLMRPS, o.LM.RequestsPerSecond},
	}
	for _, n := range nonNegative {
		// The comparison is written so that NaN fails it too.
		if !(n.value >= 0) {
			errs = append(errs, fmt.Errorf("--%s must not be negative", n.flag))
		}
	}
	if o.Dev && o.DevUIPort < -1 {
		errs = append(errs, fmt.Errorf("--%s %d: want a port, 0 for a free one or -1 for no UI", FlagDevUIPort, o.DevUIPort))
	}
	return errors.Join(errs...)
}
