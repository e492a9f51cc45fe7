package dspy

import "strings"

// FieldDescriptions is DSPy's get_field_description_string: the numbered
// list "1. `question` (str): desc" a ChatAdapter prompt shows for fields.
// Optimizers that describe a program to a prompt model (SIMBA's reflection)
// use it so their prompts read as DSPy's do.
func FieldDescriptions(fields []Field) string {
	var b strings.Builder
	writeFieldDescriptions(&b, fields)
	return b.String()
}
