package dspy

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/internal/pyfmt"
)

// readFields feeds reply to a field reader in the pieces cuts describes
// (each byte moves the next cut 0 to 8 bytes on, so pieces may be empty or
// split a rune) and checks the reader's promises: a field's chunks end with
// exactly one marked last, and nothing of a field follows it.
func readFields(t testing.TB, format streamFormat, outputs []string, reply string, cuts []byte) (map[string]string, []string) {
	fields := map[string]string{}
	ended := map[string]bool{}
	var order []string
	emit := func(field, text string, last bool) {
		if ended[field] {
			t.Fatalf("field %q got %q after its last chunk", field, text)
		}
		if _, ok := fields[field]; !ok {
			order = append(order, field)
		}
		fields[field] += text
		ended[field] = last
	}
	r := newFieldReader(format, outputs, emit)
	pos := 0
	for _, c := range cuts {
		next := min(len(reply), pos+int(c%9))
		r.feed(reply[pos:next])
		pos = next
	}
	r.feed(reply[pos:])
	r.finish()
	for f := range fields {
		if !ended[f] {
			t.Fatalf("field %q never got its last chunk", f)
		}
	}
	return fields, order
}

var streamOutputs = []string{"reasoning", "answer"}

func TestChatFieldReader(t *testing.T) {
	tests := []struct {
		name, reply string
		want        map[string]string
	}{
		{"two fields", "[[ ## reasoning ## ]]\nIt adds up.\n\n[[ ## answer ## ]]\n42\n\n[[ ## completed ## ]]",
			map[string]string{"reasoning": "It adds up.", "answer": "42"}},
		{"text on the marker line", "[[ ## reasoning ## ]]  first  \n  second\n[[ ## answer ## ]] 7", map[string]string{"reasoning": "first\n  second", "answer": "7"}},
		{"marker not at line start is text", "[[ ## answer ## ]]\nsee [[ ## reasoning ## ]] here\n", map[string]string{"answer": "see [[ ## reasoning ## ]] here"}},
		{"an almost-marker is text", "[[ ## answer ## ]]\n[[ ## not a marker\nend", map[string]string{"answer": "[[ ## not a marker\nend"}},
		{"line breaks become \\n", "[[ ## answer ## ]]\r\na\rb\u2028c\r\n", map[string]string{"answer": "a\nb\nc"}},
		{"a repeated field is ignored", "[[ ## answer ## ]]\n1\n[[ ## answer ## ]]\n2", map[string]string{"answer": "1"}},
		{"an unknown marker ends the field", "[[ ## answer ## ]]\n1\n[[ ## other ## ]]\n2", map[string]string{"answer": "1"}},
		{"cut off", "[[ ## reasoning ## ]]\nhalf a thou", map[string]string{"reasoning": "half a thou"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, cuts := range [][]byte{nil, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, {3, 7, 2, 0, 5}} {
				got, _ := readFields(t, streamChat, streamOutputs, tt.reply, cuts)
				assert.Equal(t, tt.want, got)
			}
		})
	}
}

func TestJSONFieldReader(t *testing.T) {
	tests := []struct {
		name, reply string
		want        map[string]string
	}{
		{"strings decoded", "```json\n{\n  \"reasoning\": \"a \\\"b\\\"\\n\\u00e9\\ud83d\\ude00\",\n  \"answer\": \"x\"\n}\n```",
			map[string]string{"reasoning": "a \"b\"\n\u00e9\U0001F600", "answer": "x"}},
		{"other values as JSON text", `{"answer": [1, {"a": "}"}] , "reasoning": 12 }`, map[string]string{"answer": `[1, {"a": "}"}]`, "reasoning": "12"}},
		{"other keys skipped", `{"note": {"answer": 1}, "answer": true}`, map[string]string{"answer": "true"}},
		{"first occurrence wins", `{"answer": "1", "answer": "2"}`, map[string]string{"answer": "1"}},
		{"cut off", `{"answer": "Par`, map[string]string{"answer": "Par"}},
		{"lone surrogate", `{"answer": "\ud800x"}`, map[string]string{"answer": "\uFFFDx"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, cuts := range [][]byte{nil, bytes.Repeat([]byte{1}, 80), {3, 7, 2, 0, 5}} {
				got, _ := readFields(t, streamJSON, streamOutputs, tt.reply, cuts)
				assert.Equal(t, tt.want, got)
			}
		})
	}
}

func TestXMLFieldReader(t *testing.T) {
	tests := []struct {
		name, reply string
		want        map[string]string
	}{
		{"two fields", "<reasoning>\nIt adds up.\n</reasoning>\n\n<answer>\n42\n</answer>", map[string]string{"reasoning": "It adds up.", "answer": "42"}},
		{"nested tags kept", "<answer><item>a</item><item>b</item></answer>", map[string]string{"answer": "<item>a</item><item>b</item>"}},
		{"almost-closing tags are text", "<answer>1 </answ 2 <</answer>", map[string]string{"answer": "1 </answ 2 <"}},
		{"cut off", "<answer>\nhal", map[string]string{"answer": "hal"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, cuts := range [][]byte{nil, bytes.Repeat([]byte{1}, 80), {3, 7, 2, 0, 5}} {
				got, _ := readFields(t, streamXML, streamOutputs, tt.reply, cuts)
				assert.Equal(t, tt.want, got)
			}
		})
	}
}

