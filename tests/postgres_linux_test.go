package tests

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// postgresPackage is what to install for the PostgreSQL tests (Debian).
const postgresPackage = "postgresql"

// The scale-out scenario with the Temporal server persisted in PostgreSQL,
// as production runs it, instead of the embedded SQLite: three workers, one
// SIGKILLed mid-run, the same program at most 5% more LM requests.
func TestThreeWorkersOnAPostgreSQLBackedServerSurviveAWorkerKill(t *testing.T) {
	t.Parallel()
	url := startPostgres(t)
	port := freePort(t)
	srv := startProcess(t, "dev server on PostgreSQL", binaries.worker,
		"--dev-only", "--dev-postgres", url,
		"--port", strconv.Itoa(port), "--ui-port", "-1", "--log-level", "warn")
	require.NoError(t, srv.waitReady())
	runScaleOutKill(t, "127.0.0.1:"+strconv.Itoa(port), "e2e-scaleout-postgres")
}

// startPostgres runs a PostgreSQL server of the test's own, in a fresh data
// directory, on a loopback port with trust authentication for one
// superuser, and returns its URL. It is stopped (fast shutdown) and its
// directory removed when the test ends. The test is skipped when PostgreSQL
// is not installed. As root, the server runs as the postgres user the
// package creates, since PostgreSQL refuses to run as root.
func startPostgres(t *testing.T) string {
	t.Helper()
	bin, err := postgresBinDir()
	if err != nil {
		t.Skipf("PostgreSQL is not installed (%v): apt-get install -y %s", err, postgresPackage)
	}
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skipf("running as root and no postgres user to run PostgreSQL as (%v): apt-get install -y %s", err, postgresPackage)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}

	// Not t.TempDir: the server's user must own the directory.
	dir, err := os.MkdirTemp("", "durable-dspy-e2e-postgres-")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	data, sockets := filepath.Join(dir, "data"), filepath.Join(dir, "sockets")
	require.NoError(t, os.Mkdir(sockets, 0o755))
	if cred != nil {
		for _, d := range []string{dir, sockets} {
			require.NoError(t, os.Chown(d, int(cred.Uid), int(cred.Gid)))
		}
	}
	command := func(name string, args ...string) *exec.Cmd {
		cmd := exec.Command(filepath.Join(bin, name), args...)
		cmd.Dir = dir
		cmd.Env = append(childEnv(), "LC_ALL=C")
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Credential: cred}
		return cmd
	}

	const superuser = "temporal"
	out, err := command("initdb", "-D", data, "-U", superuser, "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync").CombinedOutput()
	require.NoError(t, err, "initdb:\n%s", out)

	port := freePort(t)
	p, err := spawnCmd("PostgreSQL", command("postgres", "-D", data, "-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="+sockets,
		// A test's data need not survive a machine crash.
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"))
	require.NoError(t, err)
	t.Cleanup(func() { stopPostgres(t, p) })
	require.NoError(t, waitPostgres(p), "PostgreSQL did not start")
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/temporal?sslmode=disable", superuser, port)
}

// postgresBinDir finds the server's programs: Debian keeps them out of
// $PATH, under /usr/lib/postgresql/VERSION/bin; elsewhere they are on it.
func postgresBinDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int {
		return postgresVersion(b) - postgresVersion(a)
	})
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	initdb, err := exec.LookPath("initdb")
	if err != nil {
		return "", errors.New("no initdb in /usr/lib/postgresql/*/bin or on $PATH")
	}
	return filepath.Dir(initdb), nil
}

// postgresVersion is the major version in a Debian bin directory's path.
func postgresVersion(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// waitPostgres waits until the server accepts connections.
func waitPostgres(p *process) error {
	deadline := time.After(startTimeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !strings.Contains(p.stderr.String(), "ready to accept connections") {
		select {
		case <-p.exited:
			return fmt.Errorf("PostgreSQL exited (%v):\n%s", p.waitErr, tail(p.stderr.String(), 4096))
		case <-deadline:
			return fmt.Errorf("PostgreSQL not ready after %v:\n%s", startTimeout, tail(p.stderr.String(), 4096))
		case <-tick.C:
		}
	}
	return nil
}

// stopPostgres asks the server for a fast shutdown, which ends its
// connections and removes its shared memory, and kills it if it has not
// stopped in 30 seconds.
func stopPostgres(t *testing.T, p *process) {
	if err := p.cmd.Process.Signal(syscall.SIGINT); err == nil {
		select {
		case <-p.exited:
			return
		case <-time.After(30 * time.Second):
		}
	}
	if err := p.kill(); err != nil {
		t.Error(err)
	}
}
