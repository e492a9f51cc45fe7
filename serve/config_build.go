package serve

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/lm"
	"github.com/durable-dspy/durable-dspy/dspy/spec"
)

// BuildEnv supplies what a config names but cannot hold: the environment,
// the tools react specs may use, programs registered in Go, and the results
// of optimization runs.
type BuildEnv struct {
	// Getenv reads environment variables; nil means os.Getenv.
	Getenv func(string) string
	// Tools are offered to react specs.
	Tools spec.Tools
	// Registered returns the Go program registered under name (its
	// Signature and New; the config fills StateFile). Needed when a program
	// says "program:".
	Registered func(name string) (FactorySource, error)
	// FromRun returns a source that builds base and loads the state the
	// optimization run runID produced. Needed when a program says "from_run:".
	FromRun func(runID string, base Source) (Source, error)
	// Durable returns base's durable form (a serve/durable.Source), asked
	// for the model name given (empty for the worker's default). Needed when
	// a program says "durable: true".
	Durable func(pc ProgramConfig, model string, base Source) (Source, error)
}

// Setup is a config turned into what a server needs.
type Setup struct {
	// Options build the handler (serve.New).
	Options Options
	// Addr, Timeouts and DrainTimeout are for the http.Server around it.
	Addr         string
	Timeouts     Timeouts
	DrainTimeout time.Duration
	closers      []io.Closer
}

