package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/lm"
	"github.com/durable-dspy/durable-dspy/dspy/optimize"
	"github.com/durable-dspy/durable-dspy/dspy/spec"
	"github.com/durable-dspy/durable-dspy/simlm"
	"github.com/durable-dspy/durable-dspy/worker/lmconfig"
	"github.com/durable-dspy/durable-dspy/workflows"
)

// dryRunFlags are optimize's flags for --dry-run.
type dryRunFlags struct {
	priceIn, priceOut float64
	predictors        int
}

func (d *dryRunFlags) bind(fs *pflag.FlagSet) {
	fs.Float64Var(&d.priceIn, "price-in", 0, "with --dry-run: US dollars per 1M prompt tokens (default: the known price of the model)")
	fs.Float64Var(&d.priceOut, "price-out", 0, "with --dry-run: US dollars per 1M completion tokens (default: the known price of the model)")
	fs.IntVar(&d.predictors, "predictors", 1, "with --dry-run and --program: the program's number of predictors (a spec's is known)")
}

// Rough sizes of optimizers' meta-prompts (instruction proposals,
// reflections, summaries): a few thousand characters of context in, an
// instruction out.
const (
	promptCallPromptTokens     = 1500
	promptCallCompletionTokens = 150
	// estimateDemos is the demos assumed in a task prompt: optimizers
	// typically settle on a handful.
	estimateDemos = 4
)

// planSizes are what a plan depends on besides the optimizer's parameters.
type planSizes struct {
	Predictors int
	// CallsPerRun is the task-model calls of one program run.
	CallsPerRun int
	Trainset    int
	Valset      int
}

// callPlan is the optimizer's plan of a run, rendered here in task-model
// calls and cost.
type callPlan struct{ optimize.Plan }

// TaskCalls is the task-model calls: program runs times calls per run.
func (p callPlan) taskCalls(sz planSizes) int { return p.TaskRuns * max(sz.CallsPerRun, 1) }

// planCalls asks the optimizer for its plan of a run on data of the given
// sizes; it applies the same settings and validation as its Compile.
func planCalls(name string, params json.RawMessage, sz planSizes) (callPlan, error) {
	o, err := optimize.New(name, params)
	if err != nil {
		return callPlan{}, err
	}
	planner, ok := o.(optimize.Planner)
	if !ok {
		return callPlan{}, fmt.Errorf("no dry-run plan for optimizer %s", name)
	}
	p, err := planner.Plan(optimize.PlanSizes{Predictors: sz.Predictors, Trainset: sz.Trainset, Valset: sz.Valset})
	if err != nil {
		return callPlan{}, err
	}
	return callPlan{p}, nil
}

// programShape is what a dry run knows of the program: its predictors and
// task-model calls per run.
func programShape(sp *spec.Program, predictors int) (preds, callsPerRun int) {
	if sp == nil {
		return max(predictors, 1), max(predictors, 1)
	}
	switch sp.Module {
	case "react":
		iters := sp.MaxIters
		if iters <= 0 {
			iters = 20
		}
		// The react predictor runs once per step, then extract once.
		return 2, iters + 1
	}
	return 1, 1
}

// tokenEstimate is the estimated tokens of one call.
type tokenEstimate struct{ prompt, completion int }

// estimateTaskTokens estimates one task call: for a spec, the real prompt of
// the first example with a few demos, as the ChatAdapter formats it;
// otherwise the examples' text plus the adapter's usual framing. Four
// characters make a token, as for English text with OpenAI's tokenizers.
func estimateTaskTokens(sp *spec.Program, examples []dspy.Example) tokenEstimate {
	if len(examples) == 0 {
		return tokenEstimate{}
	}
	demos := examples[1:min(len(examples), 1+estimateDemos)]
	if sp != nil && sp.Module != "react" {
		if m, err := sp.Build(nil); err == nil && len(m.Predictors()) > 0 {
			sig := m.Predictors()[0].Predictor.Signature
			msgs, err := (&dspy.ChatAdapter{}).Format(sig, demos, examples[0].Select(sig.InputNames()...))
			if err == nil {
				chars := 0
				for _, msg := range msgs {
					chars += len(msg.Content)
				}
				out := len("[[ ## completed ## ]]")
				for _, name := range sig.OutputNames() {
					v, ok := examples[0].Get(name)
					if !ok {
						// A field the data lacks, such as reasoning: a paragraph.
						out += 400
						continue
					}
					out += len("[[ ## "+name+" ## ]]\n\n") + len(dspy.ValueString(v))
				}
				return tokenEstimate{prompt: chars / 4, completion: out / 4}
			}
		}
	}
	size := 0
	for _, k := range examples[0].Keys() {
		v, _ := examples[0].Get(k)
		size += len(k) + len(dspy.ValueString(v)) + 20
	}
	return tokenEstimate{prompt: (size*(1+len(demos)) + 1200) / 4, completion: 100}
}

