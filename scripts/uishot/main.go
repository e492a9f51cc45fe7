// Command uishot runs a small optimization on durable-dspy's embedded
// Temporal dev server and saves screenshots of the run in the Temporal Web
// UI, taken with headless Chromium:
//
//	go run ./scripts/uishot               # writes docs/ui-workflow.png and docs/ui-activity.png
//	go run ./scripts/uishot --out shots
//
// By default it starts the dev server, its Web UI and a worker in this
// process, on a fresh SQLite database in a temporary directory, with the
// simulated LM, so it needs no network and leaves nothing behind. To
// photograph a server that is already running (`worker --dev` in another
// shell), attach to it:
//
//	go run ./scripts/uishot --address 127.0.0.1:7233 --ui-url http://127.0.0.1:8233
//
// A worker must then be polling the task queue (--task-queue).
//
// The run is bootstrap_random_search with 2 candidate programs on a
// "question -> answer" Predict program given inline, with small inline
// train and validation sets of simulated arithmetic word problems and the
// exact_match metric. The screenshots are:
//
//   - ui-workflow.png: the run's page, with its current details (optimizer,
//     state, best score, LM usage) and its search attributes (DspyOptimizer,
//     DspyProgram, DspyBestScore, DspyStatus) opened;
//   - ui-activity.png: a completed dspy.RunBatch activity's event, whose
//     result shows each example's LM messages and reply.
//
// It needs Debian's chromium package (apt-get install chromium); --chromium
// names another Chrome or Chromium binary. --keep leaves the server running
// after the screenshots, until Ctrl+C, to look around in a browser.
//
// Exit status: 0 on success, 1 on failure, 2 on bad usage.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/chromedp/chromedp"
	enums "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/durable-dspy/durable-dspy/activities"
	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/optimize"
	"github.com/durable-dspy/durable-dspy/simlm"
	"github.com/durable-dspy/durable-dspy/worker/lmconfig"
	"github.com/durable-dspy/durable-dspy/worker/temporalconn"
	"github.com/durable-dspy/durable-dspy/worker/workerlib"
	"github.com/durable-dspy/durable-dspy/workflows"
)

// Screenshot file names, inside --out.
const (
	workflowShot = "ui-workflow.png"
	historyShot  = "ui-history.png"
	activityShot = "ui-activity.png"
	resultShot   = "ui-activity-result.png"
)

// renderTimeout bounds the wait for one page to show what it should, and
// settle is how long a page is left to finish drawing before its picture.
const (
	renderTimeout = time.Minute
	settle        = time.Second
)

// chromiumNames are the binaries looked for on PATH, Debian's first.
var chromiumNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"}

type config struct {
	out       string
	uiURL     string
	address   string
	namespace string
	taskQueue string
	chromium  string
	width     int
	height    int
	timeout   time.Duration
	keep      bool
	verbose   bool
}

// usageError is a bad command line, exit status 2.
type usageError struct{ error }

