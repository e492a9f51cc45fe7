package tests

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// binaries are the worker and CLI under test, built once by TestMain.
var binaries struct {
	worker, starter string
	// toolworker is a worker with a slow tool, for durable ReAct runs.
	toolworker string
}

// TestMain builds the worker and starter binaries into a temporary directory
// (through the Go build cache, so a rebuild without changes takes seconds),
// runs the tests, then stops the shared dev server and removes the binaries.
func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "durable-dspy-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)

	if err := buildBinaries(dir); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	binaries.worker = filepath.Join(dir, "worker")
	binaries.starter = filepath.Join(dir, "starter")
	binaries.toolworker = filepath.Join(dir, "toolworker")

	code := m.Run()
	stopSharedServer()
	removeFixtures()
	return code
}

// buildBinaries runs `go build -o dir/ ./worker ./starter ./tests/toolworker`
// at the module root.
func buildBinaries(dir string) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	cmd := exec.Command("go", "build", "-o", dir+string(filepath.Separator), "./worker", "./starter", "./tests/toolworker")
	cmd.Dir = root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build ./worker ./starter ./tests/toolworker: %w\n%s", err, out.String())
	}
	return nil
}

// moduleRoot is the directory holding go.mod.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("not inside the durable-dspy module")
	}
	return filepath.Dir(gomod), nil
}
