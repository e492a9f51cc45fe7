package loosejson

import (
	"strings"
	"testing"
)

func addSeeds(f *testing.F) {
	for _, seed := range adversarialReplies {
		f.Add(seed)
	}
	for _, seed := range []string{
		"42", `"hi"`, "True", "'hi'", "('a', 'b')", "Answer: [1, 2]", `{"a": 1,}`,
		"```json\n{\"answer\": \"Paris\", \"confidence\": 0.9}\n```",
		`Sure! {"reasoning": "5\" screen", "answer": 5} Hope that helps.`,
		`{'answer': 'it\'s', "n": None, "ok": True}`,
	} {
		f.Add(seed)
	}
}

// FuzzDecode: whatever the LM sent, Decode returns a value without panicking.
func FuzzDecode(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, in string) {
		_ = Decode(in)
		_, _ = DecodeObject(in)
	})
}

// FuzzFirstObject: what FirstObject returns is a braced substring of its input.
func FuzzFirstObject(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, in string) {
		got, ok := FirstObject(in)
		if !ok {
			if got != "" {
				t.Fatalf("FirstObject(%q) failed but returned %q", in, got)
			}
			return
		}
		if !strings.Contains(in, got) || !strings.HasPrefix(got, "{") || !strings.HasSuffix(got, "}") {
			t.Fatalf("FirstObject(%q) = %q, not a braced part of the input", in, got)
		}
	})
}