func main() {
	var c config
	fs := flag.NewFlagSet("uishot", flag.ContinueOnError)
	fs.StringVar(&c.out, "out", "docs", "directory the screenshots are written to")
	fs.StringVar(&c.uiURL, "ui-url", "", "Web UI of an already running Temporal to attach to (default: start an embedded dev server)")
	fs.StringVar(&c.address, "address", "", "frontend host:port of an already running Temporal to attach to (default 127.0.0.1:7233 with --ui-url)")
	fs.StringVar(&c.namespace, "namespace", temporalconn.DefaultNamespace, "Temporal namespace, when attaching")
	fs.StringVar(&c.taskQueue, "task-queue", temporalconn.DefaultTaskQueue, "task queue a worker polls, when attaching")
	fs.StringVar(&c.chromium, "chromium", "", "Chrome or Chromium binary (default: chromium on PATH)")
	fs.IntVar(&c.width, "width", 1600, "browser window width in CSS pixels")
	fs.IntVar(&c.height, "height", 1200, "browser window height in CSS pixels")
	fs.DurationVar(&c.timeout, "timeout", 5*time.Minute, "bound on the whole run")
	fs.BoolVar(&c.keep, "keep", false, "keep the embedded server running after the screenshots, until Ctrl+C")
	fs.BoolVar(&c.verbose, "v", false, "log the dev server's and worker's messages")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: go run ./scripts/uishot [flags]\n\nRun a small optimization and screenshot it in the Temporal Web UI.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		os.Exit(2)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "uishot: unexpected argument %q: it takes flags only\n", fs.Arg(0))
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, c, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "uishot:", err)
		var u usageError
		if errors.As(err, &u) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, c config, stdout io.Writer) error {
	if (c.uiURL == "") != (c.address == "") && c.uiURL == "" {
		return usageError{errors.New("--address needs --ui-url: the screenshots are taken of that server's Web UI")}
	}
	if c.width < 400 || c.height < 300 {
		return usageError{fmt.Errorf("--width %d --height %d: too small to read", c.width, c.height)}
	}
	// Chromium first: without it nothing else is worth starting.
	browser, err := findChromium(c.chromium)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(c.out, 0o755); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	tc, uiURL, taskQueue, namespace, cleanup, err := connect(ctx, c, stdout)
	if err != nil {
		return err
	}
	defer cleanup()

	id := "uishot-" + time.Now().UTC().Format("20060102-150405")
	fmt.Fprintf(stdout, "Optimizing: workflow %s on task queue %s...\n", id, taskQueue)
	wf, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:        id,
		TaskQueue: taskQueue,
		// Shown on the run's User Metadata tab.
		StaticSummary: staticSummary,
		StaticDetails: staticDetails,
	}, workflows.OptimizeWorkflowName, optimizeInput())
	if err != nil {
		return fmt.Errorf("start workflow: %w", err)
	}
	var res workflows.OptimizeResult
	if err := wf.Get(ctx, &res); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("workflow %s did not finish within --timeout %v (is a worker polling task queue %q?)", id, c.timeout, taskQueue)
		}
		return fmt.Errorf("workflow %s: %w", id, err)
	}
	fmt.Fprintf(stdout, "Finished: baseline %.2f, optimized %.2f, %d LM calls\n", res.BaselineScore, res.Score, res.Spent.Calls)

	// The run that finished is the last of its continue-as-new chain.
	desc, err := tc.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		return fmt.Errorf("describe workflow %s: %w", id, err)
	}
	runID := desc.GetWorkflowExecutionInfo().GetExecution().GetRunId()
	p, err := batchEventWithCalls(ctx, tc, id, runID)
	if err != nil {
		return err
	}
	p.base = strings.TrimRight(uiURL, "/") + "/namespaces/" + url.PathEscape(namespace) +
		"/workflows/" + url.PathEscape(id) + "/" + url.PathEscape(runID)

	fmt.Fprintln(stdout, "Taking screenshots with", browser+"...")
	shots := p.shots()
	if err := screenshot(ctx, browser, c, shots); err != nil {
		return err
	}
	for _, s := range shots {
		fmt.Fprintf(stdout, "Wrote %s: %s\n", filepath.Join(c.out, s.name), s.what)
	}
	if c.keep {
		fmt.Fprintf(stdout, "Web UI: %s\nPress Ctrl+C to stop.\n", p.base+"/history")
		<-ctx.Done()
	}
	return nil
}

// findChromium returns the browser binary to drive, or an error saying which
// package to install.
func findChromium(name string) (string, error) {
	if name != "" {
		p, err := exec.LookPath(name)
		if err != nil {
			return "", usageError{fmt.Errorf("--chromium %s: %w", name, err)}
		}
		return p, nil
	}
	for _, n := range chromiumNames {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	return "", errors.New("Chromium not found on PATH: install Debian's chromium package (apt-get install chromium), or name a Chrome binary with --chromium")
}

// connect starts the embedded dev server and a worker, or dials the server
// named on the command line. cleanup stops whatever it started.
func connect(ctx context.Context, c config, stdout io.Writer) (_ client.Client, uiURL, taskQueue, namespace string, cleanup func(), err error) {
	if c.uiURL != "" {
		address := c.address
		if address == "" {
			address = temporalconn.DefaultAddress
		}
		o := temporalconn.DefaultOptions()
		o.Address, o.Namespace, o.TaskQueue = address, c.namespace, c.taskQueue
		tc, err := temporalconn.Dial(ctx, o, nil)
		if err != nil {
			return nil, "", "", "", nil, err
		}
		return tc, c.uiURL, c.taskQueue, c.namespace, tc.Close, nil
	}

	dir, err := os.MkdirTemp("", "uishot-")
	if err != nil {
		return nil, "", "", "", nil, err
	}
	level := slog.LevelWarn
	if c.verbose {
		level = slog.LevelInfo
	}
	o := workerlib.Options{
		Temporal: temporalconn.Options{Dev: true, DevDB: filepath.Join(dir, "temporal.db"), DevPort: 0, DevUIPort: 0},
		LM:       lmconfig.Options{BaseURL: lmconfig.SimulatedBaseURL, MaxRetries: lmconfig.DefaultRetries},
		Logger:   slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})),
	}
	fmt.Fprintln(stdout, "Starting the embedded Temporal dev server, its Web UI and a worker...")
	w, err := workerlib.Start(ctx, o)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, "", "", "", nil, fmt.Errorf("start dev server and worker: %w", err)
	}
	fmt.Fprintf(stdout, "Web UI at %s, LM: %s\n", w.UIURL(), w.LMDescription())
	cleanup = func() {
		if err := w.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "uishot: stop worker:", err)
		}
		_ = os.RemoveAll(dir)
	}
	return w.Client(), w.UIURL(), w.TaskQueue(), w.Namespace(), cleanup, nil
}

