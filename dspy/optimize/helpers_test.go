package optimize

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/dspytest"
	"github.com/durable-dspy/durable-dspy/dspy/evaluate"
)

// qaExamples returns n examples "q<i>" -> "a<i>" with the question marked as input.
func qaExamples(n int) []dspy.Example {
	out := make([]dspy.Example, n)
	for i := range out {
		out[i] = dspy.NewExample("question", fmt.Sprintf("q%d", i), "answer", fmt.Sprintf("a%d", i)).WithInputs("question")
	}
	return out
}

// twoPredictorState is a student with predictors "first" and "second".
func twoPredictorState() dspy.ProgramState {
	first := dspy.NewPredict(dspy.MustSignature("question -> draft"))
	second := dspy.NewPredict(dspy.MustSignature("question, draft -> answer"))
	return dspy.StateOf(dspy.ModuleFunc{Named: []dspy.NamedPredictor{{Name: "first", Predictor: first}, {Name: "second", Predictor: second}}})
}

// fakeEngine answers batches from a scoring function, with a two-step trace
// per run, and records what it was asked.
type fakeEngine struct {
	// succeed decides an example's score by its ID and the batch's rollout.
	succeed func(id, rollout int) bool
	// fail makes an example's run fail.
	fail func(id int) bool
	// onCheckpoint answers checkpoints (nil: go on).
	onCheckpoint func(n int, cp Checkpoint) error
	// prompt answers Prompt calls.
	prompt func(call PromptCall) []dspy.Example

	mu          sync.Mutex
	batches     []Batch
	prompts     []PromptCall
	checkpoints []Checkpoint
}

func (f *fakeEngine) Run(_ context.Context, b Batch) ([]Outcome, error) {
	f.mu.Lock()
	f.batches = append(f.batches, b)
	f.mu.Unlock()
	outs := make([]Outcome, len(b.Examples))
	for i, ex := range b.Examples {
		id := b.IDs[i]
		q := ex.GetString("question")
		draft := fmt.Sprintf("d%d-r%d", id, b.Rollout)
		o := Outcome{ID: id, Prediction: dspy.NewExample("answer", "x")}
		if f.fail != nil && f.fail(id) {
			o.Error = "boom"
			outs[i] = o
			continue
		}
		if f.succeed(id, b.Rollout) {
			o.Score = 1
		}
		if b.Trace {
			o.Trace = []TraceStep{
				{Predictor: "first", Inputs: dspy.NewExample("question", q), Outputs: dspy.NewExample("draft", draft)},
				{Predictor: "second", Inputs: dspy.NewExample("question", q, "draft", draft), Outputs: dspy.NewExample("answer", "x")},
			}
		}
		outs[i] = o
	}
	return outs, nil
}

func (f *fakeEngine) Prompt(_ context.Context, call PromptCall) ([]dspy.Example, error) {
	f.mu.Lock()
	f.prompts = append(f.prompts, call)
	f.mu.Unlock()
	return f.prompt(call), nil
}

func (f *fakeEngine) Checkpoint(_ context.Context, cp Checkpoint) error {
	f.mu.Lock()
	f.checkpoints = append(f.checkpoints, cp)
	n := len(f.checkpoints)
	f.mu.Unlock()
	if f.onCheckpoint != nil {
		return f.onCheckpoint(n, cp)
	}
	return nil
}

// demoQuestions lists a predictor's demo questions (and drafts, for bootstrapped demos).
func demoQuestions(st dspy.ProgramState, name string) []string {
	ps, _ := st.Get(name)
	var out []string
	for _, d := range ps.Demos {
		s := d.GetString("question")
		if d.Has("augmented") {
			s += "+" + d.GetString("draft")
		}
		out = append(out, s)
	}
	return out
}

// arithmetic builds "What is A+B?" examples.
func arithmetic(n, offset int) []dspy.Example {
	out := make([]dspy.Example, n)
	for i := range out {
		a, b := i+offset, 2*i+1
		out[i] = dspy.NewExample("question", fmt.Sprintf("What is %d+%d?", a, b), "answer", strconv.Itoa(a+b)).WithInputs("question")
	}
	return out
}

var questionRE = regexp.MustCompile(`\[\[ ## question ## \]\]\n(What is (\d+)\+(\d+)\?)`)

// arithmeticLM answers the last question of a prompt correctly when the
// prompt carries demos, when a fresh sample is asked for, or for one question
// in three; otherwise it is off by one. It is a pure function of the request.
func arithmeticLM() *dspytest.FuncLM {
	return &dspytest.FuncLM{Reply: func(_ context.Context, req dspy.LMRequest) (string, error) {
		last := req.Messages[len(req.Messages)-1].Content
		m := questionRE.FindAllStringSubmatch(last, -1)
		if m == nil {
			return "", fmt.Errorf("no question in %q", last)
		}
		q := m[len(m)-1]
		a, _ := strconv.Atoi(q[2])
		b, _ := strconv.Atoi(q[3])
		sum := a + b
		withDemos := len(req.Messages) > 2
		if !(withDemos || req.Rollout > 0 || sum%3 == 0) {
			sum++
		}
		return dspytest.ChatReply("answer", strconv.Itoa(sum)), nil
	}}
}

func qaProgram() (dspy.Module, error) {
	return dspy.NewPredict(dspy.MustSignature("question -> answer")), nil
}

func newTestEngine(concurrency int, lm dspy.LM) *LocalEngine {
	e, err := NewLocalEngine(LocalOptions{
		Program:     qaProgram,
		Metric:      evaluate.ExactMatch("answer"),
		TaskLM:      lm,
		Concurrency: concurrency,
	})
	if err != nil {
		panic(err)
	}
	return e
}

func qaTask(train, val []dspy.Example) Task {
	p, _ := qaProgram()
	return TaskFor(p, train, val)
}

func containsDemoOf(req dspy.LMRequest, question string) bool {
	for _, m := range req.Messages[1 : len(req.Messages)-1] {
		if strings.Contains(m.Content, question+"\n") || strings.HasSuffix(m.Content, question) {
			return true
		}
	}
	return false
}

// forkAll is a test engine's Fork: every call on a goroutine of its own with
// engine e, then after for each in order, stopping at the first error.
func forkAll(ctx context.Context, e Engine, n int, fn func(context.Context, Engine, int) error, after func(int) error) error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn(ctx, e, i)
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			return errs[i]
		}
		if err := after(i); err != nil {
			return err
		}
	}
	return nil
}
