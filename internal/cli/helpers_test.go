package cli

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/sdk/client"

	"github.com/durable-dspy/durable-dspy/worker/temporalconn"
)

// result is what one in-process run of the CLI printed and returned.
type result struct {
	stdout, stderr string
	code           int
}

// runCLI runs the CLI in-process with args. Commands must not reach
// Temporal: the dial seam fails the test, so validation is seen to happen
// before any connection.
func runCLI(t *testing.T, args ...string) result {
	t.Helper()
	// No test may reach a real LM.
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("OPENAI_BASE_URL", "")
	t.Setenv("OPENAI_MODEL", "")
	t.Setenv(EnvUIURL, "")
	var out, errOut bytes.Buffer
	code := Execute(context.Background(), Options{
		Args:   args,
		Stdin:  strings.NewReader(""),
		Stdout: &out,
		Stderr: &errOut,
		Dial: func(context.Context, temporalconn.Options, *slog.Logger) (client.Client, error) {
			t.Fatalf("the command dialed Temporal; it should have failed validation first")
			return nil, nil
		},
	})
	return result{stdout: out.String(), stderr: errOut.String(), code: code}
}

// writeFile writes content to name in a fresh temporary directory and
// returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const (
	qaSpec  = "module: predict\nsignature: \"question -> answer\"\n"
	qaTrain = `{"question": "What is 2 + 3?", "answer": "5"}
{"question": "What is 4 + 4?", "answer": "8"}
{"question": "What is 9 - 2?", "answer": "7"}
`
)

// fixture writes a spec, a trainset and a valset and returns their paths.
func fixture(t *testing.T) (specPath, train, val string) {
	dir := t.TempDir()
	return writeFile(t, dir, "qa.yaml", qaSpec), writeFile(t, dir, "train.jsonl", qaTrain), writeFile(t, dir, "val.jsonl", qaTrain)
}

// newTestApp is an app with the real dial, writing to buffers.
func newTestApp() (*app, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return newApp(Options{Stdout: &out, Stderr: &errOut}), &out, &errOut
}
