package dspy

// loadToolCalls types the values of ToolCalls fields in loaded demos: a
// saved demo holds a call list as the JSON object DSPy writes,
// {"tool_calls": [{"name", "args"}]}, which decodes to a map and would
// format and save again with its keys sorted ("args" before "name"). As
// ToolCalls the demo formats and saves as DSPy writes it. A value that is
// not a valid call list is left as it is.
func loadToolCalls(sig Signature, demos []Example) []Example {
	out := append([]Example(nil), demos...)
	for _, f := range sig.Fields() {
		if !isToolCallsType(f.Type) {
			continue
		}
		for i, d := range out {
			v, ok := d.Get(f.Name)
			if !ok || v == nil {
				continue
			}
			if _, typed := v.(ToolCalls); typed {
				continue
			}
			if tc, err := toolCallsFromValue(v); err == nil {
				out[i] = d.Set(f.Name, tc)
			}
		}
	}
	return out
}
