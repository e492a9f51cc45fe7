package lmconfig

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/lm"
	"github.com/durable-dspy/durable-dspy/simlm"
)

// cacheFile is the disk cache's file name inside Options.CacheDir for a
// real endpoint.
const cacheFile = "lm.db"

// simulatedAPIKey is sent to the simulated LM, which checks none, so that a
// real $OPENAI_API_KEY is never sent anywhere it was not meant for.
const simulatedAPIKey = "simulated"

// Clients are a worker's pair of LM clients and what they share.
type Clients struct {
	// Task runs programs, retrying each call itself (Options.MaxRetries).
	Task *lm.Client
	// Prompt answers optimizers' meta-prompts, one attempt per call.
	Prompt *lm.Client
	// Embedder embeds for knn_fewshot and the programs it compiles; nil
	// when no embedding model is configured (see Options.EmbedModel).
	Embedder *lm.Embedder

	cache       lm.Cache
	sim         *simlm.Server // nil against a real endpoint
	description string
}

// Open builds the task and prompt clients over one cache, starting the
// simulated LM when no real endpoint is configured. Warnings go to logger;
// nil means slog.Default(). On error nothing is left running; otherwise
// Close releases the cache and the simulator.
func Open(o Options, logger *slog.Logger) (_ *Clients, err error) {
	if logger == nil {
		logger = slog.Default()
	}
	baseURL := o.BaseURL
	if baseURL == "" {
		baseURL = os.Getenv(lm.EnvBaseURL)
	}
	apiKey := o.APIKey
	if apiKey == "" {
		apiKey = os.Getenv(lm.EnvAPIKey)
	}
	simulated := baseURL == SimulatedBaseURL || (baseURL == "" && apiKey == "")

	set := &Clients{}
	defer func() {
		if err != nil {
			_ = set.Close()
		}
	}()

	model := o.Model
	file := cacheFile
	if simulated {
		cfg, err := simlm.ParseConfig(o.Sim)
		if err != nil {
			return nil, fmt.Errorf("--%s: %w", FlagSim, err)
		}
		set.sim = simlm.New(cfg)
		if err := set.sim.Start(); err != nil {
			return nil, fmt.Errorf("simulated LM: %w", err)
		}
		baseURL, apiKey = set.sim.URL(), simulatedAPIKey
		if model == "" {
			model = cfg.Model
		}
		if model == "" {
			model = simlm.DefaultModel
		}
		// Cache keys hold the request, not the endpoint: simulated replies
		// must never be served to a real model of the same name, nor replies
		// of one simulator seed to another.
		sum := sha256.Sum256([]byte(cfg.String()))
		file = "simlm-" + hex.EncodeToString(sum[:6]) + ".db"
	} else {
		if o.Sim != "" {
			logger.Warn("simulated LM settings ignored: a real LM endpoint is configured; pass --"+FlagBaseURL+" "+SimulatedBaseURL+" to use the simulator",
				"endpoint", redact(baseURLOrDefault(baseURL)))
		}
		if baseURL == "" {
			baseURL = lm.DefaultBaseURL
		}
		if model == "" {
			model = DefaultModel
		}
	}
	promptModel := o.PromptModel
	if promptModel == "" {
		promptModel = model
	}

	if set.cache, err = newCache(o.CacheDir, file); err != nil {
		return nil, err
	}
	base := lm.Options{
		BaseURL:           baseURL,
		APIKey:            apiKey,
		Timeout:           o.Timeout,
		MaxConcurrency:    o.MaxConcurrency,
		RequestsPerSecond: o.RequestsPerSecond,
		Cache:             set.cache,
	}
	task := base
	task.Model = model
	// Batch activities make many calls: each call retries itself so one 429
	// does not fail the batch, and Temporal retries the batch only when a
	// call has exhausted these retries.
	task.MaxRetries = o.MaxRetries
	if set.Task, err = lm.New(task); err != nil {
		return nil, fmt.Errorf("task LM (--%s, --%s): %w", FlagBaseURL, FlagModel, err)
	}
	prompt := base
	prompt.Model = promptModel
	// Each prompt call is an activity of its own, whose retries Temporal's
	// policy owns; retrying here too would retry a transient failure twice over.
	prompt.MaxRetries = 0
	if set.Prompt, err = lm.New(prompt); err != nil {
		return nil, fmt.Errorf("prompt LM (--%s, --%s): %w", FlagBaseURL, FlagPromptModel, err)
	}

	embedModel := o.EmbedModel
	if embedModel == "" && simulated {
		embedModel = DefaultSimEmbedModel
	}
	if embedModel != "" {
		// Embeddings are cached by text in the same cache as the replies,
		// and retried like the task LM's calls.
		set.Embedder, err = lm.NewEmbedder(lm.EmbedderOptions{
			Model: embedModel, BaseURL: baseURL, APIKey: apiKey, Timeout: o.Timeout, MaxRetries: o.MaxRetries,
			MaxConcurrency: o.MaxConcurrency, RequestsPerSecond: o.RequestsPerSecond, Cache: set.cache,
		})
		if err != nil {
			return nil, fmt.Errorf("embedder (--%s, --%s): %w", FlagBaseURL, FlagEmbedModel, err)
		}
	}

	set.description = describeLM(simulated, set.sim, model, promptModel, baseURL)
	return set, nil
}

