package tests

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// readyLine is the last line of the worker binary's start-up banner, printed
// once it serves (worker and --dev-only alike).
const readyLine = "Press Ctrl+C to stop."

// startTimeout bounds how long a worker or dev server may take to be ready.
const startTimeout = 90 * time.Second

// lockedBuffer is an output buffer safe to read while a process writes it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// process is a child process started by a test, with its output captured.
type process struct {
	name           string
	cmd            *exec.Cmd
	stdout, stderr *lockedBuffer
	exited         chan struct{}
	waitErr        error
}

// startProcess starts path with args in its own working directory and a
// clean environment. The process is killed, if still running, when the test
// ends; if the test failed, its output is logged.
func startProcess(t *testing.T, name, path string, args ...string) *process {
	t.Helper()
	p, err := spawn(name, t.TempDir(), path, args...)
	require.NoError(t, err)
	t.Cleanup(func() {
		if err := p.kill(); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			t.Logf("%s %s\n--- stdout ---\n%s\n--- stderr (tail) ---\n%s", name, strings.Join(args, " "), p.stdout.String(), tail(p.stderr.String(), 4096))
		}
	})
	return p
}

// spawn starts path with args in dir with a clean environment.
func spawn(name, dir, path string, args ...string) (*process, error) {
	cmd := exec.Command(path, args...)
	cmd.Dir = dir
	cmd.Env = childEnv()
	dieWithParent(cmd)
	return spawnCmd(name, cmd)
}

// spawnCmd starts cmd, capturing its output.
func spawnCmd(name string, cmd *exec.Cmd) (*process, error) {
	p := &process{name: name, cmd: cmd, stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, exited: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// waitReady waits until the process has printed its start-up banner.
func (p *process) waitReady() error {
	deadline := time.After(startTimeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !strings.Contains(p.stdout.String(), readyLine) {
		select {
		case <-p.exited:
			return fmt.Errorf("%s exited before it was ready (%v)\nstdout:\n%s\nstderr:\n%s", p.name, p.waitErr, p.stdout.String(), tail(p.stderr.String(), 4096))
		case <-deadline:
			return fmt.Errorf("%s not ready after %v\nstdout:\n%s\nstderr:\n%s", p.name, startTimeout, p.stdout.String(), tail(p.stderr.String(), 4096))
		case <-tick.C:
		}
	}
	return nil
}

// kill sends SIGKILL (on Unix), as a crash or `kill -9` would, and waits for the
// process to be gone. It is safe to call more than once.
func (p *process) kill() error {
	select {
	case <-p.exited:
		return nil
	default:
	}
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill %s: %w", p.name, err)
	}
	select {
	case <-p.exited:
		return nil
	case <-time.After(30 * time.Second):
		return fmt.Errorf("%s did not exit after SIGKILL", p.name)
	}
}

// childEnv is the test's environment without anything that would point a
// child at a real LM, a real Temporal or settings of the developer's shell.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "OPENAI_"), strings.HasPrefix(name, "TEMPORAL_"),
			strings.HasPrefix(name, "DSPY_"), name == "SIMLM":
			continue
		}
		env = append(env, kv)
	}
	return env
}

// cliResult is one finished CLI invocation.
type cliResult struct {
	stdout, stderr string
	code           int
}

func (r cliResult) String() string {
	return fmt.Sprintf("exit %d\n--- stdout ---\n%s\n--- stderr ---\n%s", r.code, r.stdout, tail(r.stderr, 4096))
}

// runCLI runs the starter binary to completion, killing it after timeout.
func runCLI(t *testing.T, timeout time.Duration, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binaries.starter, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = childEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	dieWithParent(cmd)
	err := cmd.Run()
	res := cliResult{stdout: stdout.String(), stderr: stderr.String()}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case ctx.Err() != nil:
		t.Fatalf("starter %s: still running after %v\n%s", strings.Join(args, " "), timeout, res)
	case errors.As(err, &exitErr):
		res.code = exitErr.ExitCode()
	default:
		t.Fatalf("starter %s: %v", strings.Join(args, " "), err)
	}
	return res
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	port, err := pickPort()
	require.NoError(t, err)
	return port
}

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	return freePort(t)
}

func pickPort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
