package dspy

// StatusMessageProvider writes the status messages a streamed program
// reports between its field chunks, as DSPy's StatusMessageProvider does: an
// empty string sends nothing. Embed DefaultStatusMessages to change only
// some of them.
type StatusMessageProvider interface {
	// ToolStart is sent before a tool runs (never for ReAct's "finish").
	ToolStart(tool *Tool, args map[string]any) string
	// ToolEnd is sent after a tool ran, with its result or error (never for
	// a result of "Completed.", what ReAct's "finish" returns).
	ToolEnd(tool *Tool, result any, err error) string
	// ModuleStart is sent before a predictor runs, name being its path
	// ("predict", "extract.predict"), and before the streamed program
	// itself runs, with name "" (unless the program is a bare Predict).
	ModuleStart(name string, inputs Example) string
	// ModuleEnd is sent after a predictor or the program ran.
	ModuleEnd(name string, pred Prediction, err error) string
	// LMStart is sent before a predictor calls its LM.
	LMStart(predictor string, req LMRequest) string
	// LMEnd is sent after a predictor's LM call.
	LMEnd(predictor string, resp LMResponse, err error) string
}

// DefaultStatusMessages is DSPy's default provider: a message before and
// after each tool call, nothing for modules and LM calls.
type DefaultStatusMessages struct{}

var _ StatusMessageProvider = DefaultStatusMessages{}

// ToolStart returns "Calling tool NAME...".
func (DefaultStatusMessages) ToolStart(tool *Tool, _ map[string]any) string {
	return "Calling tool " + tool.Name() + "..."
}

// ToolEnd returns DSPy's message announcing the next LM call.
func (DefaultStatusMessages) ToolEnd(*Tool, any, error) string {
	return "Tool calling finished! Querying the LLM with tool calling results..."
}

// ModuleStart returns "".
func (DefaultStatusMessages) ModuleStart(string, Example) string { return "" }

// ModuleEnd returns "".
func (DefaultStatusMessages) ModuleEnd(string, Prediction, error) string { return "" }

// LMStart returns "".
func (DefaultStatusMessages) LMStart(string, LMRequest) string { return "" }

// LMEnd returns "".
func (DefaultStatusMessages) LMEnd(string, LMResponse, error) string { return "" }
