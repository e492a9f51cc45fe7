package dspy

import "context"

// Settings that travel with a context, as dspy.settings and dspy.context do in
// Python. Passing them in the context lets the same program run with different
// LMs in different goroutines, and lets a durable runtime supply its own.
type ctxKey int

const (
	lmKey ctxKey = iota
	adapterKey
	traceKey
	callOptionsKey
	usageKey
	toolRunnerKey
	precedenceKey
)

// WithLM returns a context whose predictors call lm unless they have their own.
func WithLM(ctx context.Context, lm LM) context.Context {
	return context.WithValue(ctx, lmKey, lm)
}

// LMFromContext returns the LM set with WithLM, or nil.
func LMFromContext(ctx context.Context) LM {
	lm, _ := ctx.Value(lmKey).(LM)
	return lm
}

// WithAdapter returns a context whose predictors use a unless they have their own.
func WithAdapter(ctx context.Context, a Adapter) context.Context {
	return context.WithValue(ctx, adapterKey, a)
}

// AdapterFromContext returns the adapter set with WithAdapter, or nil.
func AdapterFromContext(ctx context.Context) Adapter {
	a, _ := ctx.Value(adapterKey).(Adapter)
	return a
}

// WithTrace returns a context in which every predictor call is recorded in t.
func WithTrace(ctx context.Context, t *Trace) context.Context {
	return context.WithValue(ctx, traceKey, t)
}

// TraceFromContext returns the trace set with WithTrace, or nil.
func TraceFromContext(ctx context.Context) *Trace {
	t, _ := ctx.Value(traceKey).(*Trace)
	return t
}

// CallOptions override LM request settings for every predictor call under a
// context, as DSPy's lm.copy(rollout_id=..., temperature=...) does.
type CallOptions struct {
	// Temperature, when set, replaces the predictor's temperature.
	Temperature *float64
	// Rollout, when non-zero, asks for a fresh sample that bypasses cached replies.
	Rollout int
}

// WithCallOptions returns a context whose predictor calls apply o.
func WithCallOptions(ctx context.Context, o CallOptions) context.Context {
	return context.WithValue(ctx, callOptionsKey, o)
}

// CallOptionsFromContext returns the options set with WithCallOptions.
func CallOptionsFromContext(ctx context.Context) CallOptions {
	o, _ := ctx.Value(callOptionsKey).(CallOptions)
	return o
}

// Float returns a pointer to f, for optional settings such as Temperature.
func Float(f float64) *float64 { return &f }

// ToolRunner runs tool calls on a module's behalf. A durable runtime supplies
// one so that each call becomes a recorded, retried step of its own instead
// of running inline; Tool.Call hands the call over once its arguments have
// been checked.
type ToolRunner interface {
	// RunTool runs tool with args, which have already passed the tool's
	// schema, and returns what the model is shown.
	RunTool(ctx context.Context, tool *Tool, args map[string]any) (any, error)
}

// WithToolRunner returns a context whose tool calls r runs.
func WithToolRunner(ctx context.Context, r ToolRunner) context.Context {
	return context.WithValue(ctx, toolRunnerKey, r)
}

// ToolRunnerFromContext returns the runner set with WithToolRunner, or nil.
func ToolRunnerFromContext(ctx context.Context) ToolRunner {
	r, _ := ctx.Value(toolRunnerKey).(ToolRunner)
	return r
}
