package dspy_test

import (
	"fmt"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// ExampleChatAdapter shows the request DSPy's default format sends for a typed
// signature, and how a reply in that format is read back into typed fields.
func ExampleChatAdapter() {
	sig := dspy.MustSignature("question -> answer: int")
	adapter := &dspy.ChatAdapter{}

	msgs, err := adapter.Format(sig, nil, dspy.NewExample("question", "What is 6 * 7?"))
	if err != nil {
		panic(err)
	}
	fmt.Println(msgs[len(msgs)-1].Content)

	out, err := adapter.Parse(sig, "[[ ## answer ## ]]\n42\n\n[[ ## completed ## ]]")
	if err != nil {
		panic(err)
	}
	answer, _ := out.Get("answer")
	fmt.Printf("answer = %v (%T)\n", answer, answer)
	// Output:
	// [[ ## question ## ]]
	// What is 6 * 7?
	//
	// Respond with the corresponding output fields, starting with the field `[[ ## answer ## ]]` (must be formatted as a valid Python int), and then ending with the marker for `[[ ## completed ## ]]`.
	// answer = 42 (int)
}

// ExampleJSONAdapter shows a JSON reply, wrapped in prose as models often do,
// being read into the signature's output fields.
func ExampleJSONAdapter() {
	sig := dspy.MustSignature("question -> answer, confidence: float")
	out, err := (&dspy.JSONAdapter{}).Parse(sig, "Sure! {\"answer\": \"Paris\", \"confidence\": \"0.9\"}")
	if err != nil {
		panic(err)
	}
	fmt.Println(out)
	// Output:
	// {"answer":"Paris","confidence":0.9}
}

// ExampleXMLAdapter shows DSPy's XML format: a list output is asked for as
// nested tags, and a reply in that shape is read back into typed fields.
func ExampleXMLAdapter() {
	sig := dspy.MustSignature("question -> answer: int, steps: list[str]")
	adapter := &dspy.XMLAdapter{}

	msgs, err := adapter.Format(sig, nil, dspy.NewExample("question", "What is 6 * 7?"))
	if err != nil {
		panic(err)
	}
	fmt.Println(msgs[len(msgs)-1].Content)

	out, err := adapter.Parse(sig, "<answer>42</answer>\n<steps><item>6 * 7</item><item>= 42</item></steps>")
	if err != nil {
		panic(err)
	}
	fmt.Println(out)
	// Output:
	// <question>
	// What is 6 * 7?
	// </question>
	//
	// Respond with the corresponding output fields wrapped in XML tags `<answer>`, then `<steps>`. Use this nested XML structure: <steps><item>...</item></steps>
	// {"answer":42,"steps":["6 * 7","= 42"]}
}
