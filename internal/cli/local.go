package cli

import (
	"errors"
	"log/slog"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/optimize"
	"github.com/durable-dspy/durable-dspy/simlm"
	"github.com/durable-dspy/durable-dspy/worker/lmconfig"
)

// localFlags are the flags of the commands that build a program here: run
// and prompt.
type localFlags struct {
	specPath  string
	statePath string
	inputs    []string
	inputJSON string
}

// build makes the spec's program and applies the saved state, if any.
func (f localFlags) build() (dspy.Module, error) {
	if f.specPath == "" {
		return nil, usagef("--spec is required: the program's spec file (JSON or YAML)")
	}
	sp, err := loadSpec(f.specPath)
	if err != nil {
		return nil, err
	}
	// Tools live on the worker; a react spec cannot be built here.
	m, err := sp.Build(nil)
	if err != nil {
		return nil, usagef("--spec %s: %v", f.specPath, err)
	}
	st, err := loadState(f.statePath)
	if err != nil {
		return nil, err
	}
	if st != nil {
		// A compiled ensemble's state builds the ensemble around the spec's program.
		if m, err = optimize.BuildProgram(func() (dspy.Module, error) { return sp.Build(nil) }, *st); err != nil {
			return nil, usagef("--state %s does not fit --spec %s: %v", f.statePath, f.specPath, err)
		}
		if err := dspy.LoadState(m, *st); err != nil {
			return nil, usagef("--state %s does not fit --spec %s: %v", f.statePath, f.specPath, err)
		}
	}
	return m, nil
}

// openLocalLM opens the LM for running a program in this process, chosen as
// the worker chooses it (lmconfig.Open): the configured endpoint, or the
// simulated LM, served in-process, when there is no API key and no base URL.
// A one-off run keeps its cache in memory: it is not an optimization whose
// later runs should reuse replies.
func openLocalLM(o lmconfig.Options, logger *slog.Logger) (*lmconfig.Clients, error) {
	if _, err := simlm.ParseConfig(o.Sim); err != nil {
		return nil, usagef("--%s: %v", lmconfig.FlagSim, err)
	}
	o.CacheDir = lmconfig.CacheOff
	return lmconfig.Open(o, logger)
}

// inputError turns a program's complaint about missing inputs into bad
// usage naming --input.
func inputError(err error) error {
	var ie *dspy.InputError
	if errors.As(err, &ie) {
		return usagef("--input: %v", err)
	}
	return err
}
