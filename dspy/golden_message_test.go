package dspy_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// goldenMessage is a chat message as DSPy's golden files hold it: its
// content a string, or a list of OpenAI content parts when it carries images.
type goldenMessage struct{ dspy.Message }

func (g *goldenMessage) UnmarshalJSON(b []byte) error {
	var raw struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	g.Role = raw.Role
	if err := json.Unmarshal(raw.Content, &g.Content); err == nil {
		return nil
	}
	if err := json.Unmarshal(raw.Content, &g.Parts); err != nil {
		return err
	}
	if g.Parts == nil {
		g.Parts = []dspy.ContentPart{}
	}
	return nil
}

// assertSameMessages checks that got are the golden messages, role, text and
// parts alike.
func assertSameMessages(t *testing.T, want []goldenMessage, got []dspy.Message) {
	t.Helper()
	require.Len(t, got, len(want))
	for i, w := range want {
		assert.Equal(t, w.Role, got[i].Role, "message %d role", i)
		assert.Equal(t, w.Content, got[i].Content, "message %d content", i)
		assert.Equal(t, w.Parts, got[i].Parts, "message %d parts", i)
	}
}

// withImages reads an example's Image and list[Image] fields, saved in
// DSPy's form, into Image values, as loading a program does.
func withImages(t testing.TB, sig dspy.Signature, e dspy.Example) dspy.Example {
	t.Helper()
	for _, f := range sig.Fields() {
		v, ok := e.Get(f.Name)
		if !ok {
			continue
		}
		switch {
		case f.Type.Kind == dspy.KindImage:
			im, err := dspy.ParseImageValue(v.(string))
			require.NoError(t, err)
			e = e.Set(f.Name, im)
		case f.Type.Kind == dspy.KindList && f.Type.Elem.Kind == dspy.KindImage:
			items := v.([]any)
			images := make([]any, len(items))
			for i, item := range items {
				im, err := dspy.ParseImageValue(item.(string))
				require.NoError(t, err)
				images[i] = im
			}
			e = e.Set(f.Name, images)
		}
	}
	return e
}
