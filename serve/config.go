package serve

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unicode"

	"gopkg.in/yaml.v3"
)

// Config is a serve.yaml file: the server's settings, named model aliases and
// the programs to serve.
//
//	server:
//	  addr: 127.0.0.1:8080
//	  max_concurrent: 256
//	  queue_timeout: 30s
//	  log_dir: logs
//	  auth: {tokens_env: SERVE_TOKENS, open_health: true}
//	  mcp: true
//	models:
//	  fast: {model: gpt-4o-mini, api_key_env: OPENAI_API_KEY, temperature: 0, cache: memory}
//	programs:
//	  - name: qa
//	    spec: qa.yaml
//	    state: qa.optimized.json
//	    model: fast
//	    limits: {max_concurrent: 32, request_timeout: 60s}
//	  - name: qa-knn
//	    spec: qa.yaml
//	    state: qa.knn.json
//	    model: fast
//	    embed_model: text-embedding-3-small
//
// A program that embeds each request's inputs (a compiled knn_fewshot
// program) needs an embedding model: embed_model, under the program or
// under its model alias for every program on it, names one served at the
// alias's endpoint with the alias's key, timeout, retries and cache, as
// "starter serve --embed-model" does beside the --lm-* flags.
//
// Unknown keys are errors naming the key, so a typo never silently changes
// the service.
type Config struct {
	Server   ServerConfig           `yaml:"server"`
	Models   map[string]ModelConfig `yaml:"models"`
	Programs []ProgramConfig        `yaml:"programs"`
}

// ServerConfig holds the handler's and the HTTP server's settings.
type ServerConfig struct {
	// Addr is the listen address, host:port.
	Addr string `yaml:"addr"`
	// MaxConcurrent caps running program requests over all programs.
	MaxConcurrent int `yaml:"max_concurrent"`
	// MaxQueue and QueueTimeout are the default per-program queue bounds.
	MaxQueue     int           `yaml:"max_queue"`
	QueueTimeout time.Duration `yaml:"queue_timeout"`
	// RequestTimeout is the default per-request run deadline; zero is none.
	RequestTimeout time.Duration `yaml:"request_timeout"`
	// MaxBodyBytes bounds request bodies.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// DrainTimeout bounds how long shutdown waits for running requests.
	DrainTimeout time.Duration `yaml:"drain_timeout"`
	// LogDir receives the rotated request log; LogMaxSizeMB and LogMaxBackups
	// shape rotation.
	LogDir        string `yaml:"log_dir"`
	LogMaxSizeMB  int    `yaml:"log_max_size_mb"`
	LogMaxBackups int    `yaml:"log_max_backups"`
	RedactInputs  bool   `yaml:"redact_inputs"`
	RedactOutputs bool   `yaml:"redact_outputs"`
	// MCP also serves the programs as MCP tools at /mcp.
	MCP bool `yaml:"mcp"`
	// Auth names where bearer tokens come from; the tokens themselves never
	// appear in the file.
	Auth AuthConfig `yaml:"auth"`
	CORS CORSConfig `yaml:"cors"`
	// Timeouts are the HTTP server's connection timeouts.
	Timeouts TimeoutsConfig `yaml:"timeouts"`
}

// AuthConfig says where the bearer tokens are: an environment variable and/or
// a file, each holding tokens separated by commas or newlines.
type AuthConfig struct {
	TokensEnv   string `yaml:"tokens_env"`
	TokensFile  string `yaml:"tokens_file"`
	OpenHealth  bool   `yaml:"open_health"`
	OpenMetrics bool   `yaml:"open_metrics"`
}

// CORSConfig is CORS in YAML.
type CORSConfig struct {
	AllowedOrigins []string      `yaml:"allowed_origins"`
	AllowedHeaders []string      `yaml:"allowed_headers"`
	MaxAge         time.Duration `yaml:"max_age"`
}

// TimeoutsConfig is Timeouts in YAML.
type TimeoutsConfig struct {
	ReadHeader time.Duration `yaml:"read_header"`
	Read       time.Duration `yaml:"read"`
	Write      time.Duration `yaml:"write"`
	Idle       time.Duration `yaml:"idle"`
}

