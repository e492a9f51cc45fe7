package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/durable-dspy/durable-dspy/dspy/lm"
	"github.com/durable-dspy/durable-dspy/serve"
	"github.com/durable-dspy/durable-dspy/simlm"
	"github.com/durable-dspy/durable-dspy/worker/lmconfig"
)

// EnvServeTokens names the environment variable holding the bearer tokens
// "starter serve" accepts, separated by commas or newlines.
const EnvServeTokens = "DSPY_SERVE_TOKENS"

// Defaults of "starter serve".
const (
	// defaultServeAddr is loopback: exposing the server is a choice.
	defaultServeAddr = "127.0.0.1:8080"
	// defaultDrainTimeout bounds a graceful shutdown.
	defaultDrainTimeout = 30 * time.Second
)

// simKeyEnv is the variable a config's simulated model aliases name for their
// key; only the CLI's own lookup answers it, so a real OPENAI_API_KEY is never
// sent to the simulator.
const simKeyEnv = "DSPY_SERVE_SIMULATED_LM_KEY"

// serveFlags are the flags of "starter serve".
type serveFlags struct {
	config         string
	spec           string
	state          string
	name           string
	fromRun        string
	addr           string
	maxConcurrent  int
	maxQueue       int
	queueTimeout   time.Duration
	requestTimeout time.Duration
	drainTimeout   time.Duration
	timeouts       serve.Timeouts
	logDir         string
	tokenFile      string
	openHealth     bool
	openMetrics    bool
	mcp            bool
	durable        bool
}

// Flags "starter serve" defines, named in its messages.
const (
	flagServeConfig    = "config"
	flagServeSpec      = "spec"
	flagServeState     = "state"
	flagServeName      = "name"
	flagServeFromRun   = "from-run"
	flagServeDurable   = "durable"
	flagServeAddr      = "addr"
	flagMaxConcurrent  = "max-concurrent"
	flagMaxQueue       = "max-queue"
	flagQueueTimeout   = "queue-timeout"
	flagRequestTimeout = "request-timeout"
	flagDrainTimeout   = "drain-timeout"
	// The http.Server's connection timeouts: slow-client defences.
	flagReadHeaderTimeout = "read-header-timeout"
	flagReadTimeout       = "read-timeout"
	flagWriteTimeout      = "write-timeout"
	flagIdleTimeout       = "idle-timeout"
	flagServeLogDir       = "log-dir"
	flagAuthTokenFile     = "auth-token-file"
	flagOpenHealth        = "open-health"
	flagOpenMetrics       = "open-metrics"
	flagServeMCP          = "mcp"
)

// serveLMFlags are the worker's LM flags serve takes; with --config only
// --sim applies, since each model alias carries its own settings.
var serveLMFlags = []string{
	lmconfig.FlagBaseURL, lmconfig.FlagModel, lmconfig.FlagTimeout, lmconfig.FlagMaxRetries,
	lmconfig.FlagMaxConcurrency, lmconfig.FlagRPS, lmconfig.FlagCacheDir, lmconfig.FlagSim, lmconfig.FlagEmbedModel,
}

