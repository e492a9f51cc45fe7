package activities_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/activities"
	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/internal/testkit"
	"github.com/durable-dspy/durable-dspy/simlm"
)

// LoadDataset marks the inputs once, and its result carries the marking
// through the payload to the workflow: file and inline data alike, with the
// keys named or taken from the program.
func TestLoadDatasetResultCarriesTheInputMarking(t *testing.T) {
	path := filepath.Join(t.TempDir(), "qa.csv")
	require.NoError(t, os.WriteFile(path, []byte("question,answer\nWhat is 2+3?,5\n"), 0o644))
	inline := []dspy.Example{dspy.NewExample("question", "q", "answer", "a").WithInputs("answer")}
	for name, ref := range map[string]activities.DatasetRef{
		"file, named keys":     {Path: path, InputKeys: []string{"question"}},
		"file, program inputs": {Path: path, ProgramInputs: []string{"context", "question"}},
		"inline, named keys":   {Examples: inline, InputKeys: []string{"question"}},
		// The ref's keys are the rule, whatever marking inline examples came with.
		"inline, program inputs": {Examples: inline, ProgramInputs: []string{"question"}},
	} {
		t.Run(name, func(t *testing.T) {
			out, err := loadDataset(t, ref)
			require.NoError(t, err)
			require.NotEmpty(t, out.Examples)
			for _, ex := range out.Examples {
				assert.Equal(t, []string{"question"}, ex.InputKeys())
			}
		})
	}
}

// The starter pins a run's file with DatasetSHA256 of the content it checked;
// the same content loads, an edited one is refused, naming the file.
func TestLoadDatasetChecksThePinTheStarterSets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "qa.jsonl")
	content := []byte(`{"question": "q", "answer": "a"}` + "\n")
	require.NoError(t, os.WriteFile(path, content, 0o644))
	pin := activities.DatasetSHA256(content)
	ref := activities.DatasetRef{Path: path, ProgramInputs: []string{"question"}, SHA256: pin}

	out, err := loadDataset(t, ref)
	require.NoError(t, err)
	assert.Equal(t, pin, out.SHA256)

	require.NoError(t, os.WriteFile(path, []byte(`{"question": "q", "answer": "b"}`+"\n"), 0o644))
	_, err = loadDataset(t, ref)
	requireConfigError(t, err, "dataset "+path+" changed since the run started", "expected "+pin, "restore it or start a new run")
}

// Inline data hashes as the JSON of its fields, as it did when payloads
// carried no marking, so a run continued across that change keeps its hash;
// a pin on inline data is checked as on a file.
func TestInlineDatasetHashIgnoresTheMarking(t *testing.T) {
	ex := dspy.NewExample("question", "<q>", "answer", "a")
	plain, err := loadDataset(t, activities.DatasetRef{Examples: []dspy.Example{ex}, InputKeys: []string{"question"}})
	require.NoError(t, err)
	marked, err := loadDataset(t, activities.DatasetRef{Examples: []dspy.Example{ex.WithInputs("question")}, InputKeys: []string{"question"}})
	require.NoError(t, err)
	assert.Equal(t, plain.SHA256, marked.SHA256)
	assert.Equal(t, activities.DatasetSHA256([]byte(`[{"question":"\u003cq\u003e","answer":"a"}]`)), plain.SHA256,
		"the hash of the encoding inline data always had")

	_, err = loadDataset(t, activities.DatasetRef{Examples: []dspy.Example{ex}, InputKeys: []string{"question"}, SHA256: "0123"})
	requireConfigError(t, err, "inline dataset changed since the run started", "expected 0123")
}

// A batch scheduled before examples carried their marking holds unmarked
// examples and the input keys beside them; it runs as it did. A batch of
// marked examples needs no keys beside them.
func TestRunBatchRunsOldAndNewBatchShapes(t *testing.T) {
	_, client := testkit.SimLM(t, simlm.Config{Seed: 2}, fastLM(0))
	env := activityEnv(newActivities(t, client))
	data := testkit.Arithmetic(3, 3)

	unmarked := make([]dspy.Example, len(data))
	for i, ex := range data {
		unmarked[i] = ex.Unmarked()
	}
	old := batchInput(unmarked)
	fresh := batchInput(data)
	fresh.InputKeys = nil
	unkeyed := batchInput(unmarked)
	unkeyed.InputKeys = nil

	want, err := runBatch(t, env, old)
	require.NoError(t, err)
	for _, o := range want.Outcomes {
		assert.Empty(t, o.Error)
	}
	got, err := runBatch(t, env, fresh)
	require.NoError(t, err)
	assert.Equal(t, want.Outcomes, got.Outcomes)

	none, err := runBatch(t, env, unkeyed)
	require.NoError(t, err)
	for _, o := range none.Outcomes {
		assert.Contains(t, o.Error, "no input keys", "without a marking or keys, nothing says what the inputs are")
	}
}
