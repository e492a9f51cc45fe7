package dspy

import "github.com/durable-dspy/durable-dspy/internal/pyfmt"

// An Example renders as a Python dict in its own key order wherever a value is
// shown as Python shows it (prompts, demos, ValueString), with its values as
// they are rather than through its JSON encoding, so 1.0 stays 1.0.
func init() {
	pyfmt.RegisterDict(exampleDict)
}

func exampleDict(v any) (pyfmt.Object, bool) {
	e, ok := v.(Example)
	if !ok {
		return nil, false
	}
	out := make(pyfmt.Object, len(e.keys))
	for i, k := range e.keys {
		out[i] = pyfmt.Entry{Key: k, Value: e.values[k]}
	}
	return out, true
}
