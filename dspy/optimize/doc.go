// Package optimize compiles DSPy programs: it searches for the demos and
// instructions that make a program score best on a metric, with DSPy's
// optimizers: LabeledFewShot, BootstrapFewShot,
// BootstrapFewShotWithRandomSearch, COPRO, MIPROv2 (grounded instruction
// proposals and a TPE search, package tpe), GEPA (reflective instruction
// evolution with Pareto selection and merges), SIMBA (mini-batch ascent with
// appended demos and rules), Ensemble (members voting by Majority, run as an
// EnsembleProgram), InferRules (induced rules appended to instructions) and
// KNNFewShot (each input answered with its nearest training examples' demos,
// run as a KNNProgram; its engine must also embed, see EmbeddingEngine).
//
// # Optimizers decide, engines run
//
// An Optimizer never builds or calls a program. It works on program states
// (dspy.ProgramState: each predictor's demos and instructions) and asks an
// Engine to do the work: Run a candidate state on a batch of examples and
// score each one, Prompt the prompt model, and take a Checkpoint at every
// boundary of the search loop. Everything an optimizer decides comes from the
// outcomes it is given and from its own seeded generator (package pyrand,
// CPython's random.Random), never from a clock, global randomness, map order
// or the order in which parallel work finishes. So the same seed, data and LM
// compile the same program byte for byte, whichever engine runs it:
//
//   - NewLocalEngine runs batches on goroutines in this process;
//   - the Temporal engine (package workflows) runs them as activities, so a
//     long optimization survives crashes, retries failed calls and shows its
//     progress in the Temporal UI.
//
// # Compiling a program
//
//	engine, _ := optimize.NewLocalEngine(optimize.LocalOptions{
//		Program: func() (dspy.Module, error) { return NewQA(), nil },
//		Metric:  evaluate.ExactMatch("answer"),
//		TaskLM:  lm,
//	})
//	opt := &optimize.BootstrapFewShotWithRandomSearch{NumCandidatePrograms: 8}
//	res, err := opt.Compile(ctx, engine, optimize.TaskFor(NewQA(), trainset, valset))
//	// res.Program is the best state; dspy.LoadState applies it, and
//	// res.Program.Encode() is DSPy's saved-program JSON.
//
// Optimizers are also built by name from JSON parameters with New, using
// DSPy's parameter names ("max_bootstrapped_demos", "breadth", ...), which is
// how a workflow receives them.
//
// # Faithful to DSPy
//
// Each optimizer follows DSPy's algorithm closely enough to pick the same
// examples: LabeledFewShot samples with random.Random(0), BootstrapFewShot
// tries examples in trainset order and fills the rest with a Random(0) sample
// of the unused ones, and the random search shuffles with Random(seed) for
// seeds -3 to N-1. Where this package runs work in parallel that DSPy runs in
// sequence, it replays the outcomes in DSPy's order, so the result is the
// sequential algorithm's.
//
// # Checkpoints, resuming and stopping
//
// At every loop boundary an optimizer hands the engine a compact, JSON
// encoded state and its progress (trials, best score, best program). Passing
// the last state back as Task.Resume continues the run where it stopped, with
// the same result as an uninterrupted run. An engine that answers a
// checkpoint with an error wrapping ErrStop makes the optimizer return its
// best program so far with Result.Stopped set.
package optimize
