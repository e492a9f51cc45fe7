//go:build unix

package tests

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/serve"
)

// runtimeStats are the server's own Go runtime and process figures, as its
// /metrics reports them.
type runtimeStats struct {
	goroutines int
	rss        int64
}

func (r runtimeStats) String() string {
	return fmt.Sprintf("%d goroutines, %.1f MB RSS", r.goroutines, float64(r.rss)/(1<<20))
}

// scrapeRuntime reads go_goroutines and process_resident_memory_bytes from
// the server's /metrics.
func scrapeRuntime(t *testing.T, url string) runtimeStats {
	t.Helper()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(url + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var (
		st        runtimeStats
		seenG     bool
		seenRSS   bool
		sc        = bufio.NewScanner(resp.Body)
		parseLine = func(line, name string) (float64, bool) {
			v, ok := strings.CutPrefix(line, name+" ")
			if !ok {
				return 0, false
			}
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			require.NoError(t, err, "%s", line)
			return f, true
		}
	)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := parseLine(sc.Text(), "go_goroutines"); ok {
			st.goroutines, seenG = int(v), true
		}
		if v, ok := parseLine(sc.Text(), "process_resident_memory_bytes"); ok {
			st.rss, seenRSS = int64(v), true
		}
	}
	require.NoError(t, sc.Err())
	require.True(t, seenG && seenRSS, "/metrics exports go_goroutines and process_resident_memory_bytes")
	return st
}

// stalledConn is one slow client: a raw connection that sends part of a
// request and then stalls or trickles, and what became of it.
type stalledConn struct {
	closedByServer bool
	response       string
	after          time.Duration
	err            error
}

// slowClient opens a connection, writes head, then writes one byte of
// trickle every interval until the server closes the connection or
// clientLimit passes; it reports whether the server ended it.
func slowClient(addr, head string, trickle bool, interval, clientLimit time.Duration) stalledConn {
	start := time.Now()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return stalledConn{err: err}
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, head); err != nil {
		return stalledConn{err: err}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	if trickle {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				case <-time.After(interval):
				}
				if _, err := conn.Write([]byte(" ")); err != nil {
					return
				}
			}
		})
	}
	_ = conn.SetReadDeadline(start.Add(clientLimit))
	got, err := io.ReadAll(conn)
	close(done)
	wg.Wait()
	res := stalledConn{response: firstLine(string(got)), after: time.Since(start)}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		res.err = err
		return res
	}
	// EOF or a reset: the server ended the connection.
	res.closedByServer = true
	return res
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\r\n")
	return line
}

// postBody posts body and returns the status and response body.
func postBody(c *http.Client, url string, body []byte) reply {
	r := reply{start: time.Now()}
	resp, err := c.Post(url, "application/json", strings.NewReader(string(body)))
	if err != nil {
		r.err, r.end = err, time.Now()
		return r
	}
	defer resp.Body.Close()
	r.body, r.err = io.ReadAll(resp.Body)
	r.status, r.header, r.end = resp.StatusCode, resp.Header, time.Now()
	return r
}

