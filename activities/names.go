package activities

// Activity names, as registered on workers and called by the workflows.
const (
	LoadDatasetName     = "dspy.LoadDataset"
	DescribeProgramName = "dspy.DescribeProgram"
	RunBatchName        = "dspy.RunBatch"
	PromptName          = "dspy.Prompt"
	CallLMName          = "dspy.CallLM"
	CallToolName        = "dspy.CallTool"
)

// Error types of non-retryable application errors, so workflows and clients can
// tell bad configuration from transient failure.
const (
	// ErrTypeConfig marks bad input: unknown program or metric, unreadable or
	// malformed dataset, invalid spec. Retrying cannot help.
	ErrTypeConfig = "ConfigError"
	// ErrTypeBadRequest marks an LM request the provider rejected as invalid.
	ErrTypeBadRequest = "LMBadRequest"
)
