package cli

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/optimize"
	"github.com/durable-dspy/durable-dspy/serve"
	"github.com/durable-dspy/durable-dspy/worker/temporalconn"
)

// ensembleStateOf is a compiled ensemble of three instances of qaSpec's
// program, each with instructions of its own.
func ensembleStateOf(t *testing.T, dir string) dspy.ProgramState {
	t.Helper()
	var members []dspy.ProgramState
	for i, instr := range []string{"Answer briefly.", "Answer like a pirate.", "Answer politely."} {
		var st dspy.ProgramState
		b, err := os.ReadFile(stateFile(t, dir, "member"+string(rune('0'+i))+".json", instr))
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(b, &st))
		members = append(members, st)
	}
	return optimize.EnsembleState(members, 0)
}

// serve runs a compiled ensemble, from a state file or from the run that
// compiled it, as run does: each request runs every member.
func TestServeRunsACompiledEnsemble(t *testing.T) {
	dir := t.TempDir()
	specPath := writeFile(t, dir, "qa.yaml", qaSpec)
	st := ensembleStateOf(t, dir)
	b, err := st.Encode()
	require.NoError(t, err)
	statePath := writeFile(t, dir, "ensemble.json", string(b))

	for name, args := range map[string][]string{
		"state file": {"--spec", specPath, "--state", statePath, "--name", "qa"},
		"from run":   {"--spec", specPath, "--from-run", "dspy-ensemble-1", "--name", "qa"},
	} {
		t.Run(name, func(t *testing.T) {
			var dial func(context.Context, temporalconn.Options, *slog.Logger) (client.Client, error)
			if name == "from run" {
				c := fakeRun(t, "dspy-ensemble-1", st)
				dial = func(context.Context, temporalconn.Options, *slog.Logger) (client.Client, error) { return c, nil }
			}
			s := startServe(t, dial, args...)
			code, header, body := call(t, http.MethodPost, s.url+"/v1/programs/qa", "", `{"question": "What is 2 plus 2?"}`)
			assert.Equal(t, http.StatusOK, code, string(body))
			assert.Equal(t, "3", header.Get("X-LM-Calls"), "every member of the ensemble runs")
			if name == "from run" {
				assert.Equal(t, serve.Origin{Kind: "run", RunID: "dspy-ensemble-1"}, listPrograms(t, s.url, "")["qa"].Origin)
			}
			assert.Equal(t, 0, s.stop(), s.stderr.String())
		})
	}
}
