package cli

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy/optimize"
	"github.com/durable-dspy/durable-dspy/internal/exitcode"
)

func TestAnUnknownFlagIsBadUsage(t *testing.T) {
	r := runCLI(t, "optimize", "--bogus")
	assert.Equal(t, exitcode.Usage, r.code)
	assert.Contains(t, r.stderr, "--bogus")
}

func TestAnUnknownCommandIsBadUsage(t *testing.T) {
	r := runCLI(t, "optimise")
	assert.Equal(t, exitcode.Usage, r.code)
	assert.Contains(t, r.stderr, `unknown command "optimise"`)
}

func TestEveryCommandHasHelp(t *testing.T) {
	for _, cmd := range []string{"optimize", "evaluate", "status", "watch", "list", "stop", "pause", "unpause", "cancel", "resume", "export", "run", "prompt", "demo"} {
		r := runCLI(t, cmd, "--help")
		assert.Equal(t, exitcode.OK, r.code, cmd)
		assert.Contains(t, r.stdout, "Usage:", cmd)
	}
}

func TestAMissingTrainsetFileIsBadUsageNamingTheFlagAndPath(t *testing.T) {
	spec, _, _ := fixture(t)
	missing := filepath.Join(t.TempDir(), "nope.jsonl")
	r := runCLI(t, "optimize", "--spec", spec, "--trainset", missing)
	assert.Equal(t, exitcode.Usage, r.code)
	assert.Contains(t, r.stderr, "--trainset "+missing+": no such file")
}

func TestAMissingSpecFileIsBadUsageNamingTheFlag(t *testing.T) {
	_, train, _ := fixture(t)
	r := runCLI(t, "optimize", "--spec", "absent.yaml", "--trainset", train)
	assert.Equal(t, exitcode.Usage, r.code)
	assert.Contains(t, r.stderr, "--spec absent.yaml: no such file")
}

func TestAMalformedJSONLLineIsBadUsageNamingFileAndLine(t *testing.T) {
	spec, train, _ := fixture(t)
	bad := writeFile(t, t.TempDir(), "val.jsonl", "{\"question\": \"q\", \"answer\": \"a\"}\n{\"question\": oops}\n")
	r := runCLI(t, "optimize", "--spec", spec, "--trainset", train, "--valset", bad)
	assert.Equal(t, exitcode.Usage, r.code)
	assert.Contains(t, r.stderr, "--valset: "+bad+":2")
}

func TestAnUnknownOptimizerIsBadUsageListingTheValidOnes(t *testing.T) {
	spec, train, _ := fixture(t)
	r := runCLI(t, "optimize", "--spec", spec, "--trainset", train, "--optimizer", "simulated_annealing")
	assert.Equal(t, exitcode.Usage, r.code)
	assert.Contains(t, r.stderr, `--optimizer "simulated_annealing"`)
	for _, name := range optimize.Names() {
		assert.Contains(t, r.stderr, name)
	}
}

func TestAnInvalidSignatureInTheSpecIsBadUsage(t *testing.T) {
	_, train, _ := fixture(t)
	spec := writeFile(t, t.TempDir(), "bad.yaml", "module: predict\nsignature: \"question answer\"\n")
	r := runCLI(t, "optimize", "--spec", spec, "--trainset", train)
	assert.Equal(t, exitcode.Usage, r.code)
	assert.Contains(t, r.stderr, "--spec "+spec)
}

func TestAnUnknownModuleInTheSpecIsBadUsage(t *testing.T) {
	_, train, _ := fixture(t)
	spec := writeFile(t, t.TempDir(), "bad.yaml", "module: predikt\nsignature: \"question -> answer\"\n")
	r := runCLI(t, "optimize", "--spec", spec, "--trainset", train)
	assert.Equal(t, exitcode.Usage, r.code)
	assert.Contains(t, r.stderr, `unknown module "predikt"`)
}

func TestAnUnknownOptimizerParameterIsBadUsageListingTheValidOnes(t *testing.T) {
	spec, train, _ := fixture(t)
	r := runCLI(t, "optimize", "--spec", spec, "--trainset", train, "--param", "num_candidates=4")
	assert.Equal(t, exitcode.Usage, r.code)
	assert.Contains(t, r.stderr, "num_candidate_programs")
}

func TestProgramAndSpecTogetherAreBadUsage(t *testing.T) {
	spec, train, _ := fixture(t)
	r := runCLI(t, "optimize", "--spec", spec, "--program", "rag", "--trainset", train)
	assert.Equal(t, exitcode.Usage, r.code)
	assert.Contains(t, r.stderr, "--program and --spec")
}

func TestNoProgramIsBadUsage(t *testing.T) {
	_, train, _ := fixture(t)
	r := runCLI(t, "optimize", "--trainset", train)
	assert.Equal(t, exitcode.Usage, r.code)
	assert.Contains(t, r.stderr, "--program NAME")
}

func TestOutWithoutWaitIsBadUsage(t *testing.T) {
	spec, train, _ := fixture(t)
	r := runCLI(t, "optimize", "--spec", spec, "--trainset", train, "--out", "p.json")
	assert.Equal(t, exitcode.Usage, r.code)
	assert.Contains(t, r.stderr, "--out needs --wait")
}

func TestANegativeBudgetIsBadUsage(t *testing.T) {
	spec, train, _ := fixture(t)
	r := runCLI(t, "optimize", "--spec", spec, "--trainset", train, "--max-cost", "-1")
	assert.Equal(t, exitcode.Usage, r.code)
	assert.Contains(t, r.stderr, "--max-cost")
}

func TestRunCommandsWithoutAWorkflowIDAreBadUsage(t *testing.T) {
	for _, cmd := range []string{"status", "watch", "stop", "pause", "unpause", "cancel", "resume", "export"} {
		r := runCLI(t, cmd)
		assert.Equal(t, exitcode.Usage, r.code, cmd)
		assert.Contains(t, r.stderr, "needs a workflow ID", cmd)
	}
}

func TestExportWithoutOutIsBadUsage(t *testing.T) {
	r := runCLI(t, "export", "some-id")
	assert.Equal(t, exitcode.Usage, r.code)
	assert.Contains(t, r.stderr, "--out is required")
}

func TestListRejectsANonPositiveLimit(t *testing.T) {
	r := runCLI(t, "list", "--limit", "0")
	assert.Equal(t, exitcode.Usage, r.code)
	assert.Contains(t, r.stderr, "--limit")
}

func TestEvaluateChecksTheDatasetBeforeConnecting(t *testing.T) {
	spec, _, _ := fixture(t)
	r := runCLI(t, "evaluate", "--spec", spec)
	assert.Equal(t, exitcode.Usage, r.code)
	assert.Contains(t, r.stderr, "--dataset is required")
}

func TestAnUnreachableTemporalIsAFailedRunNotBadUsage(t *testing.T) {
	spec, train, _ := fixture(t)
	// A port nothing listens on: the dial is refused at once, and the
	// short dial timeout bounds the retries.
	a, _, errOut := newTestApp()
	code := a.run(t.Context(), []string{"optimize", "--spec", spec, "--trainset", train, "--address", "127.0.0.1:1", "--dial-timeout", "1s"})
	require.Equal(t, exitcode.Failure, code, errOut.String())
	assert.Contains(t, errOut.String(), "127.0.0.1:1")
}
