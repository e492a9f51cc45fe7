package cli

import (
	"errors"
	"fmt"
	"os"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/lm"
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
		if err := dspy.LoadState(m, *st); err != nil {
			return nil, usagef("--state %s does not fit --spec %s: %v", f.statePath, f.specPath, err)
		}
	}
	return m, nil
}

// localLM is an LM client for running a program in this process, chosen as
// the worker chooses: the configured endpoint, or the simulated LM, served
// in-process, when there is no API key and no base URL.
type localLM struct {
	client      *lm.Client
	sim         *simlm.Server
	description string
}

func newLocalLM(o lmconfig.Options) (*localLM, error) {
	baseURL := o.BaseURL
	if baseURL == "" {
		baseURL = os.Getenv(lm.EnvBaseURL)
	}
	apiKey := os.Getenv(lm.EnvAPIKey)
	l := &localLM{}
	opts := lm.Options{Model: o.Model, Timeout: o.Timeout, MaxRetries: o.MaxRetries}
	if baseURL == lmconfig.SimulatedBaseURL || (baseURL == "" && apiKey == "") {
		cfg, err := simlm.ParseConfig(o.Sim)
		if err != nil {
			return nil, usagef("--%s: %v", lmconfig.FlagSim, err)
		}
		l.sim = simlm.New(cfg)
		if err := l.sim.Start(); err != nil {
			return nil, fmt.Errorf("simulated LM: %w", err)
		}
		// The simulator checks no key; never send a real one to it.
		opts.BaseURL, opts.APIKey = l.sim.URL(), "simulated"
		if opts.Model == "" {
			opts.Model = cfg.Model
		}
		if opts.Model == "" {
			opts.Model = simlm.DefaultModel
		}
		l.description = "simulated LM (no " + lm.EnvAPIKey + " set)"
	} else {
		opts.BaseURL, opts.APIKey = baseURL, apiKey
		if opts.Model == "" {
			opts.Model = lmconfig.DefaultModel
		}
		l.description = opts.Model
	}
	c, err := lm.New(opts)
	if err != nil {
		_ = l.Close()
		return nil, fmt.Errorf("LM (--%s, --%s): %w", lmconfig.FlagBaseURL, lmconfig.FlagModel, err)
	}
	l.client = c
	return l, nil
}

// Close stops the simulated LM, if one was started.
func (l *localLM) Close() error {
	if l.sim != nil {
		return l.sim.Close()
	}
	return nil
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
