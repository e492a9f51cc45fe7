package dspy_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// verdict is a Go enum type: its EnumMembers method makes a field of this
// type an Enum named "verdict", as a Python Enum is named after its class.
type verdict string

func (verdict) EnumMembers() []dspy.EnumMember {
	return []dspy.EnumMember{{Name: "YES", Value: "yes"}, {Name: "NO", Value: "no"}}
}

// pointerVerdict declares its members on the pointer receiver.
type pointerVerdict string

func (*pointerVerdict) EnumMembers() []dspy.EnumMember {
	return []dspy.EnumMember{{Name: "UP", Value: "up"}}
}

type structWithEnums struct {
	Claim    string           `dspy:"input"`
	Prior    *verdict         `dspy:"input"`
	Verdict  verdict          `dspy:"output"`
	Verdicts []verdict        `dspy:"output"`
	Trend    pointerVerdict   `dspy:"output"`
	Label    string           `dspy:"output" enum:"yes,no"`
	Named    verdictAsLiteral `dspy:"output" enum:"a,b"`
}

// verdictAsLiteral has no EnumMembers method: an enum tag keeps making such a
// named string type a Literal, as before Enums existed.
type verdictAsLiteral string

func TestSignatureOfMakesEnumMembersTypesEnums(t *testing.T) {
	sig, err := dspy.SignatureOf(structWithEnums{})
	require.NoError(t, err)

	want := dspy.EnumOf("verdict", dspy.EnumMember{Name: "YES", Value: "yes"}, dspy.EnumMember{Name: "NO", Value: "no"})
	types := map[string]dspy.Type{}
	for _, f := range sig.Fields() {
		types[f.Name] = f.Type
	}
	assert.Equal(t, want, types["prior"], "pointers are followed")
	assert.Equal(t, want, types["verdict"])
	assert.Equal(t, dspy.ListOf(want), types["verdicts"])
	assert.Equal(t, dspy.EnumOf("pointerVerdict", dspy.EnumMember{Name: "UP", Value: "up"}), types["trend"])
	assert.Equal(t, dspy.LiteralOf("yes", "no"), types["label"])
	assert.Equal(t, dspy.LiteralOf("a", "b"), types["named"])
	assert.Equal(t, "claim, prior: verdict -> verdict: verdict, verdicts: list[verdict], trend: pointerVerdict, label: Literal['yes', 'no'], named: Literal['a', 'b']", sig.String())
}

func TestPredictionDecodesEnumValuesIntoTheGoType(t *testing.T) {
	sig := dspy.MustSignatureOf(structWithEnums{})
	out, err := (&dspy.ChatAdapter{}).Parse(sig, "[[ ## verdict ## ]]\nNO\n\n[[ ## verdicts ## ]]\n[\"yes\"]\n\n[[ ## trend ## ]]\nUP\n\n[[ ## label ## ]]\nyes\n\n[[ ## named ## ]]\na")
	require.NoError(t, err)
	var got structWithEnums
	require.NoError(t, out.Decode(&got))
	assert.Equal(t, verdict("no"), got.Verdict, "read by member name, stored as the member's value")
	assert.Equal(t, []verdict{"yes"}, got.Verdicts)
	assert.Equal(t, pointerVerdict("up"), got.Trend)
}

type badEnumKind int

func (badEnumKind) EnumMembers() []dspy.EnumMember { return []dspy.EnumMember{{Name: "A", Value: "1"}} }

type emptyEnum string

func (emptyEnum) EnumMembers() []dspy.EnumMember { return nil }

type aliasedEnum string

func (aliasedEnum) EnumMembers() []dspy.EnumMember {
	return []dspy.EnumMember{{Name: "GOOD", Value: "good"}, {Name: "FINE", Value: "good"}}
}