func newServeCmd(a *app) *cobra.Command {
	f := &serveFlags{}
	cmd := &cobra.Command{
		Use:   "serve (--spec FILE [--state FILE | --from-run ID] | --config FILE)",
		Short: "Serve compiled programs over HTTP",
		Long: `Serve programs over HTTP: POST /v1/programs/{name} with the signature's inputs
as a JSON object answers with the outputs; GET /v1/programs, /openapi.json,
/health/live, /health/ready and /metrics describe and watch the server.

One program: --spec, with the compiled state from --state (a file from
"starter export") or --from-run (a completed optimization, fetched through
Temporal when the program loads), under --name (default: the spec file's
name), with the LM configured as the worker's is ($OPENAI_API_KEY and
$OPENAI_BASE_URL, or the --lm-* flags), or the simulated LM when neither key
nor base URL is set.

Several programs: --config serve.yaml names each program's spec and state (or
from_run), its model alias and limits, and the server's settings. Server flags
given with --config (--addr, --max-concurrent, ...) override the file. A model
alias with base_url "sim", or with neither base_url nor api_key_env while
$OPENAI_API_KEY and $OPENAI_BASE_URL are unset, uses the simulated LM (--sim).

A compiled knn_fewshot program embeds each request's inputs, so it needs an
embedding model: --embed-model with --spec, or embed_model under the program
or its model alias in the config (the simulated LM embeds without one). One
without fails at start, naming the program.

Bearer tokens come from $` + EnvServeTokens + ` and/or --auth-token-file (commas or
newlines between tokens); with none, every request is let in.

--mcp (or "mcp: true" under the config's server section) also serves each
program as an MCP tool at /mcp over Streamable HTTP, with the same admission,
limits, request log and bearer tokens as POST /v1/programs/{name}.

SIGTERM or SIGINT drains: /health/ready turns 503, new program calls get 503,
accepted ones finish within --drain-timeout, then the request log is flushed
and the command exits 0 (1 if requests were still running at the deadline).
SIGHUP reloads every program from its source; one that fails to reload keeps
serving its previous version.`,
		Example: `  starter serve --spec qa.yaml --state program.json --name qa --addr 127.0.0.1:8080 --log-dir logs
  starter serve --spec qa.yaml --from-run dspy-miprov2-1a2b3c4d --name qa
  starter serve --config serve.yaml`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.serve(cmd, f)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.config, flagServeConfig, "", "serve.yaml with several programs, model aliases and server settings (excludes --spec and --name)")
	fs.StringVar(&f.spec, flagServeSpec, "", "program spec file (JSON or YAML) to serve")
	fs.StringVar(&f.state, flagServeState, "", "compiled program state (DSPy JSON) to apply")
	fs.StringVar(&f.fromRun, flagServeFromRun, "", "ID of a completed optimization whose compiled program to apply (instead of --state)")
	fs.StringVar(&f.name, flagServeName, "", "name the program is served under (default: the spec file's name)")
	fs.StringVar(&f.addr, flagServeAddr, defaultServeAddr, "listen address, host:port (port 0 picks a free one)")
	fs.IntVar(&f.maxConcurrent, flagMaxConcurrent, 0, fmt.Sprintf("program requests running at once over all programs (0 = %d)", serve.DefaultMaxConcurrent))
	fs.IntVar(&f.maxQueue, flagMaxQueue, 0, fmt.Sprintf("requests that may wait for a program's slot (0 = %d)", serve.DefaultMaxQueue))
	fs.DurationVar(&f.queueTimeout, flagQueueTimeout, 0, fmt.Sprintf("how long a request waits for a slot before a 429 (0 = %v)", serve.DefaultQueueTimeout))
	fs.DurationVar(&f.requestTimeout, flagRequestTimeout, 0, "deadline of one request's run, after admission; past it a 504 (0 = none)")
	fs.DurationVar(&f.drainTimeout, flagDrainTimeout, defaultDrainTimeout, "on SIGTERM or SIGINT, how long accepted requests may take to finish")
	fs.DurationVar(&f.timeouts.ReadHeader, flagReadHeaderTimeout, 0, fmt.Sprintf("how long a client may take to send a request's headers (0 = %v)", serve.DefaultTimeouts.ReadHeader))
	fs.DurationVar(&f.timeouts.Read, flagReadTimeout, 0, fmt.Sprintf("how long a client may take to send a whole request, body included; past it a 408 (0 = %v)", serve.DefaultTimeouts.Read))
	fs.DurationVar(&f.timeouts.Write, flagWriteTimeout, 0, fmt.Sprintf("how long a response may take from the end of the request's headers; must outlast the queue timeout plus the longest run (0 = %v)", serve.DefaultTimeouts.Write))
	fs.DurationVar(&f.timeouts.Idle, flagIdleTimeout, 0, fmt.Sprintf("how long a keep-alive connection may wait for its next request (0 = %v)", serve.DefaultTimeouts.Idle))
	fs.StringVar(&f.logDir, flagServeLogDir, "", "directory of the request log (requests.jsonl, rotated by size); none without it")
	fs.StringVar(&f.tokenFile, flagAuthTokenFile, "", "file of accepted bearer tokens (also $"+EnvServeTokens+")")
	fs.BoolVar(&f.openHealth, flagOpenHealth, false, "answer /health/live and /health/ready without a token")
	fs.BoolVar(&f.openMetrics, flagOpenMetrics, false, "answer /metrics without a token")
	fs.BoolVar(&f.mcp, flagServeMCP, false, "also serve each program as an MCP tool at /mcp (Streamable HTTP)")
	fs.BoolVar(&f.durable, flagServeDurable, false, "run each request as a workflow on a durable-dspy worker (--address, --task-queue), each LM and tool call an activity; Idempotency-Key, Prefer: respond-async and GET /v1/runs/{id} then apply")
	bindWorkerFlags(cmd, &a.opts, serveLMFlags...)
	// A disk cache is one process's at a time, and a worker in the same
	// directory already holds it; a server keeps its cache in memory (a
	// bounded LRU) unless told otherwise.
	fs.Lookup(lmconfig.FlagCacheDir).DefValue = lmconfig.CacheOff
	return cmd
}

