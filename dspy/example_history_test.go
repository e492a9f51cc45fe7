package dspy_test

import (
	"context"
	"fmt"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/dspytest"
)

// ExampleHistory carries a conversation across calls: each answer joins the
// History passed with the next question, and the adapter shows the earlier
// turns as user/assistant messages before the new question.
func ExampleHistory() {
	lm := dspytest.ScriptedLM(
		dspytest.ChatReply("answer", "Paris"),
		dspytest.ChatReply("answer", "Berlin"),
	)
	ctx := dspy.WithLM(context.Background(), lm)
	chat := dspy.NewPredict(dspy.MustSignature("question, history: History -> answer"))

	var history dspy.History
	for _, question := range []string{"What is the capital of France?", "And of Germany?"} {
		inputs := dspy.NewExample("question", question, "history", history)
		pred, err := chat.Call(ctx, inputs)
		if err != nil {
			panic(err)
		}
		history = history.Append(dspy.NewExample("question", question).Merge(pred.Example))
	}

	// The second request: system message, the first turn, the new question.
	for _, m := range lm.Requests()[1].Messages[1:] {
		fmt.Printf("%s: %q\n", m.Role, m.Content)
	}
	fmt.Println(len(history.Messages), "turns")
	// Output:
	// user: "[[ ## question ## ]]\nWhat is the capital of France?"
	// assistant: "[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]\n"
	// user: "[[ ## question ## ]]\nAnd of Germany?\n\nRespond with the corresponding output fields, starting with the field `[[ ## answer ## ]]`, and then ending with the marker for `[[ ## completed ## ]]`."
	// 2 turns
}

// ExampleEnumOf declares a Python-style Enum output: the prompt lists its
// values, and a reply naming a member by value or by name parses to the
// member's value.
func ExampleEnumOf() {
	sentiment := dspy.EnumOf("Sentiment",
		dspy.EnumMember{Name: "POSITIVE", Value: "positive"},
		dspy.EnumMember{Name: "NEGATIVE", Value: "negative"},
	)
	sig, err := dspy.NewSignature(
		[]dspy.Field{dspy.NewField("text", dspy.StringType)},
		[]dspy.Field{dspy.NewField("sentiment", sentiment)}, "")
	if err != nil {
		panic(err)
	}
	out, err := (&dspy.ChatAdapter{}).Parse(sig, "[[ ## sentiment ## ]]\nNEGATIVE")
	if err != nil {
		panic(err)
	}
	fmt.Println(sig)
	fmt.Println(out.GetString("sentiment"))
	// Output:
	// text -> sentiment: Sentiment
	// negative
}