// newCache returns an in-memory cache, over a disk cache in dir/file unless
// dir is empty or CacheOff.
func newCache(dir, file string) (lm.Cache, error) {
	mem := lm.NewMemoryCache(0)
	if dir == "" || dir == CacheOff {
		return mem, nil
	}
	disk, err := lm.NewDiskCache(filepath.Join(dir, file))
	if err != nil {
		return nil, fmt.Errorf("--%s %s: %w (use another directory, or %s to keep the cache in memory)", FlagCacheDir, dir, err, CacheOff)
	}
	return lm.NewTieredCache(mem, disk), nil
}

// describeLM says which model answers where, for the start-up banner. It
// never includes a key, and strips any password from the URL.
func describeLM(simulated bool, sim *simlm.Server, model, promptModel, baseURL string) string {
	var s string
	if simulated {
		cfg := sim.Config()
		settings := fmt.Sprintf("seed %d", cfg.Seed)
		// Seed is always shown, so it is dropped from the rest of the settings.
		cfg.Seed = 0
		if rest := cfg.String(); rest != "" {
			settings += ", " + rest
		}
		s = fmt.Sprintf("simulated LM at %s (%s)", baseURL, settings)
	} else {
		s = fmt.Sprintf("%s at %s", model, redact(baseURL))
	}
	if promptModel != model {
		s += fmt.Sprintf("; prompt model %s", promptModel)
	}
	return s
}

// baseURLOrDefault is the endpoint an lm.Client will use for base.
func baseURLOrDefault(base string) string {
	if base == "" {
		return lm.DefaultBaseURL
	}
	return base
}

// redact removes any user:password from a URL before it is shown.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}

// Description says which model answers where, e.g. "simulated LM at
// http://127.0.0.1:PORT/v1 (seed 0)" or "gpt-4o-mini at
// https://api.openai.com/v1". It never holds a key.
func (s *Clients) Description() string { return s.description }

// Usage is what the clients and the embedder have used so far.
func (s *Clients) Usage() dspy.Usage {
	u := s.Task.Usage().Add(s.Prompt.Usage())
	if s.Embedder != nil {
		u = u.Add(s.Embedder.Usage())
	}
	return u
}

// Close flushes the disk cache, then stops the simulated LM.
func (s *Clients) Close() error {
	var errs []error
	if c, ok := s.cache.(interface{ Close() error }); ok {
		if err := c.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close LM cache: %w", err))
		}
	}
	if s.sim != nil {
		if err := s.sim.Close(); err != nil {
			errs = append(errs, fmt.Errorf("stop simulated LM: %w", err))
		}
	}
	return errors.Join(errs...)
}

// AsEmbedder returns the embedder as a dspy.Embedder, or a nil interface
// when there is none, so callers can test it against nil.
func (s *Clients) AsEmbedder() dspy.Embedder {
	if s.Embedder == nil {
		return nil
	}
	return s.Embedder
}