// servePlan is what a server is built from, whichever way it was configured.
type servePlan struct {
	setup   *serve.Setup
	lmDesc  string
	closers []func() error
}

func (p *servePlan) close() error {
	var errs []error
	for i := len(p.closers) - 1; i >= 0; i-- {
		errs = append(errs, p.closers[i]())
	}
	return errors.Join(errs...)
}

// serve configures, starts and runs the server until ctx ends.
func (a *app) serve(cmd *cobra.Command, f *serveFlags) error {
	if err := checkServeFlags(cmd, f); err != nil {
		return err
	}
	if err := a.opts.LM.Validate(); err != nil {
		return asUsage(err)
	}
	if !cmd.Flags().Changed(lmconfig.FlagCacheDir) && os.Getenv(lmconfig.EnvCacheDir) == "" {
		a.opts.LM.CacheDir = lmconfig.CacheOff
	}
	// Reloads, swaps and shutdown are what an operator follows, so serve
	// logs at info level where other commands show only warnings.
	logger := slog.New(slog.NewTextHandler(a.stderr, nil))
	var (
		plan *servePlan
		err  error
	)
	if f.config != "" {
		plan, err = a.configPlan(cmd, f, logger)
	} else {
		plan, err = a.flagPlan(cmd.Context(), f, logger)
	}
	if err != nil {
		return err
	}
	defer func() { _ = plan.close() }()
	plan.setup.Options.Logger = logger
	return a.runServer(cmd.Context(), plan, logger)
}

// checkServeFlags rejects combinations that cannot mean what the user
// intended, naming the flag.
func checkServeFlags(cmd *cobra.Command, f *serveFlags) error {
	fs := cmd.Flags()
	if f.config != "" {
		for _, name := range []string{flagServeSpec, flagServeState, flagServeName, flagServeFromRun} {
			if fs.Changed(name) {
				return usagef("--%s and --%s exclude each other: a config file names its programs; drop --%s or serve one program without --%s", name, flagServeConfig, name, flagServeConfig)
			}
		}
		if fs.Changed(lmconfig.FlagEmbedModel) {
			return usagef("--%s does not apply with --%s: set embed_model under the model alias, or under the program, in the config file", lmconfig.FlagEmbedModel, flagServeConfig)
		}
		for _, name := range serveLMFlags {
			if name != lmconfig.FlagSim && fs.Changed(name) {
				return usagef("--%s does not apply with --%s: set the model alias's settings in the config file", name, flagServeConfig)
			}
		}
	} else {
		if f.spec == "" {
			return usagef("--%s is required (the program's spec file), or --%s for several programs", flagServeSpec, flagServeConfig)
		}
		if f.state != "" && f.fromRun != "" {
			return usagef("--%s and --%s exclude each other: the compiled state comes from a file or from a run", flagServeState, flagServeFromRun)
		}
	}
	for _, n := range []struct {
		flag string
		bad  bool
	}{
		{flagMaxConcurrent, f.maxConcurrent < 0},
		{flagMaxQueue, f.maxQueue < 0},
		{flagQueueTimeout, f.queueTimeout < 0},
		{flagRequestTimeout, f.requestTimeout < 0},
		{flagDrainTimeout, f.drainTimeout < 0},
		{flagReadHeaderTimeout, f.timeouts.ReadHeader < 0},
		{flagReadTimeout, f.timeouts.Read < 0},
		{flagWriteTimeout, f.timeouts.Write < 0},
		{flagIdleTimeout, f.timeouts.Idle < 0},
	} {
		if n.bad {
			return usagef("--%s must not be negative", n.flag)
		}
	}
	if f.addr == "" {
		return usagef("--%s must not be empty: give host:port, e.g. %s", flagServeAddr, defaultServeAddr)
	}
	return nil
}

