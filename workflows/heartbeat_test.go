package workflows_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"

	"github.com/durable-dspy/durable-dspy/internal/testkit"
	"github.com/durable-dspy/durable-dspy/simlm"
	"github.com/durable-dspy/durable-dspy/workflows"
)

// The plugin caps how long the SDK holds back a batch's heartbeat details,
// keeping a shorter cap the worker's own options set.
func TestPluginCapsTheWorkersHeartbeatThrottling(t *testing.T) {
	_, client := testkit.SimLM(t, simlm.Config{}, fastLM(0))
	tests := []struct {
		name             string
		interval, worker time.Duration
		want             time.Duration
	}{
		{"default", 0, 0, workflows.DefaultHeartbeatInterval},
		{"configured", 200 * time.Millisecond, 0, 200 * time.Millisecond},
		{"worker's longer cap lowered", 0, time.Minute, workflows.DefaultHeartbeatInterval},
		{"worker's shorter cap kept", 0, 100 * time.Millisecond, 100 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := workerConfig(client)
			cfg.HeartbeatInterval = tc.interval
			plugin, err := workflows.NewPlugin(cfg)
			require.NoError(t, err)
			opts := worker.Options{MaxHeartbeatThrottleInterval: tc.worker}
			require.NoError(t, plugin.ConfigureWorker(context.Background(), worker.PluginConfigureWorkerOptions{WorkerOptions: &opts}))
			assert.Equal(t, tc.want, opts.MaxHeartbeatThrottleInterval)
		})
	}
}