func TestSignatureOfRejectsMalformedEnums(t *testing.T) {
	type notString struct {
		V badEnumKind `dspy:"output"`
	}
	type noMembers struct {
		V emptyEnum `dspy:"output"`
	}
	type alias struct {
		V aliasedEnum `dspy:"output"`
	}
	type tagOnEnum struct {
		V verdict `dspy:"output" enum:"yes,no"`
	}
	tests := []struct {
		name    string
		v       any
		wantErr string
	}{
		{"not a string type", notString{}, "field V: type dspy_test.badEnumKind has an EnumMembers method but is not a string type; an Enum's values are its members' value strings, so declare it as `type badEnumKind string`"},
		{"no members", noMembers{}, "field V: type dspy_test.emptyEnum: enum emptyEnum has no members"},
		{"shared value", alias{}, `enum aliasedEnum: members GOOD and FINE share the value "good"; give each member its own value`},
		{"enum tag on an Enum type", tagOnEnum{}, "type verdict is an Enum already (it has an EnumMembers method); remove the enum tag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := dspy.SignatureOf(tt.v)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

func TestNewSignatureRejectsMalformedEnums(t *testing.T) {
	tests := []struct {
		name    string
		typ     dspy.Type
		wantErr string
	}{
		{"no name", dspy.EnumOf("", dspy.EnumMember{Name: "A", Value: "a"}), `enum name "" must be a Python-style identifier`},
		{"no members", dspy.EnumOf("Color"), "enum Color has no members: give EnumOf at least one EnumMember{Name, Value}"},
		{"bad member name", dspy.EnumOf("Color", dspy.EnumMember{Name: "dark red", Value: "x"}), `enum Color: member name "dark red" must be a Python-style identifier`},
		{"repeated name", dspy.EnumOf("Color", dspy.EnumMember{Name: "RED", Value: "r"}, dspy.EnumMember{Name: "RED", Value: "s"}), "enum Color: member name RED appears twice"},
		{"nested in a list", dspy.ListOf(dspy.EnumOf("Color")), "enum Color has no members"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := dspy.NewSignature([]dspy.Field{dspy.NewField("q", dspy.StringType)}, []dspy.Field{dspy.NewField("color", tt.typ)}, "")
			require.Error(t, err)
			assert.Contains(t, err.Error(), `signature field "color": `+tt.wantErr)
		})
	}
}

func TestEnumTypeSpellingAndSchema(t *testing.T) {
	assert.Equal(t, "Sentiment", sentimentEnum.String())
	assert.Equal(t, "list[Sentiment]", dspy.ListOf(sentimentEnum).String())
	assert.Equal(t, map[string]any{"type": "string", "title": "Sentiment", "enum": []any{"positive", "negative", "neutral"}}, sentimentEnum.JSONSchema())
}

func TestTypeUnmarshalRejectsMalformedEnums(t *testing.T) {
	var typ dspy.Type
	err := json.Unmarshal([]byte(`{"enum": "Color", "members": []}`), &typ)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `enum type {"enum": "Color", "members": [...]}: enum Color has no members`)

	err = json.Unmarshal([]byte(`{"enum": "Color", "members": [{"name": "A", "value": "x"}, {"name": "B", "value": "x"}]}`), &typ)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `members A and B share the value "x"`)
}

func TestSignatureJSONRoundTripsEnumFields(t *testing.T) {
	sig := enumSig(t, []dspy.Field{dspy.NewField("text", dspy.StringType)}, []dspy.Field{
		dspy.NewField("sentiment", sentimentEnum).WithDesc("how the writer feels"),
		dspy.NewField("all", dspy.ListOf(sentimentEnum)),
	})
	b, err := json.Marshal(sig)
	require.NoError(t, err)
	var back dspy.Signature
	require.NoError(t, json.Unmarshal(b, &back))
	assert.True(t, sig.Equal(back), "%s", b)
	f, _, _ := back.Field("sentiment")
	assert.Equal(t, sentimentEnum, f.Type)
}