// flagPlan builds the one program the flags describe.
func (a *app) flagPlan(ctx context.Context, f *serveFlags, logger *slog.Logger) (*servePlan, error) {
	if err := checkFile(flagServeSpec, f.spec); err != nil {
		return nil, err
	}
	if f.state != "" {
		if err := checkFile(flagServeState, f.state); err != nil {
			return nil, err
		}
	}
	name := f.name
	if name == "" {
		name = strings.TrimSuffix(filepath.Base(f.spec), filepath.Ext(f.spec))
	}
	auth, err := flagAuth(f, "")
	if err != nil {
		return nil, err
	}
	var src serve.Source = serve.SpecSource{SpecFile: f.spec, StateFile: f.state, ToolsElsewhere: f.durable}
	if f.fromRun != "" {
		src = a.runSource(f.fromRun, src)
	}
	plan := &servePlan{}
	program := serve.Program{Name: name, Source: src}
	if f.durable {
		d := &durableDialer{a: a, ctx: ctx, plan: plan}
		var err error
		if program.Source, err = d.source(name, a.opts.LM.Model, "", src); err != nil {
			return nil, err
		}
		program.Model = a.opts.LM.Model
		if program.Model == "" {
			program.Model = "worker default"
		}
		plan.lmDesc = "the worker's, on task queue " + a.opts.Temporal.TaskQueue
	} else {
		clients, err := lmconfig.Open(a.opts.LM, logger)
		if err != nil {
			return nil, err
		}
		program.LM = clients.Task
		program.Embedder = clients.AsEmbedder() // a compiled knn_fewshot program embeds its inputs
		plan.lmDesc, plan.closers = clients.Description(), []func() error{clients.Close}
	}
	plan.setup = &serve.Setup{
		Addr:         f.addr,
		Timeouts:     f.timeouts,
		DrainTimeout: f.drainTimeout,
		Options: serve.Options{
			Programs:      []serve.Program{program},
			MaxConcurrent: f.maxConcurrent,
			Limits:        serve.Limits{MaxQueue: f.maxQueue, QueueTimeout: f.queueTimeout, RequestTimeout: f.requestTimeout},
			LogDir:        f.logDir,
			Auth:          auth,
			MCP:           f.mcp,
		},
	}
	return plan, nil
}

// flagAuth reads the tokens of $DSPY_SERVE_TOKENS and --auth-token-file,
// on top of the config's own sources when there is one.
func flagAuth(f *serveFlags, configured string) (serve.Auth, error) {
	ac := serve.AuthConfig{OpenHealth: f.openHealth, OpenMetrics: f.openMetrics}
	if os.Getenv(EnvServeTokens) != "" && configured != EnvServeTokens {
		ac.TokensEnv = EnvServeTokens
	}
	if f.tokenFile != "" {
		if err := checkFile(flagAuthTokenFile, f.tokenFile); err != nil {
			return serve.Auth{}, err
		}
		ac.TokensFile = f.tokenFile
	}
	auth, err := ac.Resolve(os.Getenv)
	if err != nil {
		return serve.Auth{}, usagef("--%s / $%s: %v", flagAuthTokenFile, EnvServeTokens, err)
	}
	return auth, nil
}

