package cli

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/spec"
	"github.com/durable-dspy/durable-dspy/internal/exitcode"
	"github.com/durable-dspy/durable-dspy/simlm"
)

// stateWithDemos writes a saved program for the qa spec with two demos.
func stateWithDemos(t *testing.T) (string, dspy.Module) {
	t.Helper()
	sp, err := spec.Parse([]byte(qaSpec))
	require.NoError(t, err)
	m, err := sp.Build(nil)
	require.NoError(t, err)
	p := m.Predictors()[0].Predictor
	p.Demos = []dspy.Example{
		dspy.NewExample("question", "What is 1 + 1?", "answer", "2"),
		dspy.NewExample("question", "What is 3 + 3?", "answer", "6"),
	}
	p.Signature = p.Signature.WithInstructions("Answer with only the integer.")
	b, err := dspy.StateOf(m).Encode()
	require.NoError(t, err)
	return writeFile(t, t.TempDir(), "program.json", string(b)), m
}

func TestPromptPrintsExactlyWhatTheChatAdapterFormats(t *testing.T) {
	spec, _, _ := fixture(t)
	state, m := stateWithDemos(t)
	r := runCLI(t, "prompt", "--spec", spec, "--state", state, "--input", "question=What is 7 + 5?", "--input", "unused=x")
	require.Equal(t, exitcode.OK, r.code, r.stderr)

	var got []dspy.Message
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
	p := m.Predictors()[0].Predictor
	want, err := (&dspy.ChatAdapter{}).Format(p.Signature, p.Demos, dspy.NewExample("question", "What is 7 + 5?"))
	require.NoError(t, err)
	assert.Equal(t, want, got)
	assert.Contains(t, got[0].Content, "Answer with only the integer.")
}

func TestPromptWithoutAProgramInputIsBadUsageNamingIt(t *testing.T) {
	spec, _, _ := fixture(t)
	r := runCLI(t, "prompt", "--spec", spec, "--input", "query=hi")
	assert.Equal(t, exitcode.Usage, r.code)
	assert.Contains(t, r.stderr, "--input")
	assert.Contains(t, r.stderr, "question")
}

func TestAStateThatDoesNotFitTheSpecIsBadUsage(t *testing.T) {
	state, _ := stateWithDemos(t)
	other := writeFile(t, t.TempDir(), "cot.yaml", "module: chain_of_thought\nsignature: \"question -> answer\"\n")
	r := runCLI(t, "prompt", "--spec", other, "--state", state, "--input", "question=q")
	assert.Equal(t, exitcode.Usage, r.code)
	assert.Contains(t, r.stderr, "--state "+state)
}

func TestRunAnswersOnTheSimulatedLMWhenNoneIsConfigured(t *testing.T) {
	spec, _, _ := fixture(t)
	state, _ := stateWithDemos(t)
	question := simlm.ArithmeticDataset(5, 1)[0].Question
	r := runCLI(t, "run", "--spec", spec, "--state", state, "--input", "question="+question)
	require.Equal(t, exitcode.OK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "simulated LM")

	var pred map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &pred))
	require.Contains(t, pred, "answer")
	assert.Regexp(t, `^-?\d+$`, pred["answer"])
}

func TestRunTakesItsInputAsJSON(t *testing.T) {
	spec, _, _ := fixture(t)
	r := runCLI(t, "run", "--spec", spec, "--input-json", `{"question": "What is 2 + 2?"}`)
	require.Equal(t, exitcode.OK, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"answer"`)
}

func TestRunRejectsABadSimulatorSetting(t *testing.T) {
	spec, _, _ := fixture(t)
	r := runCLI(t, "run", "--spec", spec, "--input", "question=q", "--sim", "latency=sideways")
	assert.Equal(t, exitcode.Usage, r.code)
	assert.Contains(t, r.stderr, "--sim")
}
