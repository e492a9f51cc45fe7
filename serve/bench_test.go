//go:build unix

package serve

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	runtimemetrics "runtime/metrics"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/lm"
	"github.com/durable-dspy/durable-dspy/internal/bench"
	"github.com/durable-dspy/durable-dspy/simlm"
)

// BenchmarkServe drives the handler with a closed-loop load generator
// (vegeta, one worker per client) against the simulated LM at a fixed
// latency, and the same load against the floor: a bare net/http handler that
// sends the same messages through openai-go with nothing else. It reports
//
//   - req/s and pct_ideal: throughput, and its share of clients/latency;
//   - ratio_floor: throughput over the floor's;
//   - cpu_ms/req and floor_cpu_ms/req: process CPU per request (the
//     simulated LM and the load generator run in this process too, so only
//     the difference, added_cpu_ms/req, is the handler's own cost);
//   - added_p99_ms and floor_added_p99_ms: p99 latency beyond the LM's, and
//     p99_over_floor_ms their difference; added_p50_ms and
//     floor_added_p50_ms the same for the median.
//
// Each level runs SERVE_BENCH_ROUNDS rounds (default 2) of one attack per
// side, SERVE_BENCH_SECONDS seconds (default 2) each, the sides alternating
// which goes first; every metric is the median of a side's rounds. Run it
// with -benchtime=1x.
func BenchmarkServe(b *testing.B) {
	seconds := 2
	if s, err := strconv.Atoi(os.Getenv("SERVE_BENCH_SECONDS")); err == nil && s > 0 {
		seconds = s
	}
	rounds := 2
	if s, err := strconv.Atoi(os.Getenv("SERVE_BENCH_ROUNDS")); err == nil && s > 0 {
		rounds = s
	}
	if err := bench.EnsureOpenFiles(8192); err != nil {
		b.Logf("open files: %v", err)
	}
	for _, level := range []struct {
		clients int
		latency time.Duration
	}{{100, 500 * time.Millisecond}, {256, 100 * time.Millisecond}} {
		b.Run(fmt.Sprintf("clients=%d/latency=%s", level.clients, level.latency), func(b *testing.B) {
			benchLevel(b, level.clients, rounds, level.latency, time.Duration(seconds)*time.Second)
		})
	}
}

