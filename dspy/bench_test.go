package dspy_test

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/evaluate"
	"github.com/durable-dspy/durable-dspy/dspy/lm"
	"github.com/durable-dspy/durable-dspy/internal/bench"
	"github.com/durable-dspy/durable-dspy/internal/testkit"
	"github.com/durable-dspy/durable-dspy/simlm"
)

// The benchmarks below compare the framework with a floor measured side by
// side in the same run: bare openai-go calls with the same messages to the
// same simulated LM, served from this process. They report their figures with
// b.ReportMetric and assert nothing about time; BENCHMARKS.md records them.

// benchSignature is the task of every benchmark: the simulated LM's
// arithmetic word problems.
var benchSignature = func() dspy.Signature {
	sig, err := dspy.ParseSignature("question -> answer")
	if err != nil {
		panic(err)
	}
	return sig
}()

// benchSetup starts a simulated LM with the given fixed latency and returns
// its URL, n examples, and the ChatAdapter messages a Predict sends for them.
func benchSetup(b *testing.B, latency time.Duration, n int) (string, []dspy.Example, [][]dspy.Message) {
	b.Helper()
	cfg := simlm.Config{Seed: 1}
	if latency > 0 {
		cfg.Latency = simlm.FixedLatency(latency)
	}
	srv := simlm.New(cfg)
	if err := srv.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = srv.Close() })
	examples := testkit.Arithmetic(1, n)
	msgs, err := bench.ChatMessages(benchSignature, examples)
	if err != nil {
		b.Fatal(err)
	}
	return srv.URL(), examples, msgs
}

// benchClient is the framework's LM client, on the floor's transport
// settings; the transport is returned so that its connections can be closed.
func benchClient(b *testing.B, url string, conns int) (*lm.Client, *http.Transport) {
	b.Helper()
	t := bench.NewTransport(conns)
	c, err := lm.New(lm.Options{Model: simlm.DefaultModel, BaseURL: url, APIKey: "bench", HTTPClient: &http.Client{Transport: t}})
	if err != nil {
		b.Fatal(err)
	}
	return c, t
}

func meanOf(xs []float64) float64 {
	var sum float64
	for _, x := range xs {
		sum += x
	}
	return sum / float64(len(xs))
}

func median(samples []time.Duration) time.Duration {
	s := slices.Clone(samples)
	slices.Sort(s)
	return bench.Percentile(s, 50)
}

// BenchmarkPredictOverhead measures one Predict call (format, call, parse)
// against one bare openai-go call at zero LM latency, alternating the two so
// that both see the same machine load. ns/op is one pair.
func BenchmarkPredictOverhead(b *testing.B) {
	url, examples, msgs := benchSetup(b, 0, 64)
	floor := bench.NewFloor(url, simlm.DefaultModel, "bench", bench.NewTransport(2), msgs)
	defer floor.Close()
	client, transport := benchClient(b, url, 2)
	defer transport.CloseIdleConnections()
	ctx := dspy.WithLM(context.Background(), client)
	predict := dspy.NewPredict(benchSignature)
	inputs := make([]dspy.Example, len(examples))
	for i, ex := range examples {
		inputs[i], _ = ex.Inputs()
	}
	// Warm both paths (connections, pools) outside the measurement.
	for i := range 20 {
		if err := floor.Call(ctx, i); err != nil {
			b.Fatal(err)
		}
		if _, err := predict.Call(ctx, inputs[i%len(inputs)]); err != nil {
			b.Fatal(err)
		}
	}
	var floorT, predictT []time.Duration
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		if err := floor.Call(ctx, i); err != nil {
			b.Fatal(err)
		}
		mid := time.Now()
		if _, err := predict.Call(ctx, inputs[i%len(inputs)]); err != nil {
			b.Fatal(err)
		}
		predictT = append(predictT, time.Since(mid))
		floorT = append(floorT, mid.Sub(start))
		i++
	}
	f, p := median(floorT), median(predictT)
	b.ReportMetric(float64(f.Microseconds()), "floor-p50-µs")
	b.ReportMetric(float64(p.Microseconds()), "predict-p50-µs")
	b.ReportMetric(float64(p)/float64(f), "predict/floor")
}

