package optimize

import (
	"errors"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/evaluate"
)

// MajorityOptions configure Majority. The zero value is DSPy's default.
type MajorityOptions struct {
	// Field is the field voted on; empty means the last field of the first
	// prediction (the last output, in signature order).
	Field string
	// Normalize maps a value to what is compared; an empty result drops the
	// vote, unless every vote is dropped. Nil means evaluate.NormalizeText,
	// as DSPy's default_normalize does.
	Normalize func(string) string
}

// Majority returns the prediction whose field holds the most common value
// among preds, as DSPy's dspy.majority does: values are normalized before
// counting, ties go to the value seen first, and the first prediction
// holding the winning value is returned.
func Majority(preds []dspy.Prediction, opts MajorityOptions) (dspy.Prediction, error) {
	if len(preds) == 0 {
		return dspy.Prediction{}, errors.New("majority: no predictions")
	}
	field := opts.Field
	if field == "" {
		keys := preds[0].Keys()
		if len(keys) == 0 {
			return dspy.Prediction{}, errors.New("majority: the first prediction has no fields")
		}
		field = keys[len(keys)-1]
	}
	normalize := opts.Normalize
	if normalize == nil {
		normalize = evaluate.NormalizeText
	}
	norm := func(p dspy.Prediction) string {
		v, _ := p.Get(field)
		return normalize(dspy.ValueString(v))
	}
	values := make([]string, len(preds))
	counted := 0
	for i, p := range preds {
		values[i] = norm(p)
		if values[i] != "" {
			counted++
		}
	}
	counts := map[string]int{}
	var order []string
	for _, v := range values {
		if v == "" && counted > 0 {
			continue
		}
		if _, seen := counts[v]; !seen {
			order = append(order, v)
		}
		counts[v]++
	}
	winner := order[0]
	for _, v := range order[1:] {
		if counts[v] > counts[winner] {
			winner = v
		}
	}
	for i, p := range preds {
		if values[i] == winner {
			return dspy.NewPrediction(p.Example), nil
		}
	}
	return dspy.NewPrediction(preds[0].Example), nil
}