// The run's static summary and details (Markdown), which a person sees on
// its User Metadata tab.
const (
	staticSummary = "bootstrap_random_search of question -> answer on arithmetic word problems"
	staticDetails = "Started by `scripts/uishot` on the simulated LM.\n\n" +
		"- program: `predict`, signature `question -> answer`\n" +
		"- optimizer: `bootstrap_random_search`, 2 candidate programs\n" +
		"- trainset: 8 examples, valset: 6 examples\n" +
		"- metric: `exact_match`"
)

// optimizeInput is the small optimization the screenshots show.
func optimizeInput() workflows.OptimizeInput {
	examples := func(seed int64, n int) []dspy.Example {
		var out []dspy.Example
		for _, ex := range simlm.ArithmeticDataset(seed, n) {
			out = append(out, dspy.NewExample("question", ex.Question, "answer", ex.Answer))
		}
		return out
	}
	return workflows.OptimizeInput{
		Optimizer: "bootstrap_random_search",
		Params:    json.RawMessage(`{"num_candidate_programs": 2, "max_bootstrapped_demos": 2, "max_labeled_demos": 2}`),
		Program:   activities.ProgramRef{Spec: json.RawMessage(`{"module":"predict","signature":"question -> answer"}`)},
		Trainset:  activities.DatasetRef{Examples: examples(1, 8), InputKeys: []string{"question"}},
		Valset:    &activities.DatasetRef{Examples: examples(2, 6), InputKeys: []string{"question"}},
		Metric:    "exact_match",
		// Small batches keep each activity's result short enough to read.
		Execution: workflows.Execution{BatchSize: 2},
	}
}

// batchEventWithCalls finds the first completed dspy.RunBatch activity whose
// result records LM calls.
func batchEventWithCalls(ctx context.Context, tc client.Client, id, runID string) (page, error) {
	type activity struct{ name, summary string }
	scheduled := map[int64]activity{}
	iter := tc.GetWorkflowHistory(ctx, id, runID, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		ev, err := iter.Next()
		if err != nil {
			return page{}, fmt.Errorf("history of %s: %w", id, err)
		}
		if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil {
			var summary string
			if s := ev.GetUserMetadata().GetSummary(); s != nil {
				_ = converter.GetDefaultDataConverter().FromPayload(s, &summary)
			}
			scheduled[ev.GetEventId()] = activity{a.GetActivityType().GetName(), summary}
			continue
		}
		a := ev.GetActivityTaskCompletedEventAttributes()
		if a == nil || scheduled[a.GetScheduledEventId()].name != activities.RunBatchName {
			continue
		}
		payloads := a.GetResult().GetPayloads()
		if len(payloads) == 0 {
			continue
		}
		var out activities.RunBatchOutput
		if err := json.Unmarshal(payloads[0].GetData(), &out); err != nil {
			return page{}, fmt.Errorf("event %d: %s result: %w", ev.GetEventId(), activities.RunBatchName, err)
		}
		if hasCalls(out.Outcomes) {
			s := scheduled[a.GetScheduledEventId()]
			if s.summary == "" {
				return page{}, fmt.Errorf("event %d: the %s activity has no summary", a.GetScheduledEventId(), activities.RunBatchName)
			}
			return page{scheduled: a.GetScheduledEventId(), completed: ev.GetEventId(), summary: s.summary}, nil
		}
	}
	return page{}, fmt.Errorf("workflow %s has no completed %s activity whose result records LM calls", id, activities.RunBatchName)
}