// Close releases what Build opened (disk caches); call it after the handler
// has shut down.
func (s *Setup) Close() error {
	var errs []error
	for _, c := range s.closers {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

// Build makes LM clients for the model aliases the programs use, sources for
// the programs, and reads the bearer tokens. It does not load programs: the
// handler's Load does.
func (c *Config) Build(env BuildEnv) (*Setup, error) {
	getenv := env.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	s := c.Server
	setup := &Setup{
		Addr:         s.Addr,
		Timeouts:     Timeouts(s.Timeouts),
		DrainTimeout: s.DrainTimeout,
		Options: Options{
			MaxConcurrent: s.MaxConcurrent,
			Limits:        Limits{MaxQueue: s.MaxQueue, QueueTimeout: s.QueueTimeout, RequestTimeout: s.RequestTimeout},
			MaxBodyBytes:  s.MaxBodyBytes,
			LogDir:        s.LogDir,
			LogMaxSizeMB:  s.LogMaxSizeMB,
			LogMaxBackups: s.LogMaxBackups,
			RedactInputs:  s.RedactInputs,
			RedactOutputs: s.RedactOutputs,
			MCP:           s.MCP,
			CORS:          CORS{AllowedOrigins: s.CORS.AllowedOrigins, AllowedHeaders: s.CORS.AllowedHeaders, MaxAge: s.CORS.MaxAge},
		},
	}
	fail := func(err error) (*Setup, error) {
		_ = setup.Close()
		return nil, err
	}
	auth, err := s.Auth.Resolve(getenv)
	if err != nil {
		return fail(err)
	}
	setup.Options.Auth = auth
	endpoints := map[string]*endpoint{}
	for _, pc := range c.Programs {
		if pc.Durable {
			src, err := durableSource(pc, c.Models[pc.Model].Model, env)
			if err != nil {
				return fail(fmt.Errorf("serve config: program %s: %w", pc.Name, err))
			}
			model := c.Models[pc.Model].Model
			if model == "" {
				model = "worker default"
			}
			setup.Options.Programs = append(setup.Options.Programs, Program{
				Name: pc.Name, Source: src, Model: model, Limits: pc.Limits.Limits(),
			})
			continue
		}
		ep, ok := endpoints[pc.Model]
		if !ok {
			if ep, err = setup.newEndpoint(pc.Model, c.Models[pc.Model], getenv); err != nil {
				return fail(err)
			}
			endpoints[pc.Model] = ep
		}
		embedModel := pc.EmbedModel
		if embedModel == "" {
			embedModel = c.Models[pc.Model].EmbedModel
		}
		var embedder dspy.Embedder
		if embedModel != "" {
			if embedder, err = ep.embedder(embedModel); err != nil {
				return fail(fmt.Errorf("serve config: program %s: embed_model %s: %w", pc.Name, embedModel, err))
			}
		}
		src, err := programSource(pc, env, false)
		if err != nil {
			return fail(fmt.Errorf("serve config: program %s: %w", pc.Name, err))
		}
		setup.Options.Programs = append(setup.Options.Programs, Program{
			Name: pc.Name, Source: src, LM: ep.client, Embedder: embedder, Limits: pc.Limits.Limits(),
		})
	}
	return setup, nil
}

func durableSource(pc ProgramConfig, model string, env BuildEnv) (Source, error) {
	if env.Durable == nil {
		return nil, errors.New("durable: true needs a Temporal connection, which was not given here")
	}
	base, err := programSource(pc, env, true)
	if err != nil {
		return nil, err
	}
	return env.Durable(pc, model, base)
}

func programSource(pc ProgramConfig, env BuildEnv, toolsElsewhere bool) (Source, error) {
	var src Source
	if pc.Spec != "" {
		src = SpecSource{SpecFile: pc.Spec, StateFile: pc.State, Tools: env.Tools, ToolsElsewhere: toolsElsewhere}
	} else {
		if env.Registered == nil {
			return nil, fmt.Errorf("program %q: no registry of Go programs was given", pc.Program)
		}
		f, err := env.Registered(pc.Program)
		if err != nil {
			return nil, err
		}
		f.StateFile = pc.State
		src = f
	}
	if pc.FromRun != "" {
		if env.FromRun == nil {
			return nil, fmt.Errorf("from_run %q: runs cannot be resolved here", pc.FromRun)
		}
		return env.FromRun(pc.FromRun, src)
	}
	return src, nil
}

// endpoint is a model alias made real: its LM client, and the embedders
// its programs ask of the same endpoint, which share its key, limits and
// cache.
type endpoint struct {
	opts      lm.Options
	client    *lm.Client
	embedders map[string]*lm.Embedder
}

func (s *Setup) newEndpoint(alias string, m ModelConfig, getenv func(string) string) (*endpoint, error) {
	opts := lm.Options{
		Model: m.Model, BaseURL: m.BaseURL, Temperature: m.Temperature, MaxTokens: m.MaxTokens,
		MaxConcurrency: m.MaxConcurrency, MaxRetries: lm.DefaultMaxRetries, Timeout: m.Timeout,
	}
	if m.MaxRetries != nil {
		opts.MaxRetries = *m.MaxRetries
	}
	if m.APIKeyEnv != "" {
		if opts.APIKey = getenv(m.APIKeyEnv); opts.APIKey == "" {
			return nil, fmt.Errorf("serve config: models.%s: the environment variable %s named by api_key_env is empty", alias, m.APIKeyEnv)
		}
	}
	switch m.Cache {
	case "memory":
		opts.Cache = lm.NewMemoryCache(0)
	case "disk":
		disk, err := lm.NewDiskCache(filepath.Join(m.CacheDir, alias+".db"))
		if err != nil {
			return nil, fmt.Errorf("serve config: models.%s: %w", alias, err)
		}
		s.closers = append(s.closers, disk)
		opts.Cache = lm.NewTieredCache(lm.NewMemoryCache(0), disk)
	}
	client, err := lm.New(opts)
	if err != nil {
		return nil, fmt.Errorf("serve config: models.%s: %w", alias, err)
	}
	return &endpoint{opts: opts, client: client, embedders: map[string]*lm.Embedder{}}, nil
}

// embedder returns the endpoint's embedder for model, one per model. Its
// vectors are cached, by text, in the alias's cache beside the replies.
func (e *endpoint) embedder(model string) (*lm.Embedder, error) {
	if emb, ok := e.embedders[model]; ok {
		return emb, nil
	}
	o := e.opts
	emb, err := lm.NewEmbedder(lm.EmbedderOptions{
		Model: model, BaseURL: o.BaseURL, APIKey: o.APIKey, Timeout: o.Timeout, MaxRetries: o.MaxRetries,
		MaxConcurrency: o.MaxConcurrency, Cache: o.Cache,
	})
	if err != nil {
		return nil, err
	}
	e.embedders[model] = emb
	return emb, nil
}

// Resolve reads the tokens a names and returns the handler's Auth; getenv
// nil means os.Getenv. Servers configured by flags rather than a file use it
// too, so tokens are read one way everywhere.
func (a AuthConfig) Resolve(getenv func(string) string) (Auth, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	tokens, err := readTokens(a, getenv)
	if err != nil {
		return Auth{}, err
	}
	return Auth{Tokens: tokens, OpenHealth: a.OpenHealth, OpenMetrics: a.OpenMetrics}, nil
}

// readTokens gathers tokens from the variable and the file, separated by
// commas or newlines. Naming a source that holds no token is an error, so a
// missing secret never turns auth off.
func readTokens(a AuthConfig, getenv func(string) string) ([]string, error) {
	var tokens []string
	if a.TokensEnv != "" {
		t := splitTokens(getenv(a.TokensEnv))
		if len(t) == 0 {
			return nil, fmt.Errorf("serve config: auth.tokens_env: the environment variable %s holds no token", a.TokensEnv)
		}
		tokens = append(tokens, t...)
	}
	if a.TokensFile != "" {
		b, err := os.ReadFile(a.TokensFile)
		if err != nil {
			return nil, fmt.Errorf("serve config: auth.tokens_file: %w", err)
		}
		t := splitTokens(string(b))
		if len(t) == 0 {
			return nil, fmt.Errorf("serve config: auth.tokens_file %s holds no token", filepath.Base(a.TokensFile))
		}
		tokens = append(tokens, t...)
	}
	return tokens, nil
}

func splitTokens(s string) []string {
	var out []string
	for _, t := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }) {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}
