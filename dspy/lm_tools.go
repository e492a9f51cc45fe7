package dspy

// The tool-calling part of an LM request and response, in OpenAI's
// chat-completions terms: a request lists the functions the model may call
// (LMRequest.Tools), and each completion may answer with calls to them
// (LMResponse.ToolCalls) instead of, or beside, its text.

// Tool choices an LMRequest may carry besides a tool's name.
const (
	// ToolChoiceAuto lets the model decide whether to call a tool.
	ToolChoiceAuto = "auto"
	// ToolChoiceNone forbids tool calls.
	ToolChoiceNone = "none"
	// ToolChoiceRequired makes the model call at least one tool.
	ToolChoiceRequired = "required"
)

// ToolDefinition is one function offered to the LM, as OpenAI's "tools"
// field carries it.
type ToolDefinition struct {
	// Type is "function", the only kind of tool chat completions know.
	Type string `json:"type"`
	// Function describes the function.
	Function FunctionDefinition `json:"function"`
}

// FunctionDefinition names a function, says what it does and gives the JSON
// schema of its arguments object.
type FunctionDefinition struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Parameters is the JSON schema of the arguments object.
	Parameters map[string]any `json:"parameters,omitempty"`
}

// LMToolCall is one tool call an LM answered with.
type LMToolCall struct {
	// ID is the provider's identifier of the call, which a tool result cites.
	ID string `json:"id,omitempty"`
	// Name is the function called.
	Name string `json:"name"`
	// Arguments is the arguments object as the model wrote it: JSON text,
	// not always valid, which ParseToolArguments reads leniently.
	Arguments string `json:"arguments"`
}
