package dspy_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// A native ReAct streamed through the LM client's Stream, whose tool calls
// arrive as deltas, ends with the prediction and trajectory of an unstreamed
// run, reporting each tool call as DSPy's status messages do; so with the
// chat adapter and with the JSON adapter, both calling natively.
func TestStreamedNativeReActIsTheUnstreamedOne(t *testing.T) {
	srv := startSimLM(t, 5)
	adapters := map[string]dspy.Adapter{"chat": &dspy.ChatAdapter{NativeToolCalls: true}, "json": &dspy.JSONAdapter{}}
	for name, adapter := range adapters {
		t.Run(name, func(t *testing.T) {
			agent := newNativeWeatherAgent(t)
			streamer, err := dspy.Streamify(agent)
			require.NoError(t, err)
			for _, q := range []string{"What is the weather in Paris?", "Is it sunny in Oslo and Lyon?"} {
				inputs := dspy.NewExample("question", q)
				plainCtx := dspy.WithAdapter(dspy.WithLM(context.Background(), simClient(t, srv)), adapter)
				want, err := agent.Call(plainCtx, inputs)
				require.NoError(t, err)
				streamCtx := dspy.WithAdapter(dspy.WithLM(context.Background(), simClient(t, srv)), adapter)
				run := collectStreamOrErr(t, streamer, streamCtx, inputs)
				require.NoError(t, run.err)
				assert.Equal(t, want, run.pred, q)

				v, _ := want.Get("trajectory")
				calls, _ := v.(dspy.Example).Get("tool_calls_0")
				tc, ok := calls.(dspy.ToolCalls)
				require.True(t, ok, "the first turn calls tools natively")
				var wantStatuses []string
				for _, c := range tc.Calls {
					require.NotEmpty(t, c.ID)
					if c.Name != "finish" {
						wantStatuses = append(wantStatuses, "Calling tool "+c.Name+"...",
							"Tool calling finished! Querying the LLM with tool calling results...")
					}
				}
				require.NotEmpty(t, wantStatuses)
				// The calls of one turn run concurrently, so their messages may interleave.
				assert.ElementsMatch(t, wantStatuses, run.statuses)
				assert.NotEmpty(t, run.fields["react.next_thought"], "the thought streams beside the calls")
			}
		})
	}
}