func hasCalls(outcomes []optimize.Outcome) bool {
	for _, o := range outcomes {
		for _, c := range o.Calls {
			if len(c.Messages) > 0 && len(c.Replies) > 0 {
				return true
			}
		}
	}
	return false
}

// page is one run's pages in the Web UI.
type page struct {
	base      string // .../namespaces/NS/workflows/ID/RUN
	scheduled int64  // the dspy.RunBatch activity's ActivityTaskScheduled event
	completed int64  // and its ActivityTaskCompleted event
	summary   string // the activity's summary
}

// shot is one screenshot: take drives the browser and returns the picture.
type shot struct {
	name string
	what string
	url  string
	take func(ctx context.Context, t *chromedp.Target) (image.Image, error)
}

func (p page) shots() []shot {
	return []shot{
		{
			name: workflowShot,
			what: "the run's summary, current details and search attributes",
			url:  p.base + "/user-metadata",
			take: func(ctx context.Context, t *chromedp.Target) (image.Image, error) {
				return workflowPicture(ctx, t, p.base)
			},
		},
		{
			name: historyShot,
			what: "the event history, compact, with each activity's summary",
			url:  p.base + "/history",
			take: func(ctx context.Context, t *chromedp.Target) (image.Image, error) {
				return historyPicture(ctx, t, p)
			},
		},
		{
			name: activityShot,
			what: "a dspy.RunBatch activity's events: summary, input and result",
			url:  fmt.Sprintf("%s/history/events/%d", p.base, p.completed),
			take: func(ctx context.Context, t *chromedp.Target) (image.Image, error) {
				return activityPicture(ctx, t, p, false)
			},
		},
		{
			name: resultShot,
			what: "that activity's result opened full size: each example's LM messages and reply",
			url:  fmt.Sprintf("%s/history/events/%d", p.base, p.completed),
			take: func(ctx context.Context, t *chromedp.Target) (image.Image, error) {
				return activityPicture(ctx, t, p, true)
			},
		},
	}
}

// screenshot drives one headless Chromium through the shots and writes them
// as PNG files in c.out.
func screenshot(ctx context.Context, browser string, c config, shots []shot) error {
	profile, err := os.MkdirTemp("", "uishot-chromium-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(profile)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(browser),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(profile),
		// Without these Chromium reaches for Google's services, which a
		// machine without internet refuses in bulk, slowing every page.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.WindowSize(c.width, c.height),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(int64(c.width), int64(c.height))); err != nil {
		return fmt.Errorf("start %s: %w", browser, err)
	}
	for _, s := range shots {
		img, err := chromedp.Run(bctx, chromedp.Action[image.Image](s.take))
		if err != nil {
			return fmt.Errorf("%s (%s): %w", s.name, s.url, err)
		}
		if err := writePNG(filepath.Join(c.out, s.name), img); err != nil {
			return err
		}
	}
	return nil
}