// fieldSeeds are replies in each format, from the golden cases and edge
// cases, for the fuzz tests.
var fieldSeeds = []string{
	"[[ ## reasoning ## ]]\nLooking at Why is the sky blue during the day?, the relevant details point to the answer below.\n\n[[ ## answer ## ]]\nWhy is the sky blue during the day?\n\n[[ ## completed ## ]]",
	"{\n  \"reasoning\": \"Looking at Why do leaves change colour in autumn?, the relevant details point to the answer below.\",\n  \"answer\": \"Why do leaves change colour in autumn?\"\n}",
	"<reasoning>\nLooking at How do bees make honey from nectar?, the relevant details point to the answer below.\n</reasoning>\n\n<answer>\nHow do bees make honey from nectar?\n</answer>",
	"[[ ## answer ## ]] héllo \r\n wörld\u2028[[ ## reasoning ## ]]",
	`{"answer": [1, {"a": "}\""}], "reasoning": "\ud83d\ude00"}`,
	"<answer><item>a</item></answer><reasoning>x &amp; y</reasoning>",
}

func fuzzFieldReader(f *testing.F, format streamFormat, check func(t *testing.T, reply string, fields map[string]string)) {
	for _, s := range fieldSeeds {
		f.Add(s, []byte{1, 2, 3})
		f.Add(s, []byte{0, 8, 4, 4, 1})
	}
	f.Fuzz(func(t *testing.T, reply string, cuts []byte) {
		whole, wholeOrder := readFields(t, format, streamOutputs, reply, nil)
		split, splitOrder := readFields(t, format, streamOutputs, reply, cuts)
		require.Equal(t, whole, split, "the pieces join to the same text however the reply is cut")
		require.Equal(t, wholeOrder, splitOrder)
		check(t, reply, whole)
	})
}

// stringSig has the fuzzed outputs as text, so a parser returns each
// field's text as it read it.
var stringSig = MustSignature("question -> reasoning, answer", "")

func FuzzChatFieldReader(f *testing.F) {
	fuzzFieldReader(f, streamChat, func(t *testing.T, reply string, fields map[string]string) {
		parsed, err := parseChatReply(stringSig, reply)
		if err != nil {
			return
		}
		for _, o := range streamOutputs {
			require.Equal(t, parsed.GetString(o), fields[o], "field %s is what ChatAdapter parses", o)
		}
	})
}

func FuzzJSONFieldReader(f *testing.F) {
	fuzzFieldReader(f, streamJSON, func(t *testing.T, reply string, fields map[string]string) {
		trimmed := strings.TrimSpace(reply)
		if !utf8.ValidString(reply) || !strings.HasPrefix(trimmed, "{") || !json.Valid([]byte(trimmed)) {
			return
		}
		dec := json.NewDecoder(strings.NewReader(trimmed))
		_, _ = dec.Token()
		want := map[string]string{}
		for dec.More() {
			tok, err := dec.Token()
			require.NoError(t, err)
			var raw json.RawMessage
			require.NoError(t, dec.Decode(&raw))
			key := tok.(string)
			if _, dup := want[key]; dup || outputIndex(streamOutputs, key) < 0 {
				continue
			}
			text := string(raw)
			if raw[0] == '"' {
				require.NoError(t, json.Unmarshal(raw, &text))
			}
			want[key] = text
		}
		require.Equal(t, want, fields, "fields are what encoding/json reads")
	})
}

func FuzzXMLFieldReader(f *testing.F) {
	fuzzFieldReader(f, streamXML, func(t *testing.T, reply string, fields map[string]string) {
		require.Equal(t, xmlFieldsByIndex(reply), fields)
		parsed, err := parseXMLReply(stringSig, reply)
		if err != nil || strings.ContainsAny(reply, "&\r") || strings.Contains(reply, "<!") {
			return
		}
		for _, o := range streamOutputs {
			if !strings.Contains(fields[o], "<") {
				require.Equal(t, parsed.GetString(o), fields[o], "field %s is what XMLAdapter parses", o)
			}
		}
	})
}

// xmlFieldsByIndex finds each output's first <field> and the </field>
// after it, as the XML reader does, by searching the whole reply.
func xmlFieldsByIndex(reply string) map[string]string {
	out := map[string]string{}
	for pos := 0; ; {
		first, name := -1, ""
		for _, o := range streamOutputs {
			if _, done := out[o]; done {
				continue
			}
			if i := strings.Index(reply[pos:], "<"+o+">"); i >= 0 && (first < 0 || i < first) {
				first, name = i, o
			}
		}
		if first < 0 {
			return out
		}
		start := pos + first + len(name) + 2
		end := strings.Index(reply[start:], "</"+name+">")
		if end < 0 {
			out[name] = pyfmt.Strip(reply[start:])
			return out
		}
		out[name] = pyfmt.Strip(reply[start : start+end])
		pos = start + end + len(name) + 3
	}
}
