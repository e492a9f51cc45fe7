package optimize

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/internal/pyfmt"
)

// The dataset-summary signatures. Their text is DSPy's (typos included), so a
// prompt model sees the same request from either implementation and a shared
// LM cache answers both.
var (
	datasetDescriptor = miproSignature(
		"Given several examples from a dataset please write observations about trends that hold for most or all of the samples. "+
			"Some areas you may consider in your observations: topics, content, syntax, conciceness, etc. "+
			"It will be useful to make an educated guess as to the nature of the task this dataset will enable. Don't be afraid to be creative",
		[]dspy.Field{promptField("examples", "Sample data points from the dataset", "")},
		promptField("observations", "Somethings that holds true for most or all of the data you observed", ""),
	)
	datasetDescriptorWithPriorObservations = miproSignature(
		"Given several examples from a dataset please write observations about trends that hold for most or all of the samples. "+
			"I will also provide you with a few observations I have already made.  Please add your own observations or if you feel the observations are comprehensive say 'COMPLETE' "+
			"Some areas you may consider in your observations: topics, content, syntax, conciceness, etc. "+
			"It will be useful to make an educated guess as to the nature of the task this dataset will enable. Don't be afraid to be creative",
		[]dspy.Field{
			promptField("examples", "Sample data points from the dataset", ""),
			promptField("prior_observations", "Some prior observations I made about the data", ""),
		},
		promptField("observations", "Somethings that holds true for most or all of the data you observed or COMPLETE if you have nothing to add", ""),
	)
	observationSummarizer = miproSignature(
		"Given a series of observations I have made about my dataset, please summarize them into a brief 2-3 sentence summary which highlights only the most important details.",
		[]dspy.Field{promptField("observations", "Observations I have made about my dataset", "")},
		promptField("summary", "Two to Three sentence summary of only the most significant highlights of my observations", ""),
	)
)

// promptField is a string field with a description and, when given, a prefix.
func promptField(name, desc, prefix string) dspy.Field {
	f := dspy.NewField(name, dspy.StringType).WithDesc(desc)
	if prefix != "" {
		f = f.WithPrefix(prefix)
	}
	return f
}

func miproSignature(instructions string, inputs []dspy.Field, outputs ...dspy.Field) dspy.Signature {
	sig, err := dspy.NewSignature(inputs, outputs, instructions)
	if err != nil {
		panic(err)
	}
	return sig
}

// miproSummaryMaxCalls is create_dataset_summary's cap on its loop's counter:
// at most nine further batches are described.
const miproSummaryMaxCalls = 10

// datasetSummary is DSPy's create_dataset_summary: observations on the first
// batch of the trainset, more observations on each further batch (up to
// nine, stopping after five replies of "COMPLETE"), then a 2-3 sentence
// summary. It returns nil when the summary could not be made, and the
// proposer then runs without it, as DSPy does.
func (r *miproRun) datasetSummary(ctx context.Context, engine Engine) (*string, error) {
	train, size := r.train, r.cfg.viewBatch
	call := func(sig dspy.Signature, inputs dspy.Example, label string) (dspy.Example, error) {
		outs, err := engine.Prompt(ctx, PromptCall{Signature: sig, Inputs: inputs, N: 1, Temperature: dspy.Float(1.0), Label: "miprov2: " + label})
		if err == nil && len(outs) == 0 {
			err = errors.New("the prompt model returned no completion")
		}
		if err != nil {
			return dspy.Example{}, fmt.Errorf("%s: %w", label, err)
		}
		return outs[0], nil
	}

	first, err := call(datasetDescriptor, dspy.NewExample("examples", reprExamples(train[:min(len(train), size)])), "dataset summary: observe examples")
	if err != nil {
		return nil, fatalOnly(ctx, err)
	}
	observations := first.GetString("observations")
	skips, calls := 0, 0
	for b := size; b < len(train); b += size {
		calls++
		if calls >= miproSummaryMaxCalls {
			break
		}
		batch := train[b:min(len(train), b+size)]
		out, err := call(datasetDescriptorWithPriorObservations,
			dspy.NewExample("examples", reprExamples(batch), "prior_observations", observations),
			fmt.Sprintf("dataset summary: observe examples %d-%d", b, b+len(batch)-1))
		if err != nil {
			if err := fatalOnly(ctx, err); err != nil {
				return nil, err
			}
			break // DSPy summarises the observations made so far
		}
		more := out.GetString("observations")
		if head := []rune(more); len(head) >= 8 && strings.ToUpper(string(head[:8])) == "COMPLETE" {
			skips++
			if skips >= 5 {
				break
			}
			continue
		}
		observations += more
	}
	out, err := call(observationSummarizer, dspy.NewExample("observations", observations), "dataset summary: summarise")
	if err != nil {
		return nil, fatalOnly(ctx, err)
	}
	summary := stripPrefix(out.GetString("summary"))
	return &summary, nil
}

// fatalOnly returns err when it must end the run (the context is done or a
// stop was asked for) and nil when the proposer may go on without the
// failed call's answer, as DSPy does for summaries and descriptions.
func fatalOnly(ctx context.Context, err error) error {
	if ctx.Err() != nil || errors.Is(err, ErrStop) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// stripPrefixRE is DSPy's strip_prefix pattern: up to five words and a colon
// at the start ("Proposed Instruction: ...").
var stripPrefixRE = regexp.MustCompile(`^[\*\s]*(([\p{L}\p{N}_'\-]+\s+){0,4}[\p{L}\p{N}_'\-]+):\s*`)

// stripPrefix removes a leading label and surrounding double quotes, as
// DSPy's strip_prefix does.
func stripPrefix(s string) string {
	return strings.Trim(stripPrefixRE.ReplaceAllString(s, ""), `"`)
}

// reprExamples renders examples as Python prints a list of DSPy Examples,
// with the input keys sorted as DSPy's order_input_keys_in_string sorts them:
// [Example({'question': '...', 'answer': '...'}) (input_keys={'question'}), ...].
func reprExamples(examples []dspy.Example) string {
	parts := make([]string, len(examples))
	for i, ex := range examples {
		var fields []string
		for _, k := range ex.Keys() {
			if strings.HasPrefix(k, "dspy_") {
				continue
			}
			v, _ := ex.Get(k)
			fields = append(fields, pyfmt.Repr(k)+": "+pyfmt.Repr(v))
		}
		keys := ex.InputKeys()
		inputs := "set()"
		if len(keys) > 0 {
			sorted := make([]string, len(keys))
			for j, k := range keys {
				sorted[j] = pyfmt.Repr(k)
			}
			sort.Strings(sorted)
			inputs = "{" + strings.Join(sorted, ", ") + "}"
		}
		parts[i] = "Example({" + strings.Join(fields, ", ") + "}) (input_keys=" + inputs + ")"
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
