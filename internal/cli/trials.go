package cli

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/durable-dspy/durable-dspy/dspy/optimize"
	"github.com/durable-dspy/durable-dspy/workflows"
)

// candidateWidth bounds the candidate column, so a row fits a terminal.
const candidateWidth = 60

// printTrials prints one row per trial: its number, the candidate (label,
// demos, instruction excerpt), whether it was scored on a minibatch or the
// full validation set, its score and the best full score so far. With a
// Pareto front (GEPA) a column marks its members and a line lists them.
func printTrials(w io.Writer, trials []optimize.Trial, pareto []int) {
	if len(trials) == 0 {
		fmt.Fprintln(w, "trials: none yet")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	header := "TRIAL\tEVAL\tSCORE\tBEST\tDEMOS\tCANDIDATE"
	if pareto != nil {
		header += "\tPARETO"
	}
	fmt.Fprintln(tw, header)
	best, seen := 0.0, false
	for _, t := range trials {
		eval := "minibatch"
		if t.Full {
			eval = "full"
			if !seen || t.Score > best {
				best, seen = t.Score, true
			}
		}
		bestText := "-"
		if seen {
			bestText = fmt.Sprintf("%.2f", best)
		}
		row := fmt.Sprintf("%d\t%s\t%.2f\t%s\t%d\t%s", t.Number, eval, t.Score, bestText, t.Demos, candidateText(t))
		if pareto != nil {
			mark := ""
			if slices.Contains(pareto, t.Number) {
				mark = "*"
			}
			row += "\t" + mark
		}
		fmt.Fprintln(tw, row)
	}
	_ = tw.Flush()
	if pareto != nil {
		nums := make([]string, len(pareto))
		for i, p := range pareto {
			nums[i] = strconv.Itoa(p)
		}
		fmt.Fprintf(w, "Pareto front: %d candidates (trials %s)\n", len(pareto), strings.Join(nums, ", "))
	}
}

// candidateText is a trial's label and, when it has one, the start of its
// instruction, cut to candidateWidth.
func candidateText(t optimize.Trial) string {
	s := t.Label
	if t.Instruction != "" {
		s += `: "` + t.Instruction + `"`
	}
	return truncate(s, candidateWidth)
}

// truncate puts s on one line and cuts it to at most n runes, marking the
// cut with an ellipsis.
func truncate(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// finalLine is the progress line of a finished optimization, from its
// result, so the last line shown is the run's final state rather than its
// last checkpoint.
func finalLine(res workflows.OptimizeResult) string {
	state := "completed"
	if res.Stopped != "" {
		state = "ended early (" + res.Stopped + ")"
	}
	return strings.Join([]string{state, trialCount(len(res.Trials)), fmt.Sprintf("best %.2f", res.Score), spentText(res.Spent)}, " · ")
}

func trialCount(n int) string {
	if n == 1 {
		return "1 trial"
	}
	return fmt.Sprintf("%d trials", n)
}

// improvement is the optimized score minus the baseline, from the unrounded
// scores when the run reports them: two rounded scores can differ by a
// hundredth more or less than the scores did.
func improvement(res workflows.OptimizeResult) float64 {
	exact := func(e, rounded float64) float64 {
		if e == 0 && rounded != 0 {
			return rounded
		}
		return e
	}
	return exact(res.ScoreExact, res.Score) - exact(res.BaselineExact, res.BaselineScore)
}
