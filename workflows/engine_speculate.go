package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/durable-dspy/durable-dspy/dspy/optimize"
)

var _ optimize.SpeculativeEngine = (*temporalEngine)(nil)

// versionGEPASpeculation marks runs whose GEPA prepares its next iterations
// ahead (coroutines running parent, reflection and child work that a later
// acceptance may leave unused); runs started before keep their one iteration
// at a time when they replay.
const versionGEPASpeculation = "gepa-speculation"

// Speculative reports whether the run started after speculation existed. It
// is asked only when an optimizer would speculate on a forking engine, so
// other runs record no marker.
func (e *temporalEngine) Speculative() bool {
	return workflow.GetVersion(e.ctx, versionGEPASpeculation, workflow.DefaultVersion, 1) != workflow.DefaultVersion
}
