//go:build unix

package cli

import (
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestServeReloadsOnSIGHUPAndKeepsTheOldProgramWhenAReloadFails(t *testing.T) {
	dir := t.TempDir()
	specPath := writeFile(t, dir, "qa.yaml", qaSpec)
	state := stateFile(t, dir, "state.json", "First instructions.")
	s := startServe(t, nil, "--spec", specPath, "--state", state, "--name", "qa")
	first := listPrograms(t, s.url, "")["qa"].Origin.StateSHA256
	require.NotEmpty(t, first)

	stateFile(t, dir, "state.json", "Second instructions.")
	require.NoError(t, syscall.Kill(syscall.Getpid(), syscall.SIGHUP))
	var second string
	require.Eventually(t, func() bool {
		second = listPrograms(t, s.url, "")["qa"].Origin.StateSHA256
		return second != first
	}, 10*time.Second, 20*time.Millisecond, "SIGHUP swaps in the new state")
	require.Eventually(t, func() bool { return strings.Contains(s.stderr.String(), "msg=reloaded") }, 5*time.Second, 10*time.Millisecond)

	writeFile(t, dir, "state.json", "{not json")
	require.NoError(t, syscall.Kill(syscall.Getpid(), syscall.SIGHUP))
	require.Eventually(t, func() bool { return strings.Contains(s.stderr.String(), "reload failed") }, 10*time.Second, 10*time.Millisecond, s.stderr.String())
	assert.Equal(t, second, listPrograms(t, s.url, "")["qa"].Origin.StateSHA256, "a failed reload keeps the program it had")
	code, _, body := call(t, http.MethodPost, s.url+"/v1/programs/qa", "", `{"question": "still there?"}`)
	assert.Equal(t, http.StatusOK, code, string(body))
	assert.Equal(t, 0, s.stop(), s.stderr.String())
}
