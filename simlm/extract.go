package simlm

import (
	"regexp"
	"strconv"
	"strings"
)

// extractionIntro opens the instructions of DSPy's two-step adapter's
// extraction call, which asks for the output fields found in a text.
const extractionIntro = "The input is a text that should contain all the necessary information to produce the fields"

// numberPattern finds the numbers of a text.
var numberPattern = regexp.MustCompile(`-?\d+(?:\.\d+)?`)

// isExtraction reports whether the prompt is a two-step extraction call.
func isExtraction(p *prompt) bool {
	_, ok := lookup(p.inputs, "text")
	return ok && strings.HasPrefix(p.instructions, extractionIntro)
}

// extractedValue reads an output field from the text of an extraction call,
// as a faithful extraction model does: an int field takes the text's last
// whole number and a float field its last number, a bool its yes or no, a text field the text itself. Other fields,
// and texts that lack the value, get the usual made-up value.
func extractedValue(p *prompt, f outputField, h uint64) any {
	text, _ := lookup(p.inputs, "text")
	numbers := numberPattern.FindAllString(text, -1)
	switch f.kind {
	case kindInt:
		for i := len(numbers) - 1; i >= 0; i-- {
			if n, err := strconv.Atoi(numbers[i]); err == nil {
				return n
			}
		}
	case kindFloat:
		if len(numbers) > 0 {
			if x, err := strconv.ParseFloat(numbers[len(numbers)-1], 64); err == nil {
				return x
			}
		}
	case kindBool:
		lower := strings.ToLower(text)
		if strings.Contains(lower, "yes") || strings.Contains(lower, "true") {
			return true
		}
		if strings.Contains(lower, "no") || strings.Contains(lower, "false") {
			return false
		}
	case kindString:
		return strings.TrimSpace(text)
	}
	return genericValue(f, p.inputs, h)
}