// ModelConfig is a model alias: which model at which endpoint, with which
// settings. The key is named by the environment variable that holds it.
type ModelConfig struct {
	Model       string   `yaml:"model"`
	BaseURL     string   `yaml:"base_url"`
	APIKeyEnv   string   `yaml:"api_key_env"`
	Temperature *float64 `yaml:"temperature"`
	MaxTokens   int      `yaml:"max_tokens"`
	// Cache is "none" (the default), "memory", or "disk" (in CacheDir).
	Cache    string `yaml:"cache"`
	CacheDir string `yaml:"cache_dir"`
	// MaxConcurrency caps calls in flight to this endpoint; MaxRetries
	// bounds retries of a failed call (zero means none).
	MaxConcurrency int           `yaml:"max_concurrency"`
	MaxRetries     *int          `yaml:"max_retries"`
	Timeout        time.Duration `yaml:"timeout"`
	// EmbedModel is the embedding model at this endpoint that the programs
	// on this alias embed their inputs with (a compiled knn_fewshot
	// program does); empty means none, unless a program names its own.
	// Durable programs embed on the worker and ignore it.
	EmbedModel string `yaml:"embed_model"`
}

// ProgramConfig is one served program: where it comes from (a spec file or
// a program registered in Go), where its state comes from (a state file or a
// completed optimization run), its model alias and its limits.
type ProgramConfig struct {
	Name string `yaml:"name"`
	// Spec is a spec file; Program names a registered Go program instead.
	Spec    string `yaml:"spec"`
	Program string `yaml:"program"`
	// State is a saved state file; FromRun is the ID of a completed
	// optimization run whose result is the state instead.
	State   string `yaml:"state"`
	FromRun string `yaml:"from_run"`
	// Model names an entry of models. A durable program may leave it out:
	// the worker's LM client makes its calls, asked for the alias's model
	// name when one is given (the alias's endpoint and key are not used).
	Model string `yaml:"model"`
	// EmbedModel is the embedding model this program embeds its inputs
	// with, at its model alias's endpoint; empty means the alias's
	// embed_model. Not for a durable program: its worker embeds
	// (starter worker --embed-model).
	EmbedModel string       `yaml:"embed_model"`
	Limits     LimitsConfig `yaml:"limits"`
	// Durable runs each request as a Temporal workflow on a durable-dspy
	// worker, each LM and tool call an activity (see package serve/durable).
	Durable bool `yaml:"durable"`
}

// LimitsConfig is Limits in YAML.
type LimitsConfig struct {
	MaxConcurrent  int           `yaml:"max_concurrent"`
	MaxQueue       int           `yaml:"max_queue"`
	QueueTimeout   time.Duration `yaml:"queue_timeout"`
	RequestTimeout time.Duration `yaml:"request_timeout"`
}

// Limits converts to the handler's form.
func (l LimitsConfig) Limits() Limits {
	return Limits{MaxConcurrent: l.MaxConcurrent, MaxQueue: l.MaxQueue, QueueTimeout: l.QueueTimeout, RequestTimeout: l.RequestTimeout}
}

// ParseConfig reads a config from YAML and validates it. Relative paths are
// left as written; LoadConfig resolves them against the file's directory.
func ParseConfig(data []byte) (*Config, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var c Config
	if err := dec.Decode(&c); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("serve config: the file is empty")
		}
		return nil, fmt.Errorf("serve config: %w", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("serve config: want one YAML document, found more")
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// LoadConfig reads and validates a config file, resolving the relative paths
// in it (specs, states, log and cache directories, the tokens file) against
// the file's directory.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("serve config: %w", err)
	}
	c, err := ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	c.resolvePaths(filepath.Dir(path))
	return c, nil
}