// configPlan builds the programs a serve.yaml describes, with the server
// flags given on the command line taking precedence over the file.
func (a *app) configPlan(cmd *cobra.Command, f *serveFlags, logger *slog.Logger) (*servePlan, error) {
	cfg, err := serve.LoadConfig(f.config)
	if err != nil {
		return nil, usagef("--%s %s: %v", flagServeConfig, f.config, err)
	}
	fs := cmd.Flags()
	s := &cfg.Server
	if fs.Changed(flagServeAddr) || s.Addr == "" {
		s.Addr = f.addr
	}
	if fs.Changed(flagMaxConcurrent) {
		s.MaxConcurrent = f.maxConcurrent
	}
	if fs.Changed(flagMaxQueue) {
		s.MaxQueue = f.maxQueue
	}
	if fs.Changed(flagQueueTimeout) {
		s.QueueTimeout = f.queueTimeout
	}
	if fs.Changed(flagRequestTimeout) {
		s.RequestTimeout = f.requestTimeout
	}
	if fs.Changed(flagDrainTimeout) || s.DrainTimeout == 0 {
		s.DrainTimeout = f.drainTimeout
	}
	if fs.Changed(flagServeLogDir) {
		s.LogDir = f.logDir
	}
	for _, t := range []struct {
		flag string
		dst  *time.Duration
		v    time.Duration
	}{
		{flagReadHeaderTimeout, &s.Timeouts.ReadHeader, f.timeouts.ReadHeader},
		{flagReadTimeout, &s.Timeouts.Read, f.timeouts.Read},
		{flagWriteTimeout, &s.Timeouts.Write, f.timeouts.Write},
		{flagIdleTimeout, &s.Timeouts.Idle, f.timeouts.Idle},
	} {
		if fs.Changed(t.flag) {
			*t.dst = t.v
		}
	}
	s.Auth.OpenHealth = s.Auth.OpenHealth || f.openHealth
	s.MCP = s.MCP || f.mcp
	s.Auth.OpenMetrics = s.Auth.OpenMetrics || f.openMetrics

	plan := &servePlan{}
	fail := func(err error) (*servePlan, error) {
		_ = plan.close()
		return nil, err
	}
	descs, simulated, err := a.simulateAliases(cfg, plan)
	if err != nil {
		return fail(err)
	}
	if !simulated && a.opts.LM.Sim != "" {
		logger.Warn("simulated LM settings ignored: no model alias of the config runs on the simulated LM", "flag", "--"+lmconfig.FlagSim)
	}
	plan.lmDesc = descs
	var dialer *durableDialer
	setup, err := cfg.Build(serve.BuildEnv{
		Getenv: func(name string) string {
			if name == simKeyEnv {
				return "simulated"
			}
			return os.Getenv(name)
		},
		Registered: func(name string) (serve.FactorySource, error) {
			return serve.FactorySource{}, fmt.Errorf("program %q: the starter binary registers no Go programs; serve a spec, or mount serve.Handler in your own binary with a serve.FactorySource", name)
		},
		FromRun: func(runID string, base serve.Source) (serve.Source, error) {
			return a.runSource(runID, base), nil
		},
		Durable: func(pc serve.ProgramConfig, model string, base serve.Source) (serve.Source, error) {
			if dialer == nil {
				dialer = &durableDialer{a: a, ctx: cmd.Context(), plan: plan}
			}
			return dialer.source(pc.Name, model, pc.Program, base)
		},
	})
	if err != nil {
		return fail(usagef("--%s %s: %v", flagServeConfig, f.config, err))
	}
	plan.setup = setup
	plan.closers = append(plan.closers, setup.Close)
	extra, err := flagAuth(f, s.Auth.TokensEnv)
	if err != nil {
		return fail(err)
	}
	opts := &plan.setup.Options
	opts.Auth.Tokens = append(opts.Auth.Tokens, extra.Tokens...)
	opts.Auth.OpenHealth, opts.Auth.OpenMetrics = s.Auth.OpenHealth, s.Auth.OpenMetrics
	return plan, nil
}

