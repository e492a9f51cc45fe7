// Package tracing sets up OpenTelemetry tracing for durable-dspy's
// binaries from the standard OTEL_* environment variables: the worker, the
// starter CLI (every command, `starter serve` and `starter demo` included)
// call Setup first and Shutdown last. Off by default: with none of the
// variables below set, Setup installs nothing, dials nothing and exports
// nothing, and every span in the process stays a no-op.
//
// What turns it on, and what else is read:
//
//	OTEL_TRACES_EXPORTER          otlp, console (spans as JSON on stderr) or none;
//	                              a comma-separated list sends to each
//	OTEL_EXPORTER_OTLP_ENDPOINT   an OTLP collector (http://localhost:4318 for
//	OTEL_EXPORTER_OTLP_TRACES_ENDPOINT  http/protobuf, :4317 for grpc); setting
//	                              one alone turns the otlp exporter on
//	OTEL_EXPORTER_OTLP_PROTOCOL   http/protobuf (default) or grpc; also
//	OTEL_EXPORTER_OTLP_TRACES_PROTOCOL
//	OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT, _INSECURE, _CERTIFICATE, _COMPRESSION
//	                              read by the OTLP exporters themselves
//	OTEL_SERVICE_NAME             the service name (default: the binary's,
//	                              "durable-dspy-worker" or "durable-dspy-starter")
//	OTEL_RESOURCE_ATTRIBUTES      more resource attributes, key=value,...
//	OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG, OTEL_BSP_*
//	                              sampling and batching, read by the SDK
//	OTEL_SDK_DISABLED=true        off, whatever else is set
//	OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true
//	                              record prompts and replies in LM spans
//	                              (off by default; API keys never are)
//
// Once on, one trace runs from a starter command through Temporal to the
// LM: the Temporal clients that package temporalconn dials carry Temporal's
// OpenTelemetry interceptor (go.temporal.io/sdk/contrib/opentelemetry), so
// the starter's StartWorkflow span is the parent of the workflow's span, the
// workflow's of its activities', and each activity's of the module and LM
// spans package dspy makes inside it (GenAI semantic conventions: model,
// tokens, cost). Optimizations add a span per trial with its score; serve
// adds a span per request. Propagation across processes is W3C Trace
// Context and Baggage.
package tracing