func TestServeSlowClientsAndOversizedBodiesLeaveGoroutinesAndMemoryBounded(t *testing.T) {
	const (
		readHeader = 3 * time.Second
		read       = 4 * time.Second
		maxBody    = 4096
		stalled    = 200
		oversized  = 50
		normal     = 40
	)
	// The body limit is a config setting; the read timeouts come from the
	// flags, which override the file's server section.
	dir := serveDir(t, map[string]string{"serve.yaml": fmt.Sprintf(`server:
  max_concurrent: 2
  max_body_bytes: %d
  timeouts: {read_header: 1m, read: 1m}
models:
  sim: {model: simlm-1, base_url: sim}
programs:
  - {name: qa, spec: qa.yaml, model: sim}
`, maxBody)})
	s := startServe(t, "--config", filepath.Join(dir, "serve.yaml"), "--sim", "latency=5ms",
		"--read-header-timeout", readHeader.String(), "--read-timeout", read.String())
	target := s.url + "/v1/programs/qa"
	addr := strings.TrimPrefix(s.url, "http://")

	for i, r := range load(loadClient(4), 20, 4, func(int) string { return target }) {
		require.NoError(t, r.err, "warm-up %d", i)
		require.Equal(t, http.StatusOK, r.status, "warm-up %d: %s", i, r.body)
	}
	baseline := scrapeRuntime(t, s.url)

	// Half stall inside the headers, a quarter send headers and stall in the
	// body, a quarter trickle the body a byte at a time.
	heads := []struct {
		kind    string
		head    string
		trickle bool
	}{
		{"header stall", "POST /v1/programs/qa HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: appl", false},
		{"header stall", "POST /v1/programs/qa HTTP/1.1\r\nHost: " + addr + "\r\n", false},
		{"body stall", "POST /v1/programs/qa HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: application/json\r\nContent-Length: 2000\r\n\r\n{\"question\": \"", false},
		{"body trickle", "POST /v1/programs/qa HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: application/json\r\nContent-Length: 2000\r\n\r\n{\"question\": \"", true},
	}
	const clientLimit = 20 * time.Second
	slow := make([]stalledConn, stalled)
	var slowWG sync.WaitGroup
	for i := range slow {
		h := heads[i%len(heads)]
		slowWG.Go(func() { slow[i] = slowClient(addr, h.head, h.trickle, 250*time.Millisecond, clientLimit) })
	}
	// Let the slow clients connect and write their partial requests.
	time.Sleep(500 * time.Millisecond)

	big, err := json.Marshal(map[string]string{"question": strings.Repeat("a", 8*maxBody)})
	require.NoError(t, err)
	c := loadClient(10)
	bigReplies := make([]reply, oversized)
	normalReplies := make([]reply, normal)
	var wg sync.WaitGroup
	for i := range bigReplies {
		wg.Go(func() { bigReplies[i] = postBody(c, target, big) })
	}
	wg.Go(func() {
		copy(normalReplies, load(loadClient(8), normal, 8, func(int) string { return target }))
	})
	during := scrapeRuntime(t, s.url)
	wg.Wait()

	for i, r := range bigReplies {
		require.NoError(t, r.err, "oversized %d", i)
		require.Equal(t, http.StatusRequestEntityTooLarge, r.status, "oversized %d: %s", i, r.body)
		var body serve.ErrorBody
		require.NoError(t, json.Unmarshal(r.body, &body), "oversized %d: %s", i, r.body)
		assert.Equal(t, serve.CodeBodyTooLarge, body.Error.Code, "oversized %d", i)
	}
	for i, r := range normalReplies {
		require.NoError(t, r.err, "normal %d", i)
		assert.Equal(t, http.StatusOK, r.status, "normal %d while slow clients hold connections: %s", i, r.body)
	}

	slowWG.Wait()
	perKind := map[string]map[string]int{}
	var slowest time.Duration
	for i, sc := range slow {
		kind := heads[i%len(heads)].kind
		if perKind[kind] == nil {
			perKind[kind] = map[string]int{}
		}
		perKind[kind][sc.response]++
		slowest = max(slowest, sc.after)
		assert.True(t, sc.closedByServer, "%s connection %d not closed by the server within %v (%v)", kind, i, clientLimit, sc.err)
		// A request whose body never arrived never ran: it must not be
		// told it succeeded. The read timeout answers 408; a stall inside
		// the headers gets no answer at all.
		assert.NotContains(t, sc.response, " 2", "%s connection %d got %q", kind, i, sc.response)
		if kind != "header stall" {
			assert.Contains(t, sc.response, " 408 ", "%s connection %d got %q", kind, i, sc.response)
		}
	}
	// Let the server's connection goroutines and the runtime settle.
	time.Sleep(time.Second)
	after := scrapeRuntime(t, s.url)
	t.Logf("baseline %v; with %d slow clients open %v; after %v; slowest slow client closed after %v; responses by kind: %v",
		baseline, stalled, during, after, slowest.Round(time.Millisecond), perKind)

	assert.Greater(t, during.goroutines, baseline.goroutines+stalled/2, "the slow clients held server connections while measured")
	assert.LessOrEqual(t, after.goroutines, baseline.goroutines+50, "goroutines back near the baseline")
	assert.LessOrEqual(t, after.rss, 2*baseline.rss+50<<20, "RSS back near the baseline")
	assert.Equal(t, http.StatusOK, getStatus(t, s.url+"/health/live"))
	assert.Equal(t, 0, s.terminate(t), s.stderr.String())
}

func TestServeMemoryStaysFlatThroughAnLMErrorStorm(t *testing.T) {
	const (
		requests = 500
		clients  = 20
	)
	dir := serveDir(t, map[string]string{})
	s := startServe(t, "--spec", filepath.Join(dir, "qa.yaml"), "--name", "qa",
		"--lm-max-retries", "0", "--request-timeout", "500ms", "--max-concurrent", "16",
		"--sim", "latency=2ms,err500=0.5,err429=0.3,hang=0.1,hang_for=1s")
	target := s.url + "/v1/programs/qa"

	// Each round asks its own questions, so the storm finds nothing of the
	// warm-up in the LM cache.
	round := func(name string) map[int]int {
		c := loadClient(clients)
		replies := make([]reply, requests)
		var wg sync.WaitGroup
		for w := range clients {
			wg.Go(func() {
				for i := w; i < requests; i += clients {
					replies[i] = post(c, target, fmt.Sprintf("%s question %d?", name, i))
				}
			})
		}
		wg.Wait()
		counts := map[int]int{}
		for i, r := range replies {
			require.NoError(t, r.err, "%s request %d", name, i)
			counts[r.status]++
		}
		c.CloseIdleConnections()
		// Hung LM calls outlive their request by hang_for; let them end.
		time.Sleep(1500 * time.Millisecond)
		return counts
	}
	warmCounts := round("warm-up")
	warm := scrapeRuntime(t, s.url)
	stormCounts := round("storm")
	after := scrapeRuntime(t, s.url)
	t.Logf("after a warm-up of %d (%v): %v; after a storm of %d more (%v): %v", requests, warmCounts, warm, requests, stormCounts, after)

	for name, counts := range map[string]map[int]int{"warm-up": warmCounts, "storm": stormCounts} {
		assert.Greater(t, requests-counts[http.StatusOK], requests/2, "%s: most requests fail as the LM does", name)
	}
	assert.LessOrEqual(t, after.rss, warm.rss*3/2+30<<20, "RSS stays flat through the storm")
	assert.LessOrEqual(t, after.goroutines, warm.goroutines+50, "goroutines stay flat through the storm")
	assert.Equal(t, http.StatusOK, getStatus(t, s.url+"/health/live"))
	assert.Equal(t, 0, s.terminate(t), s.stderr.String())
}