// throughputRounds is how many examples per concurrent slot
// BenchmarkEvaluateThroughput evaluates: enough, by default, that the start
// weighs little against the steady state. All c calls start at once, so
// their replies also arrive together and the slots stay bunched for several
// rounds (at c=256 here, six to eight) before their calls spread over the
// whole latency; until then every burst queues for the CPU. The last round
// adds one more spread-out drain. -rounds=4 and -rounds=16 show how much
// shorter runs lose to both.
var throughputRounds = flag.Int("rounds", 64, "examples per concurrent slot in BenchmarkEvaluateThroughput")

// BenchmarkEvaluateThroughput runs evaluate.Evaluate over -rounds examples
// per concurrent slot at 100 ms LM latency, and the floor's worker pool over
// the same calls, reporting calls/s, the share of the ideal (concurrency /
// latency) and the ratio to the floor, over the whole run and over its
// middle rounds (steady-%ideal, see bench.Completions.SteadyRate).
func BenchmarkEvaluateThroughput(b *testing.B) {
	const latency = 100 * time.Millisecond
	rounds := *throughputRounds
	for _, c := range []int{16, 64, 256, 1024} {
		b.Run(fmt.Sprintf("c=%d", c), func(b *testing.B) {
			if err := bench.EnsureOpenFiles(uint64(2*c + 1024)); err != nil {
				b.Fatal(err)
			}
			url, examples, msgs := benchSetup(b, latency, c*rounds)
			floor := bench.NewFloor(url, simlm.DefaultModel, "bench", bench.NewTransport(c), msgs)
			defer floor.Close()
			client, transport := benchClient(b, url, c)
			defer transport.CloseIdleConnections()
			ctx := dspy.WithLM(context.Background(), client)
			program := dspy.NewPredict(benchSignature)
			metric := evaluate.ExactMatch("answer")
			opts := evaluate.Options{Concurrency: c, MaxErrors: -1, Progress: evaluate.ProgressOff}
			// One warm-up of each opens the connections.
			if _, err := evaluate.Evaluate(ctx, program, examples[:c], metric, opts); err != nil {
				b.Fatal(err)
			}
			bench.RunParallel(ctx, c, c, floor.Call)

			var evalWall, floorWall time.Duration
			var evalSteady, floorSteady []float64
			for b.Loop() {
				floorDone := bench.NewCompletions(len(msgs))
				w, failed := bench.RunParallel(ctx, len(msgs), c, func(ctx context.Context, i int) error {
					err := floor.Call(ctx, i)
					floorDone.Done()
					return err
				})
				if failed > 0 {
					b.Fatalf("floor: %d calls failed", failed)
				}
				floorWall += w
				evalDone := bench.NewCompletions(len(examples))
				timed := func(ctx context.Context, gold dspy.Example, pred dspy.Prediction, trace *dspy.Trace) (evaluate.Score, error) {
					evalDone.Done()
					return metric(ctx, gold, pred, trace)
				}
				res, err := evaluate.Evaluate(ctx, program, examples, timed, opts)
				if err != nil {
					b.Fatal(err)
				}
				if res.Errors > 0 {
					b.Fatalf("evaluate: %d examples failed", res.Errors)
				}
				evalWall += res.Duration
				if e, ok := evalDone.SteadyRate(c); ok {
					f, _ := floorDone.SteadyRate(c)
					evalSteady, floorSteady = append(evalSteady, e), append(floorSteady, f)
				}
			}
			calls := float64(b.N * len(examples))
			evalRate, floorRate := calls/evalWall.Seconds(), calls/floorWall.Seconds()
			ideal := float64(c) / latency.Seconds()
			b.ReportMetric(evalRate, "calls/s")
			b.ReportMetric(floorRate, "floor-calls/s")
			b.ReportMetric(100*evalRate/ideal, "%ideal")
			b.ReportMetric(100*floorRate/ideal, "floor-%ideal")
			b.ReportMetric(100*evalRate/floorRate, "%floor")
			// The steady state leaves out the first round (every reply at
			// once) and the last (slots falling idle): the mean of the
			// iterations' rates over their middle rounds.
			if len(evalSteady) > 0 {
				b.ReportMetric(100*meanOf(evalSteady)/ideal, "steady-%ideal")
				b.ReportMetric(100*meanOf(floorSteady)/ideal, "floor-steady-%ideal")
			}
		})
	}
}

