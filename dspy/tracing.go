package dspy

import (
	"context"
	"errors"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// TracerName is the instrumentation scope of the spans this package makes.
const TracerName = "github.com/durable-dspy/durable-dspy/dspy"

// EnvCaptureContent names the environment variable that, set to "true",
// records the messages sent to LMs and their replies in LM spans, for every
// context without TracingOptions of its own. It is the variable
// OpenTelemetry's GenAI instrumentations read for the same opt-in.
const EnvCaptureContent = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"

// Span attributes of this package beyond OpenTelemetry's semantic
// conventions. Module spans carry the module's kind, signature and
// predictors; LM spans carry what the call cost in this package's terms.
const (
	AttrModuleKind       = attribute.Key("dspy.module.kind")
	AttrSignature        = attribute.Key("dspy.signature")
	AttrPredictorName    = attribute.Key("dspy.predictor.name")
	AttrModulePredictors = attribute.Key("dspy.module.predictors")
	AttrAdapter          = attribute.Key("dspy.adapter")
	AttrDemos            = attribute.Key("dspy.demos")
	AttrLMCost           = attribute.Key("dspy.lm.cost_usd")
	AttrLMCacheHit       = attribute.Key("dspy.lm.cache_hit")
	AttrLMCalls          = attribute.Key("dspy.lm.calls")
	AttrLMRollout        = attribute.Key("dspy.lm.rollout")
)

// TracingOptions set how the calls made under a context are traced with
// OpenTelemetry. Without them, spans go to the provider of the span the
// context carries (a Temporal activity's, an HTTP request's), else to
// OpenTelemetry's global provider, which records nothing until a program
// installs one.
type TracingOptions struct {
	// TracerProvider makes the spans; nil means the context span's
	// provider, else the global one. A no-op provider
	// (go.opentelemetry.io/otel/trace/noop) turns spans off under the
	// context, as durable runs do inside workflow code.
	TracerProvider trace.TracerProvider
	// CaptureContent records the messages sent to LMs and their replies in
	// LM spans (gen_ai.input.messages, gen_ai.output.messages), and the
	// arguments and results of tool calls in tool spans
	// (gen_ai.tool.call.arguments, gen_ai.tool.call.result). Prompts,
	// replies and tool data may hold personal data, so it is off unless set
	// here or, for contexts without TracingOptions, by EnvCaptureContent.
	CaptureContent bool
}

type tracingKey struct{}

// WithTracing returns a context whose module, LM, embedder and tool calls are
// traced as o says.
func WithTracing(ctx context.Context, o TracingOptions) context.Context {
	return context.WithValue(ctx, tracingKey{}, o)
}

// tracingOn lets the tracing benchmark measure the call path with every
// span hook short-circuited, as it was before tracing, in the same run.
var tracingOn = true

var envCapture = sync.OnceValue(func() bool {
	v, _ := strconv.ParseBool(strings.TrimSpace(os.Getenv(EnvCaptureContent)))
	return v
})

// defaultProvider is OpenTelemetry's global provider as it is before a
// program installs one: a placeholder whose spans record nothing. Hooks
// that find it skip spans altogether, which is what keeps tracing free
// when it is off.
var defaultProvider = otel.GetTracerProvider()

// tracerFor returns the tracer for spans under ctx, or nil when no provider
// is installed, and whether LM content may be recorded. The provider is the
// one WithTracing set, else the one that made the span ctx carries (a
// Temporal activity's, say), else the global one.
func tracerFor(ctx context.Context) (trace.Tracer, bool) {
	o, ok := ctx.Value(tracingKey{}).(TracingOptions)
	if !ok {
		o.CaptureContent = envCapture()
	}
	tp := o.TracerProvider
	if tp == nil {
		if parent := trace.SpanFromContext(ctx); parent.IsRecording() {
			tp = parent.TracerProvider()
		}
	}
	if tp == nil {
		tp = otel.GetTracerProvider()
		if tp == defaultProvider {
			return nil, false
		}
	}
	return tp.Tracer(TracerName), o.CaptureContent
}

// Tracer returns the tracer for spans under ctx: the provider WithTracing
// set, else the provider of the recording span ctx carries, else
// OpenTelemetry's global one; nil when no provider is installed,
// so callers can skip a span's bookkeeping. Packages built on dspy (the
// optimizers' trial spans) make their spans with it.
func Tracer(ctx context.Context) trace.Tracer {
	t, _ := tracerFor(ctx)
	return t
}

// programKey holds the program whose predictor paths name predictor spans.
type programKey struct{}

// CallProgram runs program on inputs as a traced whole, as DSPy's
// Module.__call__ does for callbacks: a user module gets a span of its own,
// named after its Go type, and the spans of its predictors carry their paths
// in program ("generate_answer.predict"). The built-in modules make their
// own spans, so for them it is program.Call. Evaluate, the optimizers'
// engines and serve run programs through it; with tracing off (the default)
// it costs nothing measurable over program.Call.
func CallProgram(ctx context.Context, program Module, inputs Example) (_ Prediction, err error) {
	if !tracingOn || tracesItself(program) {
		return program.Call(ctx, inputs)
	}
	ctx, span := startModuleSpan(ctx, program, moduleKind(program))
	defer span.end(&err)
	return program.Call(ctx, inputs)
}

// tracesItself reports whether m is a built-in module, which starts its own span.
func tracesItself(m Module) bool {
	switch m.(type) {
	case *Predict, *ChainOfThought, *ReAct, *MultiChainComparison, *BestOfN, *Refine:
		return true
	}
	return false
}

// moduleKind names a user module by its Go type, without package or pointer.
func moduleKind(m Module) string {
	t := reflect.TypeOf(m)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Name() == "" {
		return "Module"
	}
	return t.Name()
}

// span is a started span, or nothing when it records nothing: its methods
// are safe on the zero value, so hooks need no checks of their own.
type span struct{ s trace.Span }

// beginSpan starts a span named name under ctx when tracing is on and a
// provider records it. ok is false when nothing will be recorded, and the
// caller then skips its attributes; capture tells whether content may be
// recorded.
func beginSpan(ctx context.Context, name string, opts ...trace.SpanStartOption) (_ context.Context, s trace.Span, capture, ok bool) {
	if !tracingOn {
		return ctx, nil, false, false
	}
	tracer, capture := tracerFor(ctx)
	if tracer == nil {
		return ctx, nil, false, false
	}
	ctx, s = tracer.Start(ctx, name, opts...)
	return ctx, s, capture, s.IsRecording()
}

// startModuleSpan starts the span of one module call, named by its kind and
// signature ("ChainOfThought(question -> reasoning, answer)"). The outermost
// traced module of a call is the root its predictors are named from, unless
// CallProgram named one.
func startModuleSpan(ctx context.Context, m Module, kind string) (context.Context, span) {
	ctx, s, _, ok := beginSpan(ctx, kind)
	if !ok {
		return ctx, span{}
	}
	attrs := []attribute.KeyValue{AttrModuleKind.String(kind)}
	if sig := moduleSignature(m); !sig.IsZero() {
		sigText := sig.String()
		s.SetName(kind + "(" + sigText + ")")
		attrs = append(attrs, AttrSignature.String(sigText))
	}
	root, ok := ctx.Value(programKey{}).(Module)
	if !ok {
		root = m
		ctx = context.WithValue(ctx, programKey{}, m)
	}
	if p, ok := m.(*Predict); ok {
		if name, found := predictorPath(root, p); found {
			attrs = append(attrs, AttrPredictorName.String(name))
		}
		attrs = append(attrs, AttrDemos.Int(len(p.Demos)))
	} else if names := modulePredictors(root, m); len(names) > 0 {
		attrs = append(attrs, AttrModulePredictors.StringSlice(names))
	}
	s.SetAttributes(attrs...)
	return ctx, span{s}
}

// moduleSignature is the signature a built-in module answers, or the zero
// Signature for modules that wrap others.
func moduleSignature(m Module) Signature {
	switch m := m.(type) {
	case *Predict:
		return m.Signature
	case *ChainOfThought:
		if m.Predict != nil {
			return m.Predict.Signature
		}
	case *MultiChainComparison:
		if m.Predict != nil {
			return m.Predict.Signature
		}
	case *ReAct:
		return m.Signature
	}
	return Signature{}
}

// predictorPath finds p's path in root.
func predictorPath(root Module, p *Predict) (string, bool) {
	for _, np := range root.Predictors() {
		if np.Predictor == p {
			return np.Name, true
		}
	}
	return "", false
}

// modulePredictors names m's predictors by their paths in root, or by their
// paths in m when root does not hold them.
func modulePredictors(root, m Module) []string {
	own := m.Predictors()
	names := make([]string, 0, len(own))
	for _, np := range own {
		name := np.Name
		if root != m {
			if path, ok := predictorPath(root, np.Predictor); ok {
				name = path
			}
		}
		names = append(names, name)
	}
	return names
}

// end ends the span, marking it failed when *err is set. It takes a
// pointer so a deferred call sees the function's final error.
func (s span) end(err *error) {
	if s.s == nil {
		return
	}
	if err != nil && *err != nil {
		recordError(s.s, *err)
	}
	s.s.End()
}

// recordError marks a span failed with err, classified in error.type as
// OpenTelemetry's conventions ask: an LM failure by its LMErrorKind.
func recordError(s trace.Span, err error) {
	s.RecordError(err)
	s.SetStatus(codes.Error, err.Error())
	s.SetAttributes(attribute.String("error.type", errorType(err)))
}

// errorType is a low-cardinality name for err.
func errorType(err error) string {
	var lmErr *LMError
	var parseErr *ParseError
	var inputErr *InputError
	var unknownTool *UnknownToolError
	switch {
	case errors.As(err, &lmErr):
		return string(lmErr.Kind)
	case errors.As(err, &parseErr):
		return "parse_error"
	case errors.As(err, &inputErr):
		return "input_error"
	case errors.As(err, &unknownTool), errors.As(err, new(noToolError)):
		return "unknown_tool"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline_exceeded"
	}
	return "_OTHER"
}
