package tracing

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// The environment variables Setup reads itself; the exporters and the SDK
// read the others (see the package documentation).
const (
	EnvSDKDisabled        = "OTEL_SDK_DISABLED"
	EnvTracesExporter     = "OTEL_TRACES_EXPORTER"
	EnvOTLPEndpoint       = "OTEL_EXPORTER_OTLP_ENDPOINT"
	EnvOTLPTracesEndpoint = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
	EnvOTLPProtocol       = "OTEL_EXPORTER_OTLP_PROTOCOL"
	EnvOTLPTracesProtocol = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
	EnvServiceName        = "OTEL_SERVICE_NAME"
)

const (
	exporterNone         = "none"
	exporterOTLP         = "otlp"
	exporterConsole      = "console"
	protocolGRPC         = "grpc"
	protocolHTTPProtobuf = "http/protobuf"
)

// Options are what a binary passes to Setup.
type Options struct {
	// ServiceName is the service.name when OTEL_SERVICE_NAME is unset.
	ServiceName string
	// Console is where the console exporter writes; nil means os.Stderr,
	// which keeps a command's results on stdout parseable.
	Console io.Writer
	// Exporter, when set, receives the spans instead of the exporters the
	// environment names, and tracing is on unless OTEL_SDK_DISABLED says
	// otherwise: for tests and examples.
	Exporter sdktrace.SpanExporter
}

// Tracing is what Setup installed. Its methods are safe on the value Setup
// returns when tracing is off.
type Tracing struct {
	provider *sdktrace.TracerProvider
}

// Enabled reports whether Setup installed a provider.
func (t *Tracing) Enabled() bool { return t != nil && t.provider != nil }

// Shutdown flushes the spans not yet exported and stops the exporters;
// ctx bounds how long it waits for the collector. A binary calls it last.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if !t.Enabled() {
		return nil
	}
	if err := t.provider.Shutdown(ctx); err != nil {
		return fmt.Errorf("tracing: flush spans: %w", err)
	}
	return nil
}

// Setup installs OpenTelemetry's global tracer provider and propagator as
// the OTEL_* environment variables say, or does nothing when they do not
// ask for traces. Its error names the variable at fault. It contacts no
// collector: exporters connect when they first send.
func Setup(ctx context.Context, o Options) (*Tracing, error) {
	exporters, err := exportersFromEnv(ctx, o)
	if err != nil || len(exporters) == 0 {
		return &Tracing{}, err
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", o.serviceName())),
		resource.WithFromEnv(),
		resource.WithTelemetrySDK(),
	)
	if err != nil && res == nil {
		return &Tracing{}, fmt.Errorf("tracing: resource from %s: %w", EnvServiceName, err)
	}
	opts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	for _, exp := range exporters {
		opts = append(opts, sdktrace.WithBatcher(exp))
	}
	tp := sdktrace.NewTracerProvider(opts...)
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	return &Tracing{provider: tp}, nil
}

func (o Options) serviceName() string {
	if o.ServiceName == "" {
		return "durable-dspy"
	}
	return o.ServiceName
}

// exporterNames lists OTEL_TRACES_EXPORTER's exporters; unset, it is otlp
// when an OTLP endpoint is set and nothing otherwise, so that tracing stays
// off unless asked for.
func exporterNames() []string {
	raw := strings.TrimSpace(os.Getenv(EnvTracesExporter))
	if raw == "" {
		if os.Getenv(EnvOTLPEndpoint) != "" || os.Getenv(EnvOTLPTracesEndpoint) != "" {
			return []string{exporterOTLP}
		}
		return nil
	}
	var names []string
	for _, n := range strings.Split(raw, ",") {
		if n = strings.ToLower(strings.TrimSpace(n)); n != "" {
			names = append(names, n)
		}
	}
	return names
}

func exportersFromEnv(ctx context.Context, o Options) ([]sdktrace.SpanExporter, error) {
	if envTrue(EnvSDKDisabled) {
		return nil, nil
	}
	if o.Exporter != nil {
		return []sdktrace.SpanExporter{o.Exporter}, nil
	}
	var exps []sdktrace.SpanExporter
	for _, name := range exporterNames() {
		var exp sdktrace.SpanExporter
		var err error
		switch name {
		case exporterNone:
			continue
		case exporterOTLP:
			exp, err = otlpExporter(ctx)
		case exporterConsole:
			w := o.Console
			if w == nil {
				w = os.Stderr
			}
			exp, err = stdouttrace.New(stdouttrace.WithWriter(w))
		default:
			err = fmt.Errorf("%s=%q: unsupported exporter %q; use otlp, console or none", EnvTracesExporter, os.Getenv(EnvTracesExporter), name)
		}
		if err != nil {
			for _, e := range exps {
				_ = e.Shutdown(ctx)
			}
			return nil, fmt.Errorf("tracing: %w", err)
		}
		exps = append(exps, exp)
	}
	return exps, nil
}

// otlpExporter makes the OTLP exporter for the configured protocol; it reads
// the endpoint, headers, TLS and timeout settings from the environment.
func otlpExporter(ctx context.Context) (sdktrace.SpanExporter, error) {
	proto, from := os.Getenv(EnvOTLPTracesProtocol), EnvOTLPTracesProtocol
	if proto == "" {
		proto, from = os.Getenv(EnvOTLPProtocol), EnvOTLPProtocol
	}
	switch strings.TrimSpace(proto) {
	case "", protocolHTTPProtobuf:
		return otlptracehttp.New(ctx)
	case protocolGRPC:
		return otlptracegrpc.New(ctx)
	}
	return nil, fmt.Errorf("%s=%q: use %s or %s", from, proto, protocolHTTPProtobuf, protocolGRPC)
}

func envTrue(name string) bool {
	v, err := strconv.ParseBool(strings.TrimSpace(os.Getenv(name)))
	return err == nil && v
}

// ShutdownTimeout bounds how long Close waits for the collector.
const ShutdownTimeout = 5 * time.Second

// Close is Shutdown within ShutdownTimeout, logging a failure to logger
// (nil means slog.Default()) rather than returning it: what a binary does
// last, when a collector that went away must not change its exit status.
func (t *Tracing) Close(logger *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	if err := t.Shutdown(ctx); err != nil {
		if logger == nil {
			logger = slog.Default()
		}
		logger.Warn("spans were lost", "error", err)
	}
}