// Benchmark10kInFlight holds 10,000 Predict calls in flight at once against a
// simulated LM in this process (10 s latency, so all are open together) and
// compares the process's peak resident memory with the floor's 10,000 bare
// calls. Client and server share the process, so each connection has both
// ends here: over loopback TCP that is two sockets per call, and where the
// open-file limit cannot hold 20,000 sockets the connections are in-memory
// pipes instead (see bench.LocalServer). Run it with -benchtime=1x.
func Benchmark10kInFlight(b *testing.B) {
	const n = 10000
	const latency = 10 * time.Second
	examples := testkit.Arithmetic(1, 100)
	msgs, err := bench.ChatMessages(benchSignature, examples)
	if err != nil {
		b.Fatal(err)
	}
	inputs := make([]dspy.Example, len(examples))
	for i, ex := range examples {
		inputs[i], _ = ex.Inputs()
	}
	ctx := context.Background()
	// Each side gets its own server, closed before the other side runs, so
	// neither inherits the other's connections.
	measure := func(run func(srv *bench.LocalServer) (bench.MemorySample, error)) (bench.MemorySample, int64) {
		sim := simlm.New(simlm.Config{Seed: 1, Latency: simlm.FixedLatency(latency)})
		defer func() { _ = sim.Close() }()
		srv, err := bench.NewLocalServer(sim, n)
		if err != nil {
			b.Fatal(err)
		}
		defer func() { _ = srv.Close() }()
		b.Logf("transport: %s", srv.Transport)
		s, err := run(srv)
		if err != nil {
			b.Fatal(err)
		}
		return s, sim.Stats().MaxInFlight
	}
	var floorS, predictS bench.MemorySample
	var floorMax, predictMax int64
	for b.Loop() {
		floorS, floorMax = measure(func(srv *bench.LocalServer) (bench.MemorySample, error) {
			floor := bench.NewFloor(srv.URL, simlm.DefaultModel, "bench", srv.NewTransport(n), msgs)
			defer floor.Close()
			return bench.MeasureInFlight(ctx, n, floor.Call)
		})
		predictS, predictMax = measure(func(srv *bench.LocalServer) (bench.MemorySample, error) {
			transport := srv.NewTransport(n)
			defer transport.CloseIdleConnections()
			client, err := lm.New(lm.Options{Model: simlm.DefaultModel, BaseURL: srv.URL, APIKey: "bench", HTTPClient: &http.Client{Transport: transport}})
			if err != nil {
				return bench.MemorySample{}, err
			}
			cctx := dspy.WithLM(ctx, client)
			predict := dspy.NewPredict(benchSignature)
			return bench.MeasureInFlight(cctx, n, func(ctx context.Context, i int) error {
				_, err := predict.Call(ctx, inputs[i%len(inputs)])
				return err
			})
		})
	}
	b.ReportMetric(floorS.PeakMB, "floor-peak-MB")
	b.ReportMetric(predictS.PeakMB, "predict-peak-MB")
	b.ReportMetric(predictS.PeakMB/floorS.PeakMB, "peak-ratio")
	b.ReportMetric((predictS.PeakMB-predictS.BaselineMB)/(floorS.PeakMB-floorS.BaselineMB), "growth-ratio")
	b.ReportMetric(float64(min(floorMax, predictMax)), "min-max-in-flight")
}