// modelPrice is a model's price and where it came from.
type modelPrice struct {
	price     lm.Price
	known     bool
	simulated bool
}

// priceFor finds a model's price: the flags, else the LM client's table.
func priceFor(model string, simulated bool, d dryRunFlags) modelPrice {
	if d.priceIn > 0 || d.priceOut > 0 {
		return modelPrice{price: lm.Price{PromptPerMillion: d.priceIn, CompletionPerMillion: d.priceOut}, known: true}
	}
	if simulated {
		return modelPrice{known: true, simulated: true}
	}
	table := lm.DefaultPrices()
	if p, ok := table[model]; ok {
		return modelPrice{price: p, known: true}
	}
	if i := strings.LastIndexByte(model, '/'); i >= 0 {
		if p, ok := table[model[i+1:]]; ok {
			return modelPrice{price: p, known: true}
		}
	}
	// Dated snapshots ("gpt-4o-mini-2024-07-18") cost what their family does.
	best, bestLen := lm.Price{}, 0
	for name, p := range table {
		if len(name) > bestLen && strings.HasPrefix(model, name+"-") {
			best, bestLen = p, len(name)
		}
	}
	return modelPrice{price: best, known: bestLen > 0}
}

// dryRun prints the plan of an optimize command instead of starting it.
func (a *app) dryRun(f *optimizeFlags, params json.RawMessage, sp *spec.Program, train dataset, val *dataset) error {
	preds, perRun := programShape(sp, f.dry.predictors)
	sz := planSizes{Predictors: preds, CallsPerRun: perRun, Trainset: len(train.Examples)}
	if val != nil {
		sz.Valset = len(val.Examples)
	}
	plan, err := planCalls(f.optimizer, params, sz)
	if err != nil {
		return usagef("--param/--params: %v", err)
	}

	// The models the worker would pick in this environment.
	simulated := a.opts.LM.Model == "" && os.Getenv(lm.EnvAPIKey) == "" && os.Getenv(lm.EnvBaseURL) == ""
	taskModel := a.opts.LM.Model
	switch {
	case simulated:
		taskModel = simlm.DefaultModel
	case taskModel == "":
		taskModel = lmconfig.DefaultModel
	}
	promptModel := a.opts.LM.PromptModel
	if promptModel == "" {
		promptModel = taskModel
	}
	program := "program " + f.program.name
	if sp != nil {
		program = fmt.Sprintf("spec %s (%s, %q)", f.program.specPath, sp.Module, sp.Signature)
	}
	fmt.Fprintf(a.stdout, "dry run: %s on %s\n", f.optimizer, program)
	fmt.Fprintf(a.stdout, "data: trainset %d examples, valset %s\n", sz.Trainset, valText(sz.Valset))
	fmt.Fprintf(a.stdout, "program: %d predictor(s), %d task-model call(s) per run%s\n", preds, perRun, shapeNote(sp))
	fmt.Fprintf(a.stdout, "settings: %s\n\n", plan.Settings)

	task := estimateTaskTokens(sp, train.Examples)
	rows := []planRow{
		{model: taskModel, role: "task", calls: plan.taskCalls(sz), upper: plan.TaskUpper, tokens: task, price: priceFor(taskModel, simulated, f.dry)},
		{model: promptModel, role: "prompt", calls: plan.PromptCalls, upper: plan.PromptUpper,
			tokens: tokenEstimate{prompt: promptCallPromptTokens, completion: promptCallCompletionTokens * plan.PromptCompletions},
			price:  priceFor(promptModel, simulated, f.dry)},
	}
	writePlanTable(a.stdout, rows)

	fmt.Fprintln(a.stdout)
	fmt.Fprintln(a.stdout, "≤ marks upper bounds; ≈ marks estimates.")
	for _, n := range plan.Notes {
		fmt.Fprintf(a.stdout, "- %s\n", n)
	}
	fmt.Fprintf(a.stdout, "- tokens per task call ≈ %d in, %d out (the first training example with up to %d demos); per prompt call ≈ %d in, %d out\n",
		task.prompt, task.completion, estimateDemos, promptCallPromptTokens, promptCallCompletionTokens*plan.PromptCompletions)
	fmt.Fprintln(a.stdout, "- cached replies cost nothing: a rerun of the same run pays only for what changed")
	if f.budget != (workflows.Budget{}) {
		fmt.Fprintf(a.stdout, "- the budget given (%s) ends the run cleanly if reached first\n", budgetText(f.budget))
	}
	return nil
}

