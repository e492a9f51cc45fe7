package tracing_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/worker/tracing"
)

// clearEnv unsets every variable Setup reads, for the test's duration.
func clearEnv(t *testing.T) {
	for _, name := range []string{tracing.EnvSDKDisabled, tracing.EnvTracesExporter, tracing.EnvOTLPEndpoint,
		tracing.EnvOTLPTracesEndpoint, tracing.EnvOTLPProtocol, tracing.EnvOTLPTracesProtocol, tracing.EnvServiceName} {
		t.Setenv(name, "")
	}
}

// collector counts the OTLP/HTTP export requests it receives.
type collector struct {
	mu     sync.Mutex
	bodies [][]byte
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if r.URL.Path == "/v1/traces" {
		c.mu.Lock()
		c.bodies = append(c.bodies, body)
		c.mu.Unlock()
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
}

func (c *collector) received() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bodies
}

func TestSetupIsOffWithoutOTELVariables(t *testing.T) {
	srv := &collector{}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	for name, env := range map[string]map[string]string{
		"nothing set":              {},
		"exporter none":            {tracing.EnvTracesExporter: "none"},
		"SDK disabled, endpoint":   {tracing.EnvSDKDisabled: "true", tracing.EnvOTLPEndpoint: ts.URL},
		"SDK disabled, exporter":   {tracing.EnvSDKDisabled: "TRUE", tracing.EnvTracesExporter: "otlp", tracing.EnvOTLPEndpoint: ts.URL},
		"only a service name":      {tracing.EnvServiceName: "svc"},
		"only the OTLP's protocol": {tracing.EnvOTLPProtocol: "grpc"},
	} {
		t.Run(name, func(t *testing.T) {
			clearEnv(t)
			for k, v := range env {
				t.Setenv(k, v)
			}
			before := otel.GetTracerProvider()
			tr, err := tracing.Setup(context.Background(), tracing.Options{ServiceName: "test"})
			require.NoError(t, err)
			assert.False(t, tr.Enabled())
			assert.Equal(t, before, otel.GetTracerProvider(), "no provider installed")
			_, span := otel.Tracer("test").Start(context.Background(), "unseen")
			span.End()
			require.NoError(t, tr.Shutdown(context.Background()))
			assert.Empty(t, srv.received(), "nothing exported, nothing dialled")
		})
	}
}

func TestSetupRejectsUnknownSettings(t *testing.T) {
	clearEnv(t)
	t.Setenv(tracing.EnvTracesExporter, "zipkin")
	_, err := tracing.Setup(context.Background(), tracing.Options{})
	require.ErrorContains(t, err, "OTEL_TRACES_EXPORTER")

	t.Setenv(tracing.EnvTracesExporter, "otlp")
	t.Setenv(tracing.EnvOTLPTracesProtocol, "http/json")
	_, err = tracing.Setup(context.Background(), tracing.Options{})
	require.ErrorContains(t, err, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
}

// This test installs the global provider; the ones before it check that
// Setup leaves it alone, by identity, so their order does not matter.
func TestSetupExportsToTheOTLPEndpointAndFlushesOnShutdown(t *testing.T) {
	srv := &collector{}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	clearEnv(t)
	t.Setenv(tracing.EnvOTLPEndpoint, ts.URL)
	t.Setenv(tracing.EnvServiceName, "svc-from-env")

	tr, err := tracing.Setup(context.Background(), tracing.Options{ServiceName: "default-name"})
	require.NoError(t, err)
	require.True(t, tr.Enabled())
	require.NotNil(t, dspy.Tracer(context.Background()), "dspy traces once a provider is installed")
	_, span := otel.Tracer("test").Start(context.Background(), "a-span-to-export")
	span.End()
	assert.Empty(t, srv.received(), "spans are batched until the flush")

	require.NoError(t, tr.Shutdown(context.Background()))
	bodies := srv.received()
	require.Len(t, bodies, 1)
	assert.True(t, bytes.Contains(bodies[0], []byte("a-span-to-export")))
	assert.True(t, bytes.Contains(bodies[0], []byte("svc-from-env")), "OTEL_SERVICE_NAME wins over the binary's name")
	assert.False(t, bytes.Contains(bodies[0], []byte("default-name")))
}