// simulateAliases points the model aliases the worker's rule makes simulated
// at one simulated LM served in this process, describes the models, and
// reports whether any is simulated.
func (a *app) simulateAliases(cfg *serve.Config, plan *servePlan) (string, bool, error) {
	envSet := os.Getenv(lm.EnvAPIKey) != "" || os.Getenv(lm.EnvBaseURL) != ""
	var sim *simlm.Server
	var descs []string
	for _, alias := range sortedAliases(cfg) {
		m := cfg.Models[alias]
		if m.BaseURL != lmconfig.SimulatedBaseURL && (m.BaseURL != "" || m.APIKeyEnv != "" || envSet) {
			base := m.BaseURL
			if base == "" {
				base = "$" + lm.EnvBaseURL + " or " + lm.DefaultBaseURL
			}
			descs = append(descs, fmt.Sprintf("%s=%s at %s%s", alias, m.Model, base, embedDesc(m.EmbedModel)))
			continue
		}
		if sim == nil {
			simCfg, err := simlm.ParseConfig(a.opts.LM.Sim)
			if err != nil {
				return "", false, usagef("--%s: %v", lmconfig.FlagSim, err)
			}
			sim = simlm.New(simCfg)
			if err := sim.Start(); err != nil {
				return "", false, fmt.Errorf("simulated LM: %w", err)
			}
			plan.closers = append(plan.closers, sim.Close)
		}
		m.BaseURL, m.APIKeyEnv = sim.URL(), simKeyEnv
		if m.EmbedModel == "" {
			// As with --sim and no --embed-model: the simulator embeds too.
			m.EmbedModel = lmconfig.DefaultSimEmbedModel
		}
		cfg.Models[alias] = m
		descs = append(descs, fmt.Sprintf("%s=%s on the simulated LM at %s%s", alias, m.Model, sim.URL(), embedDesc(m.EmbedModel)))
	}
	return strings.Join(descs, "; "), sim != nil, nil
}

// embedDesc names an alias's embedding model in the start-up banner.
func embedDesc(model string) string {
	if model == "" {
		return ""
	}
	return ", embeddings " + model
}

// sortedAliases lists the aliases the programs use, in a stable order.
func sortedAliases(cfg *serve.Config) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range cfg.Programs {
		if !seen[p.Model] {
			seen[p.Model] = true
			out = append(out, p.Model)
		}
	}
	return out
}

// runServer listens, loads the programs, serves until ctx ends, then drains
// and shuts down. SIGHUP reloads every program meanwhile.
func (a *app) runServer(ctx context.Context, plan *servePlan, logger *slog.Logger) error {
	setup := plan.setup
	h, err := serve.New(setup.Options)
	if err != nil {
		return asUsage(err)
	}
	ln, err := net.Listen("tcp", setup.Addr)
	if err != nil {
		return fmt.Errorf("--%s %s: %w", flagServeAddr, setup.Addr, err)
	}
	srv := serve.NewServer(setup.Addr, h, setup.Timeouts)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	stop := func() error {
		drainTimeout := setup.DrainTimeout
		if drainTimeout <= 0 {
			drainTimeout = defaultDrainTimeout
		}
		dctx, cancel := context.WithTimeout(context.Background(), drainTimeout)
		defer cancel()
		drainErr := h.Drain(dctx)
		shutErr := srv.Shutdown(dctx)
		if shutErr != nil {
			_ = srv.Close()
		}
		closeErr := h.Close()
		if err := errors.Join(drainErr, shutErr, closeErr); err != nil {
			return fmt.Errorf("shut down after --%s %v: %w", flagDrainTimeout, drainTimeout, err)
		}
		return nil
	}

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	if err := h.Load(ctx); err != nil {
		_ = stop()
		var re *runSourceError
		if errors.As(err, &re) {
			return err
		}
		return asUsage(err)
	}
	logger.Info("LM", "models", plan.lmDesc)
	var names []string
	for _, p := range h.Programs() {
		names = append(names, fmt.Sprintf("%s (%s)", p.Name, p.Model))
	}
	fmt.Fprintf(a.stdout, "serving %s on http://%s\n", strings.Join(names, ", "), ln.Addr())

	for {
		select {
		case <-ctx.Done():
			logger.Info("draining", "timeout", setup.DrainTimeout)
			if err := stop(); err != nil {
				return err
			}
			logger.Info("stopped")
			return nil
		case err := <-served:
			_ = stop()
			if errors.Is(err, http.ErrServerClosed) {
				return nil
			}
			return fmt.Errorf("serve: %w", err)
		case <-hup:
			if err := h.ReloadAll(ctx); err != nil {
				logger.Error("reload failed; the previous version keeps serving", "err", err)
				continue
			}
			logger.Info("reloaded", "programs", len(names))
		}
	}
}