// budgetText lists a budget's caps.
func budgetText(b workflows.Budget) string {
	var caps []string
	if b.MaxLMCalls > 0 {
		caps = append(caps, thousands(b.MaxLMCalls)+" LM calls")
	}
	if b.MaxTokens > 0 {
		caps = append(caps, thousands(b.MaxTokens)+" tokens")
	}
	if b.MaxCostUSD > 0 {
		caps = append(caps, "$"+money(b.MaxCostUSD))
	}
	return strings.Join(caps, ", ")
}

func valText(n int) string {
	if n == 0 {
		return "none (the optimizer uses the trainset)"
	}
	return fmt.Sprintf("%d examples", n)
}

func shapeNote(sp *spec.Program) string {
	switch {
	case sp == nil:
		return " (assumed; set --predictors)"
	case sp.Module == "react":
		return " at most (one per tool step, then the extraction)"
	}
	return ""
}

// planRow is one model's line of a dry-run table.
type planRow struct {
	model  string
	role   string
	calls  int
	upper  bool
	tokens tokenEstimate
	price  modelPrice
}

func writePlanTable(w io.Writer, rows []planRow) {
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "MODEL\tROLE\tLM CALLS\tPROMPT TOKENS\tCOMPLETION TOKENS\tCOST")
	totalCalls, totalCost, upper, costKnown, allSimulated := 0, 0.0, false, true, true
	for _, r := range rows {
		in, out := r.calls*r.tokens.prompt, r.calls*r.tokens.completion
		cost := "unknown (give --price-in/--price-out)"
		switch {
		case r.calls == 0:
			cost = "$0"
		case r.price.simulated:
			cost = "$0 (simulated LM)"
		case r.price.known:
			c := r.price.price.Cost(in, out)
			totalCost += c
			cost = boundText(r.upper, "$"+money(c))
		default:
			costKnown = false
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t≈ %s\t≈ %s\t%s\n", r.model, r.role, boundText(r.upper, thousands(r.calls)), thousands(in), thousands(out), cost)
		totalCalls += r.calls
		upper = upper || r.upper
		allSimulated = allSimulated && r.price.simulated
	}
	total := "unknown"
	switch {
	case allSimulated:
		total = "$0 (simulated LM)"
	case costKnown:
		total = boundText(upper, "$"+money(totalCost))
	}
	fmt.Fprintf(tw, "total\t\t%s\t\t\t%s\n", boundText(upper, thousands(totalCalls)), total)
	_ = tw.Flush()
}

func boundText(upper bool, s string) string {
	if upper {
		return "≤ " + s
	}
	return s
}

// money rounds dollars to cents, or to four digits below a cent.
func money(c float64) string {
	if c < 0.01 && c > 0 {
		return fmt.Sprintf("%.4f", c)
	}
	return fmt.Sprintf("%.2f", math.Round(c*100)/100)
}
