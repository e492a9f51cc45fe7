package workflows_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/durable-dspy/durable-dspy/internal/testkit"
	"github.com/durable-dspy/durable-dspy/simlm"
)

// gepaSpeculationHistory is a GEPA run that prepared iterations ahead,
// replayed with the others by TestRecordedHistoriesReplay.
var gepaSpeculationHistory = filepath.Join(historiesDir, "gepa_speculative.json")

// gepaSpeculationCase has budget enough for accepted and rejected
// iterations, so its history holds work prepared ahead and work redone.
func gepaSpeculationCase(t *testing.T) optimizerCase {
	c := caseNamed(t, "gepa")
	c.params = `{"max_metric_calls": 150, "reflection_minibatch_size": 3, "seed": 1}`
	c.train, c.val = 8, 18
	return c
}

// TestRecordGEPASpeculationHistory records gepaSpeculationHistory on a real
// in-memory server. It runs only with DSPY_RECORD_HISTORIES=1:
//
//	DSPY_RECORD_HISTORIES=1 go test ./workflows/ -run TestRecordGEPASpeculationHistory
func TestRecordGEPASpeculationHistory(t *testing.T) {
	if os.Getenv("DSPY_RECORD_HISTORIES") != "1" {
		t.Skip("set DSPY_RECORD_HISTORIES=1 to record the replay test's histories")
	}
	_, lmClient := testkit.SimLM(t, simlm.Config{Seed: 23}, fastLM(3))
	_, tc := startServer(t, workerConfig(lmClient))
	in := gepaSpeculationCase(t).input()
	in.Execution.BatchSize = 9
	optimizeOnServer(t, tc, "record-gepa-speculative", in)
	writeHistory(t, tc, "record-gepa-speculative", gepaSpeculationHistory)
}

// The recorded speculative history is what its name says: the run asked
// for the speculation version and got it, and scheduled work of a later
// iteration before work of an earlier one, so replaying it checks the
// speculative schedule.
func TestGEPASpeculationHistoryPreparedIterationsAhead(t *testing.T) {
	b, err := os.ReadFile(gepaSpeculationHistory)
	require.NoError(t, err)
	var h historypb.History
	require.NoError(t, protojson.Unmarshal(b, &h))
	dc := converter.GetDefaultDataConverter()
	label := regexp.MustCompile(`"label":"gepa iteration (\d+): `)
	versions := map[string]int{}
	var iterations []int
	for _, ev := range h.GetEvents() {
		if m := ev.GetMarkerRecordedEventAttributes(); m != nil && m.GetMarkerName() == "Version" {
			var id string
			var version int
			require.NoError(t, dc.FromPayloads(m.GetDetails()["change-id"], &id))
			require.NoError(t, dc.FromPayloads(m.GetDetails()["version"], &version))
			versions[id] = version
		}
		if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil {
			for _, p := range a.GetInput().GetPayloads() {
				if m := label.FindSubmatch(p.GetData()); m != nil {
					n, err := strconv.Atoi(string(m[1]))
					require.NoError(t, err)
					iterations = append(iterations, n)
				}
			}
		}
	}
	assert.Equal(t, 1, versions["gepa-speculation"], "versions: %v", versions)
	ahead := false
	for i := 1; i < len(iterations); i++ {
		ahead = ahead || iterations[i] < iterations[i-1]
	}
	assert.True(t, ahead, "iterations in order of scheduling: %v", iterations)
}

// A durable GEPA run speculates as an in-process one does: the same
// requests (those prepared for nothing included), the same program, scores
// and trials.
func TestGEPASpeculatesDurablyAsInProcess(t *testing.T) {
	c := gepaSpeculationCase(t)
	_, localClient := testkit.SimLM(t, simlm.Config{Seed: 23}, fastLM(3))
	localLM := newRecordingLM(localClient)
	train, val := c.data()
	local := runLocal(t, localLM, c.name, json.RawMessage(c.params), train, val)
	_, durableClient := testkit.SimLM(t, simlm.Config{Seed: 23}, fastLM(3))
	durableLM := newRecordingLM(durableClient)
	in := c.input()
	in.Execution.BatchSize = 9
	durable := runDurable(t, durableLM, in)

	require.Equal(t, localLM.requests, durableLM.requests)
	require.Equal(t, encoded(t, local.Program), encoded(t, durable.Program))
	require.Equal(t, local.Score, durable.Score)
	require.Equal(t, local.Trials, durable.Trials)
	require.Greater(t, len(durable.Trials), 2, "no iteration was accepted")
}