func (c *Config) resolvePaths(dir string) {
	abs := func(p *string) {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	abs(&c.Server.LogDir)
	abs(&c.Server.Auth.TokensFile)
	for name, m := range c.Models {
		abs(&m.CacheDir)
		c.Models[name] = m
	}
	for i := range c.Programs {
		abs(&c.Programs[i].Spec)
		abs(&c.Programs[i].State)
	}
}

// Validate checks what can be checked without touching files or the
// environment: required fields, exclusive choices, references to model
// aliases, names and non-negative limits.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	s := c.Server
	if s.MaxConcurrent < 0 || s.MaxQueue < 0 || s.QueueTimeout < 0 || s.RequestTimeout < 0 || s.MaxBodyBytes < 0 ||
		s.DrainTimeout < 0 || s.LogMaxSizeMB < 0 || s.LogMaxBackups < 0 {
		bad("server: limits, sizes and durations must not be negative")
	}
	if s.Timeouts.ReadHeader < 0 || s.Timeouts.Read < 0 || s.Timeouts.Write < 0 || s.Timeouts.Idle < 0 || s.CORS.MaxAge < 0 {
		bad("server: timeouts must not be negative")
	}
	for _, name := range sortedKeys(c.Models) {
		m := c.Models[name]
		if m.Model == "" {
			bad("models.%s: model is required", name)
		}
		switch m.Cache {
		case "", "none", "memory":
		case "disk":
			if m.CacheDir == "" {
				bad("models.%s: cache: disk needs cache_dir", name)
			}
		default:
			bad("models.%s: cache %q: use none, memory or disk", name, m.Cache)
		}
		if m.MaxTokens < 0 || m.MaxConcurrency < 0 || m.Timeout < 0 || (m.MaxRetries != nil && *m.MaxRetries < 0) {
			bad("models.%s: limits must not be negative", name)
		}
		if err := checkEmbedModel(m.EmbedModel); err != nil {
			bad("models.%s: %v", name, err)
		}
	}
	if len(c.Programs) == 0 {
		bad("programs: list at least one program")
	}
	seen := map[string]bool{}
	for i, p := range c.Programs {
		where := fmt.Sprintf("programs[%d]", i)
		if p.Name != "" {
			where = fmt.Sprintf("programs[%d] (%s)", i, p.Name)
		}
		switch {
		case p.Name == "":
			bad("%s: name is required", where)
		case !programName.MatchString(p.Name):
			bad("%s: name: use 1-64 letters, digits, '_', '-' or '.'", where)
		case seen[p.Name]:
			bad("%s: name is used twice", where)
		}
		seen[p.Name] = true
		if (p.Spec == "") == (p.Program == "") {
			bad("%s: set exactly one of spec (a spec file) and program (a registered program)", where)
		}
		if p.State != "" && p.FromRun != "" {
			bad("%s: state and from_run are exclusive: the state comes from a file or from a run", where)
		}
		if p.Model == "" {
			if !p.Durable {
				bad("%s: model is required: name an entry of models", where)
			}
		} else if _, ok := c.Models[p.Model]; !ok {
			bad("%s: model %q is not defined under models (defined: %s)", where, p.Model, strings.Join(sortedKeys(c.Models), ", "))
		}
		if err := checkEmbedModel(p.EmbedModel); err != nil {
			bad("%s: %v", where, err)
		} else if p.EmbedModel != "" && p.Durable {
			bad("%s: embed_model does not apply to a durable program: its worker embeds; start the worker with --embed-model", where)
		}
		l := p.Limits
		if l.MaxConcurrent < 0 || l.MaxQueue < 0 || l.QueueTimeout < 0 || l.RequestTimeout < 0 {
			bad("%s: limits must not be negative", where)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("serve config: %w", err)
	}
	return nil
}

// checkEmbedModel rejects an embedding model name no endpoint could serve:
// one that is blank or holds whitespace, usually a YAML slip.
func checkEmbedModel(name string) error {
	if name != "" && (strings.TrimSpace(name) == "" || strings.ContainsFunc(name, unicode.IsSpace)) {
		return fmt.Errorf("embed_model %q: name an embedding model without spaces, e.g. text-embedding-3-small", name)
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