func benchLevel(b *testing.B, clients, rounds int, latency, duration time.Duration) {
	sim := simlm.New(simlm.Config{Latency: simlm.FixedLatency(latency)})
	if err := sim.Start(); err != nil {
		b.Fatal(err)
	}
	defer sim.Close()
	client, err := lm.New(lm.Options{Model: simlm.DefaultModel, BaseURL: sim.URL(), APIKey: "bench", HTTPClient: &http.Client{Transport: bench.NewTransport(clients)}})
	if err != nil {
		b.Fatal(err)
	}
	sig := dspy.MustSignature("question -> answer")
	h, err := New(Options{
		MaxConcurrent: clients,
		LogWriter:     discard{},
		Programs:      []Program{{Name: "qa", LM: client, Source: SpecSource{Spec: qaSpec()}}},
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := h.Load(context.Background()); err != nil {
		b.Fatal(err)
	}
	served := httptest.NewServer(h)
	defer served.Close()
	defer h.Close()

	const questions = 64
	var examples []dspy.Example
	var targets, floorTargets []vegeta.Target
	for i := range questions {
		q := fmt.Sprintf("What is %d plus %d?", i, i+1)
		examples = append(examples, dspy.NewExample("question", q).WithInputs("question"))
		body := []byte(`{"question": "` + q + `"}`)
		targets = append(targets, vegeta.Target{Method: http.MethodPost, URL: served.URL + "/v1/programs/qa", Body: body})
		floorTargets = append(floorTargets, vegeta.Target{Method: http.MethodPost, URL: "", Body: []byte(strconv.Itoa(i))})
	}
	messages, err := bench.ChatMessages(sig, examples)
	if err != nil {
		b.Fatal(err)
	}
	floor := bench.NewFloor(sim.URL(), simlm.DefaultModel, "bench", bench.NewTransport(clients), messages)
	defer floor.Close()
	floorSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var i int
		_, _ = fmt.Fscan(r.Body, &i)
		if err := floor.Call(r.Context(), i); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{}`))
	}))
	defer floorSrv.Close()
	for i := range floorTargets {
		floorTargets[i].URL = floorSrv.URL
	}

	b.ResetTimer()
	// The sides take turns, the first round floor first and the next serve
	// first, so warm-up, heap growth and whatever else the machine runs in
	// the meantime fall on both alike; each metric is the median of a
	// side's rounds.
	var serves, floors []attackResult
	for round := range rounds {
		if round%2 == 0 {
			floors = append(floors, attack(b, "floor", floorTargets, clients, duration, floorSrv))
			serves = append(serves, attack(b, "serve", targets, clients, duration, served))
		} else {
			serves = append(serves, attack(b, "serve", targets, clients, duration, served))
			floors = append(floors, attack(b, "floor", floorTargets, clients, duration, floorSrv))
		}
	}
	b.StopTimer()
	serve, fl := medianResult(serves), medianResult(floors)
	for i := range serves {
		b.Logf("round %d: added p99 serve %.1f ms, floor %.1f ms; cpu/req serve %.3f ms, floor %.3f ms",
			i, float64(serves[i].p99-latency)/1e6, float64(floors[i].p99-latency)/1e6, serves[i].cpuPerReq, floors[i].cpuPerReq)
	}

	ideal := float64(clients) / latency.Seconds()
	b.ReportMetric(serve.rate, "req/s")
	b.ReportMetric(100*serve.rate/ideal, "pct_ideal")
	b.ReportMetric(serve.rate/fl.rate, "ratio_floor")
	b.ReportMetric(serve.cpuPerReq, "cpu_ms/req")
	b.ReportMetric(fl.cpuPerReq, "floor_cpu_ms/req")
	b.ReportMetric(serve.cpuPerReq-fl.cpuPerReq, "added_cpu_ms/req")
	b.ReportMetric(float64(serve.p99-latency)/1e6, "added_p99_ms")
	b.ReportMetric(float64(fl.p99-latency)/1e6, "floor_added_p99_ms")
	b.ReportMetric(float64(serve.p99-fl.p99)/1e6, "p99_over_floor_ms")
	b.ReportMetric(float64(serve.p50-latency)/1e6, "added_p50_ms")
	b.ReportMetric(float64(fl.p50-latency)/1e6, "floor_added_p50_ms")
	b.ReportMetric(h.log.droppedLines(), "log_dropped")
	b.ReportMetric(serve.heapPerInFlight/1024, "heap_kb/inflight")
	b.ReportMetric(fl.heapPerInFlight/1024, "floor_heap_kb/inflight")
	var failed, floorFailed int
	for i := range serves {
		failed += serves[i].failed
		floorFailed += floors[i].failed
	}
	if failed > 0 || floorFailed > 0 {
		b.Errorf("failed requests: serve %d, floor %d", failed, floorFailed)
	}
}

// medianResult takes each field's median over rounds separately (the median
// round by p99 need not be the median by rate).
func medianResult(rs []attackResult) attackResult {
	med := func(f func(attackResult) float64) float64 {
		vs := make([]float64, len(rs))
		for i, r := range rs {
			vs[i] = f(r)
		}
		slices.Sort(vs)
		if n := len(vs); n%2 == 0 {
			return (vs[n/2-1] + vs[n/2]) / 2
		}
		return vs[len(vs)/2]
	}
	return attackResult{
		rate:            med(func(r attackResult) float64 { return r.rate }),
		cpuPerReq:       med(func(r attackResult) float64 { return r.cpuPerReq }),
		p99:             time.Duration(med(func(r attackResult) float64 { return float64(r.p99) })),
		p50:             time.Duration(med(func(r attackResult) float64 { return float64(r.p50) })),
		heapPerInFlight: med(func(r attackResult) float64 { return r.heapPerInFlight }),
	}
}

type attackResult struct {
	rate, cpuPerReq float64
	p99, p50        time.Duration
	failed          int
	// heapPerInFlight is the peak live heap during the attack beyond the
	// idle heap before it, per request in flight (one per client). The
	// simulated LM and the load generator share the process, so only the
	// difference against the floor's figure belongs to the handler.
	heapPerInFlight float64
}

// attack runs a warm-up then a measured closed-loop attack with one worker
// per client on srv. It closes the connections its load generators opened
// when done, so no attack starts with another's idle connections (and their
// goroutines) still held by a server.
func attack(b *testing.B, name string, targets []vegeta.Target, clients int, duration time.Duration, srv *httptest.Server) attackResult {
	b.Helper()
	defer srv.CloseClientConnections()
	run := func(d time.Duration) vegeta.Metrics {
		a := vegeta.NewAttacker(vegeta.Workers(uint64(clients)), vegeta.MaxWorkers(uint64(clients)),
			vegeta.Connections(clients), vegeta.KeepAlive(true), vegeta.Timeout(time.Minute))
		var m vegeta.Metrics
		for res := range a.Attack(vegeta.NewStaticTargeter(targets...), vegeta.Rate{Freq: 0}, d, name) {
			m.Add(res)
		}
		m.Close()
		return m
	}
	run(time.Second)
	runtime.GC()
	idle := heapObjects()
	peak := idle
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				peak = max(peak, heapObjects())
			}
		}
	}()
	cpu0 := cpuTime()
	m := run(duration)
	cpu := cpuTime() - cpu0
	close(stop)
	<-sampled
	n := int(m.Requests)
	return attackResult{
		// Requests sent per second of attack: in a closed loop each worker
		// sends its next request when the last answered, so this is the
		// answer rate without the final wave's tail that Throughput adds.
		rate:      m.Rate,
		cpuPerReq: float64(cpu) / 1e6 / float64(max(n, 1)),
		p99:       m.Latencies.P99,
		p50:       m.Latencies.P50,
		failed:    n - m.StatusCodes["200"],

		heapPerInFlight: float64(peak-idle) / float64(clients),
	}
}

// heapObjects reads the bytes of live and not yet swept heap objects, without
// stopping the world as runtime.ReadMemStats would.
func heapObjects() uint64 {
	sample := []runtimemetrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	runtimemetrics.Read(sample)
	return sample[0].Value.Uint64()
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
