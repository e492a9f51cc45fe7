package evaluate

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Registry maps metric names to metrics, so a workflow input or a command
// line can name the metric instead of carrying code. It is safe for
// concurrent use.
type Registry struct {
	mu      sync.RWMutex
	metrics map[string]Metric
}

// NewRegistry returns a registry holding the built-in metrics, all reading
// the gold and predicted "answer" field (and "context" for passages):
//
//	exact_match     ExactMatch("answer")
//	f1              F1("answer")
//	passage_match   PassageMatch("answer", "context")
//	numeric_match   NumericMatch("answer", 1e-9)
//
// The LM judge is not built in, because it needs an LM; register
// Judge(JudgeConfig{LM: lm}) under a name of your choice.
func NewRegistry() *Registry {
	r := &Registry{metrics: map[string]Metric{}}
	for _, name := range BuiltinNames() {
		r.metrics[name], _ = Builtin(name, DefaultLabel)
	}
	return r
}

// Register adds m under name. Names are taken once: registering a name twice
// is an error, so a user metric can never silently replace a built-in.
func (r *Registry) Register(name string, m Metric) error {
	if strings.TrimSpace(name) == "" {
		return fmt.Errorf("register metric: empty name")
	}
	if m == nil {
		return fmt.Errorf("register metric %q: nil metric", name)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, taken := r.metrics[name]; taken {
		return fmt.Errorf("register metric %q: the name is already registered; choose another", name)
	}
	r.metrics[name] = m
	return nil
}

// Lookup returns the metric registered under name. For an unknown name the
// error lists the known ones.
func (r *Registry) Lookup(name string) (Metric, error) {
	r.mu.RLock()
	m, ok := r.metrics[name]
	r.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("unknown metric %q; known metrics: %s", name, strings.Join(r.Names(), ", "))
	}
	return m, nil
}

// Names returns the registered names, sorted.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := make([]string, 0, len(r.metrics))
	for n := range r.metrics {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// defaultRegistry backs the package-level Register and Lookup, which a
// process uses to share metrics between the code that registers them (main
// or init) and the code that runs them (a worker).
var defaultRegistry = NewRegistry()

// Register adds m to the process-wide registry under name; see Registry.Register.
func Register(name string, m Metric) error { return defaultRegistry.Register(name, m) }

// Lookup returns the metric registered process-wide under name, a built-in
// (see NewRegistry) or one added with Register.
func Lookup(name string) (Metric, error) { return defaultRegistry.Lookup(name) }

// Names returns the names registered process-wide, sorted.
func Names() []string { return defaultRegistry.Names() }
