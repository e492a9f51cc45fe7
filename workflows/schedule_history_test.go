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
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/durable-dspy/durable-dspy/internal/testkit"
	"github.com/durable-dspy/durable-dspy/simlm"
	"github.com/durable-dspy/durable-dspy/workflows"
)

// The MIPROv2 histories recorded under each level of the parallel schedule,
// which TestRecordedHistoriesReplay replays with the others.
const (
	// parallelHistory was recorded while the search ran its trials one at
	// a time, all else forking (level 1).
	parallelHistory = "miprov2_parallel.json"
	// parallelTrialsHistory is recorded by TestRecordParallelScheduleHistory
	// under today's schedule, whose search forks its startup trials (level 2).
	parallelTrialsHistory = "miprov2_parallel_trials.json"
)

// scheduleInput is the MIPROv2 case with six minibatch trials, three before
// each full evaluation, all in the sampler's startup phase: two runs of
// trials that no score guides.
func scheduleInput(t *testing.T) workflows.OptimizeInput {
	t.Helper()
	in := caseNamed(t, "miprov2").input()
	in.Params = json.RawMessage(`{"auto": "none", "num_candidates": 2, "num_trials": 6, "minibatch_size": 4, "minibatch_full_eval_steps": 3, "max_bootstrapped_demos": 2, "max_labeled_demos": 2}`)
	return in
}

// TestRecordParallelScheduleHistory records the MIPROv2 history of today's
// parallel schedule. It runs only with DSPY_RECORD_HISTORIES=1:
//
//	DSPY_RECORD_HISTORIES=1 go test ./workflows/ -run TestRecordParallelScheduleHistory
//
// The histories of earlier levels stay as they were recorded.
func TestRecordParallelScheduleHistory(t *testing.T) {
	if os.Getenv("DSPY_RECORD_HISTORIES") != "1" {
		t.Skip("set DSPY_RECORD_HISTORIES=1 to record the replay test's histories")
	}
	_, lmClient := testkit.SimLM(t, simlm.Config{Seed: 23}, fastLM(3))
	_, tc := startServer(t, workerConfig(lmClient))
	id := "record-miprov2-parallel-trials"
	optimizeOnServer(t, tc, id, scheduleInput(t))
	writeHistory(t, tc, id, filepath.Join(historiesDir, parallelTrialsHistory))
}

// The level-1 history evaluates its search trials one after another and the
// level-2 history its startup trials at once, each under the version marker
// of its level: the replay test covers both schedules of the search.
func TestParallelScheduleHistoriesForkTrialsFromLevel2(t *testing.T) {
	for file, level := range map[string]int{parallelHistory: 1, parallelTrialsHistory: 2} {
		t.Run(file, func(t *testing.T) {
			h := readHistory(t, filepath.Join(historiesDir, file))
			assert.Equal(t, level, scheduleVersion(t, h))
			overlapping := overlappingTrials(t, h)
			if level < 2 {
				assert.Empty(t, overlapping)
			} else {
				// Trials 2-4 and 6-8 each start before the ones before them finish.
				assert.Equal(t, []int{3, 4, 7, 8}, overlapping)
			}
		})
	}
}

func readHistory(t *testing.T, path string) *historypb.History {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var h historypb.History
	require.NoError(t, protojson.Unmarshal(b, &h))
	return &h
}

// scheduleVersion is the version the history's "parallel-schedule" marker
// records; the test fails if it has none.
func scheduleVersion(t *testing.T, h *historypb.History) int {
	t.Helper()
	dc := converter.GetDefaultDataConverter()
	for _, ev := range h.GetEvents() {
		m := ev.GetMarkerRecordedEventAttributes()
		if m == nil || m.GetMarkerName() != "Version" {
			continue
		}
		var change string
		require.NoError(t, dc.FromPayloads(m.GetDetails()["change-id"], &change))
		if change != "parallel-schedule" {
			continue
		}
		var version int
		require.NoError(t, dc.FromPayloads(m.GetDetails()["version"], &version))
		return version
	}
	t.Fatal("no parallel-schedule marker")
	return 0
}

// trialSummary matches a search trial's batches (the program has one
// predictor), not the baseline's or a full evaluation's.
var trialSummary = regexp.MustCompile(`^miprov2 trial (\d+): instruction \d+, demos \d+ on the minibatch ·`)

// overlappingTrials lists, in order, the search trials whose first batch was
// scheduled before every batch of the trial before them had completed.
func overlappingTrials(t *testing.T, h *historypb.History) []int {
	t.Helper()
	dc := converter.GetDefaultDataConverter()
	trialOf := map[int64]int{} // scheduled event ID -> trial number
	firstScheduled, lastCompleted := map[int]int{}, map[int]int{}
	var order []int
	for i, ev := range h.GetEvents() {
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			var summary string
			if p := ev.GetUserMetadata().GetSummary(); p != nil {
				require.NoError(t, dc.FromPayload(p, &summary))
			}
			m := trialSummary.FindStringSubmatch(summary)
			if m == nil {
				continue
			}
			n, err := strconv.Atoi(m[1])
			require.NoError(t, err)
			trialOf[ev.GetEventId()] = n
			if _, seen := firstScheduled[n]; !seen {
				firstScheduled[n] = i
				order = append(order, n)
			}
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
			if n, ok := trialOf[ev.GetActivityTaskCompletedEventAttributes().GetScheduledEventId()]; ok {
				lastCompleted[n] = i
			}
		}
	}
	require.NotEmpty(t, order, "no search trials in the history")
	var overlapping []int
	for k := 1; k < len(order); k++ {
		if firstScheduled[order[k]] < lastCompleted[order[k-1]] {
			overlapping = append(overlapping, order[k])
		}
	}
	return overlapping
}