// workflowPicture stacks the run's User Metadata tab (summary, details,
// current details) over its Search Attributes tab, each cut below its panel.
func workflowPicture(ctx context.Context, t *chromedp.Target, base string) (image.Image, error) {
	if err := open(ctx, t, base+"/user-metadata", "Current Details"); err != nil {
		return nil, err
	}
	// The summary, details and current details are Markdown drawn in iframes.
	drawn := func(id, text string) string {
		return fmt.Sprintf(`(() => { const f = document.getElementById(%q); return !!f && !!f.contentDocument && !!f.contentDocument.body && f.contentDocument.body.innerText.includes(%q); })()`, id, text)
	}
	for _, w := range [][2]string{
		{"user-metadata-summary", staticSummary},
		{"user-metadata-details", "exact_match"},
		{"user-metadata-current-details", "best score"},
	} {
		if err := waitFor(ctx, t, drawn(w[0], w[1]), fmt.Sprintf("%q in #%s", w[1], w[0])); err != nil {
			return nil, err
		}
	}
	metaBottom, err := eval[float64](ctx, t, `(() => {
		const h = [...document.querySelectorAll("h3")].find(e => e.innerText.trim() === "Current Details");
		let p = h;
		while (p && !p.innerText.includes("Summary")) p = p.parentElement;
		return (p || h).getBoundingClientRect().bottom;
	})()`)
	if err != nil {
		return nil, err
	}
	meta, err := capture(ctx, t)
	if err != nil {
		return nil, err
	}
	if err := open(ctx, t, base+"/search-attributes", "DspyBestScore"); err != nil {
		return nil, err
	}
	bounds, err := eval[[]float64](ctx, t, `(() => {
		const tabs = document.querySelector("[role=tablist]");
		const h = [...document.querySelectorAll("h3")].find(e => e.innerText.trim() === "Search Attributes");
		let p = h;
		while (p && !p.querySelector(".cm-editor")) p = p.parentElement;
		const r = tabs.getBoundingClientRect();
		return [r.top, (p || h).getBoundingClientRect().bottom, r.left];
	})()`)
	if err != nil {
		return nil, err
	}
	attrs, err := capture(ctx, t)
	if err != nil {
		return nil, err
	}
	const margin = 24
	// The second part leaves out the navigation column the first one shows.
	return stack(
		crop(meta, 0, 0, int(metaBottom)+margin),
		crop(attrs, int(bounds[2])-margin, int(bounds[0])-margin/2, int(bounds[1])+margin),
	), nil
}

// historyPicture shows the event history in its compact form, one row per
// activity with its summary, scrolled to the table.
func historyPicture(ctx context.Context, t *chromedp.Target, p page) (image.Image, error) {
	if err := open(ctx, t, p.base+"/history", "Event History", activities.RunBatchName); err != nil {
		return nil, err
	}
	if _, err := eval[bool](ctx, t, `(() => {
		const b = [...document.querySelectorAll("button, a")].find(e => e.innerText.trim() === "Compact");
		if (!b) throw new Error("no Compact button on the history page");
		b.click();
		return true;
	})()`); err != nil {
		return nil, err
	}
	// The compact rows show each activity's summary, drawn in an iframe.
	summaries := fmt.Sprintf(`(() => {
		const texts = [...document.querySelectorAll("tr iframe")].map(f => f.contentDocument && f.contentDocument.body ? f.contentDocument.body.innerText.trim() : "");
		return texts.length > 0 && texts.every(s => s !== "") && texts.includes(%q);
	})()`, p.summary)
	if err := waitFor(ctx, t, summaries, "the compact history's activity summaries"); err != nil {
		return nil, err
	}
	if err := scrollTo(ctx, t, `[...document.querySelectorAll("h1, h2, h3, h4, span, div")].filter(e => e.innerText && e.innerText.trim() === "Event History").pop()`); err != nil {
		return nil, err
	}
	return capture(ctx, t)
}

// activityPicture shows a batch activity's events, scrolled to its
// scheduled event, or with expanded its result opened full size.
func activityPicture(ctx context.Context, t *chromedp.Target, p page, expanded bool) (image.Image, error) {
	url := fmt.Sprintf("%s/history/events/%d", p.base, p.completed)
	if err := open(ctx, t, url, p.summary, "Activity Task Completed"); err != nil {
		return nil, err
	}
	// The result is the last code block; its buttons (copy, expand) are
	// drawn once it has rendered.
	lastBlock := `(() => { const eds = [...document.querySelectorAll(".cm-editor")]; return eds[eds.length - 1]; })()`
	if err := waitFor(ctx, t, `(() => { const e = `+lastBlock+`; return !!e && !!e.parentElement.parentElement.querySelector("button[type=button]"); })()`, "the result's expand button"); err != nil {
		return nil, err
	}
	if !expanded {
		heading := fmt.Sprintf(`[...document.querySelectorAll("a")].find(e => e.textContent.trim() === "%d" && e.parentElement.textContent.includes("Activity Task Scheduled"))`, p.scheduled)
		if err := scrollTo(ctx, t, heading); err != nil {
			return nil, err
		}
		return capture(ctx, t)
	}
	if _, err := eval[bool](ctx, t, `(() => { `+lastBlock+`.parentElement.parentElement.querySelector("button[type=button]").click(); return true; })()`); err != nil {
		return nil, err
	}
	if err := waitFor(ctx, t, `(() => { const r = `+lastBlock+`.getBoundingClientRect(); return r.top === 0 && r.width === window.innerWidth; })()`, "the result opened full size"); err != nil {
		return nil, err
	}
	return capture(ctx, t)
}

