package evaluate

import "slices"

// DefaultLabel is the field the built-in metrics read, in the gold example
// and in the prediction, when no other is named.
const DefaultLabel = "answer"

// builtins build each built-in metric for the label field it reads.
var builtins = map[string]func(label string) Metric{
	"exact_match":   ExactMatch,
	"f1":            F1,
	"passage_match": func(label string) Metric { return PassageMatch(label, "context") },
	"numeric_match": func(label string) Metric { return NumericMatch(label, 1e-9) },
}

// BuiltinNames returns the names of the built-in metrics, sorted.
func BuiltinNames() []string {
	names := make([]string, 0, len(builtins))
	for n := range builtins {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// IsBuiltin reports whether name is a built-in metric.
func IsBuiltin(name string) bool {
	_, ok := builtins[name]
	return ok
}

// Builtin returns the built-in metric name reading label in the gold example
// and the prediction (DefaultLabel when label is empty), and whether name is
// built in. A dataset whose gold field is not "answer" names its field this
// way instead of registering a metric of its own.
func Builtin(name, label string) (Metric, bool) {
	build, ok := builtins[name]
	if !ok {
		return nil, false
	}
	if label == "" {
		label = DefaultLabel
	}
	return build(label), true
}
