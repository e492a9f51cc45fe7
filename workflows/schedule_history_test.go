package workflows_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
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
	// parallelTrialsHistory was recorded while the search also forked its
	// startup trials, each phase still waiting for the one before (level 2).
	parallelTrialsHistory = "miprov2_parallel_trials.json"
	// parallelGraphHistory is recorded by TestRecordParallelScheduleHistory
	// under today's schedule, which forks the work before the search and the
	// first unguided trials as one graph (level 3).
	parallelGraphHistory = "miprov2_parallel_graph.json"
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
// parallel schedule (on graphInput, whose graph has more to overlap). It runs only with DSPY_RECORD_HISTORIES=1:
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
	id := "record-miprov2-parallel-graph"
	optimizeOnServer(t, tc, id, graphInput(t))
	writeHistory(t, tc, id, filepath.Join(historiesDir, parallelGraphHistory))
}

// The level-1 history evaluates its search trials one after another and the
// level-2 history its startup trials at once, each under the version marker
// of its level: the replay test covers both schedules of the search. The
// level-3 history scores trial 4 (the original instructions) with the work
// before the search and trials 2-3 at once when their proposal is there.
func TestParallelScheduleHistoriesForkTrialsFromLevel2(t *testing.T) {
	for _, tc := range []struct {
		file        string
		level       int
		overlapping []int
	}{
		{parallelHistory, 1, nil},
		// Trials 2-4 and 6-8 each start before the ones before them finish.
		{parallelTrialsHistory, 2, []int{3, 4, 7, 8}},
		{parallelGraphHistory, 3, []int{3, 7, 8}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			h := readHistory(t, filepath.Join(historiesDir, tc.file))
			assert.Equal(t, tc.level, scheduleVersion(t, h))
			overlapping := overlappingTrials(t, h)
			if tc.overlapping == nil {
				assert.Empty(t, overlapping)
			} else {
				assert.Equal(t, tc.overlapping, overlapping)
			}
		})
	}
}

// From level 3 the phases overlap: the proposals describe the program while
// the dataset summary is still being made, and a search trial is scored
// before the last instruction is proposed. Earlier levels start each phase
// once the one before is over.
func TestParallelScheduleHistoriesOverlapThePhasesFromLevel3(t *testing.T) {
	for file, level := range map[string]int{parallelHistory: 1, parallelTrialsHistory: 2, parallelGraphHistory: 3} {
		t.Run(file, func(t *testing.T) {
			h := readHistory(t, filepath.Join(historiesDir, file))
			describing := startsBeforeEnd(t, h, describeSummary, "miprov2: dataset summary: summarise")
			scoring := startsBeforeEnd(t, h, trialSummary, "miprov2: propose instruction")
			assert.Equal(t, level >= 3, describing, "a description starts before the summary is made")
			assert.Equal(t, level >= 3, scoring, "a trial starts before the last proposal is made")
		})
	}
}

// describeSummary matches a proposal's description of the program.
var describeSummary = regexp.MustCompile(`^miprov2: describe program for `)

// startsBeforeEnd reports whether an activity whose summary first matches
// is scheduled before the last activity whose summary starts with last has
// completed; the test fails if the history has neither.
func startsBeforeEnd(t *testing.T, h *historypb.History, first *regexp.Regexp, last string) bool {
	t.Helper()
	dc := converter.GetDefaultDataConverter()
	summaries := map[int64]string{}
	firstStart, lastEnd := -1, -1
	for i, ev := range h.GetEvents() {
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			var summary string
			if p := ev.GetUserMetadata().GetSummary(); p != nil {
				require.NoError(t, dc.FromPayload(p, &summary))
			}
			summaries[ev.GetEventId()] = summary
			if firstStart < 0 && first.MatchString(summary) {
				firstStart = i
			}
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
			if strings.HasPrefix(summaries[ev.GetActivityTaskCompletedEventAttributes().GetScheduledEventId()], last) {
				lastEnd = i
			}
		}
	}
	require.GreaterOrEqual(t, firstStart, 0, "no activity %q", first)
	require.GreaterOrEqual(t, lastEnd, 0, "no activity %q completed", last)
	return firstStart < lastEnd
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