// open navigates to url and waits until the page shows every one of texts.
func open(ctx context.Context, t *chromedp.Target, url string, texts ...string) error {
	if _, err := chromedp.Navigate(url)(ctx, t); err != nil {
		return err
	}
	for _, s := range texts {
		// Markdown (summaries, details) is drawn in same-origin iframes.
		js := fmt.Sprintf(`(() => {
			const docs = [document, ...[...document.querySelectorAll("iframe")].map(f => f.contentDocument)];
			return docs.some(d => !!d && !!d.body && d.body.innerText.includes(%q));
		})()`, s)
		if err := waitFor(ctx, t, js, fmt.Sprintf("%q", s)); err != nil {
			return err
		}
	}
	return nil
}

// waitFor polls the JavaScript expression js until it is true.
func waitFor(ctx context.Context, t *chromedp.Target, js, what string) error {
	ctx, cancel := context.WithTimeout(ctx, renderTimeout)
	defer cancel()
	for {
		if ok, err := chromedp.Evaluate[bool](js)(ctx, t); err == nil && ok {
			return nil
		}
		select {
		case <-ctx.Done():
			if text, err := eval[string](context.WithoutCancel(ctx), t, `document.body ? document.body.innerText.slice(0, 2000) : ""`); err == nil && os.Getenv("UISHOT_DEBUG") != "" {
				fmt.Fprintf(os.Stderr, "----- page text -----\n%s\n", text)
			}
			return fmt.Errorf("the page never showed %s within %v", what, renderTimeout)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// scrollTo scrolls the UI's content pane so that the element the
// expression el finds sits just below the page's top bar.
func scrollTo(ctx context.Context, t *chromedp.Target, el string) error {
	_, err := eval[bool](ctx, t, `(() => {
		const el = `+el+`;
		if (!el) throw new Error("nothing to scroll to");
		const pane = document.getElementById("content-wrapper") || document.scrollingElement;
		pane.scrollTop += el.getBoundingClientRect().top - 64;
		return true;
	})()`)
	return err
}

// eval evaluates js in the page.
func eval[T any](ctx context.Context, t *chromedp.Target, js string) (T, error) {
	return chromedp.Evaluate[T](js)(ctx, t)
}

// capture waits for transitions and late fetches to settle, then takes the
// viewport's picture.
func capture(ctx context.Context, t *chromedp.Target) (image.Image, error) {
	if _, err := chromedp.Sleep(settle)(ctx, t); err != nil {
		return nil, err
	}
	b, err := chromedp.CaptureScreenshot()(ctx, t)
	if err != nil {
		return nil, err
	}
	return png.Decode(bytes.NewReader(b))
}

// crop keeps the part of img right of left and from top to bottom, clamped
// to it; the part keeps its coordinates.
func crop(img image.Image, left, top, bottom int) image.Image {
	r := img.Bounds()
	left = max(r.Min.X, r.Min.X+left)
	top, bottom = max(r.Min.Y, r.Min.Y+top), min(r.Max.Y, r.Min.Y+bottom)
	if bottom <= top || left >= r.Max.X {
		return img
	}
	return img.(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(image.Rect(left, top, r.Max.X, bottom))
}

// stack draws the pictures one under the other, each at its own horizontal
// place on the page's background, with a rule between them.
func stack(imgs ...image.Image) image.Image {
	const rule = 3
	w, h := 0, 0
	for _, img := range imgs {
		w = max(w, img.Bounds().Max.X)
		h += img.Bounds().Dy() + rule
	}
	out := image.NewRGBA(image.Rect(0, 0, w, h-rule))
	draw.Draw(out, out.Bounds(), image.NewUniform(color.RGBA{0x9c, 0xa3, 0xaf, 0xff}), image.Point{}, draw.Src)
	y := 0
	for _, img := range imgs {
		b := img.Bounds()
		part := image.Rect(0, y, w, y+b.Dy())
		draw.Draw(out, part, image.NewUniform(color.RGBA{0xf8, 0xfa, 0xfc, 0xff}), image.Point{}, draw.Src)
		draw.Draw(out, image.Rect(b.Min.X, y, b.Max.X, y+b.Dy()), img, b.Min, draw.Src)
		y += b.Dy() + rule
	}
	return out
}

func writePNG(path string, img image.Image) error {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}
