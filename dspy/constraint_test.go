package dspy_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// ratingSig is Python's
//
//	class Rate(dspy.Signature):
//	    text: str = dspy.InputField(min_length=1)
//	    rating: float = dspy.OutputField(desc="how good", ge=0, le=5)
//	    tags: list[str] = dspy.OutputField(max_length=2)
func ratingSig(t *testing.T) dspy.Signature {
	t.Helper()
	sig, err := dspy.NewSignature(
		[]dspy.Field{dspy.NewField("text", dspy.StringType).WithConstraints(dspy.Constraint{Kind: dspy.MinLength, Value: "1"})},
		[]dspy.Field{
			dspy.NewField("rating", dspy.FloatType).WithDesc("how good").WithConstraints(
				dspy.Constraint{Kind: dspy.GreaterOrEqual, Value: "0"}, dspy.Constraint{Kind: dspy.LessOrEqual, Value: "5"}),
			dspy.NewField("tags", dspy.ListOf(dspy.StringType)).WithConstraints(dspy.Constraint{Kind: dspy.MaxLength, Value: "2"}),
		}, "")
	require.NoError(t, err)
	return sig
}

// The field list follows DSPy 3.3's get_field_description_string: ": desc"
// always, then "\nConstraints: " and field.py's texts joined by ", ", and
// the whole list stripped, which leaves the ": " of a field without a
// description in place because its constraints line follows it.
func TestAdaptersDescribeConstraintsAsDSPy(t *testing.T) {
	const fieldList = "Your input fields are:\n" +
		"1. `text` (str): \nConstraints: minimum length: 1\n" +
		"Your output fields are:\n" +
		"1. `rating` (float): how good\nConstraints: greater than or equal to: 0, less than or equal to: 5\n" +
		"2. `tags` (list[str]): \nConstraints: maximum length: 2\n" +
		"All interactions will be structured in the following way"
	for _, adapter := range []dspy.Adapter{&dspy.ChatAdapter{}, &dspy.JSONAdapter{}} {
		msgs, err := adapter.Format(ratingSig(t), nil, dspy.NewExample("text", "Great soup."))
		require.NoError(t, err)
		assert.True(t, strings.HasPrefix(msgs[0].Content, fieldList), "%T system message:\n%s", adapter, msgs[0].Content)
	}
}

func TestParsedOutputsAreHeldToTheirConstraints(t *testing.T) {
	sig := ratingSig(t)
	chat := &dspy.ChatAdapter{}
	out, err := chat.Parse(sig, "[[ ## rating ## ]]\n4.5\n\n[[ ## tags ## ]]\n[\"warm\", \"salty\"]\n\n[[ ## completed ## ]]")
	require.NoError(t, err)
	rating, _ := out.Get("rating")
	assert.Equal(t, 4.5, rating)

	for reply, want := range map[string]string{
		"[[ ## rating ## ]]\n7\n\n[[ ## tags ## ]]\n[]":                    "7.0 breaks the constraint le=5 (less than or equal to: 5)",
		"[[ ## rating ## ]]\n-1\n\n[[ ## tags ## ]]\n[]":                   "-1.0 breaks the constraint ge=0 (greater than or equal to: 0)",
		"[[ ## rating ## ]]\n3\n\n[[ ## tags ## ]]\n[\"a\", \"b\", \"c\"]": "length 3 breaks the constraint max_length=2 (maximum length: 2)",
	} {
		_, err := chat.Parse(sig, reply)
		var pe *dspy.ParseError
		require.True(t, errors.As(err, &pe), "%q: %v", reply, err)
		assert.Contains(t, pe.Error(), want, reply)
	}

	_, err = (&dspy.JSONAdapter{}).Parse(sig, `{"rating": 5.5, "tags": []}`)
	var pe *dspy.ParseError
	require.True(t, errors.As(err, &pe), "%v", err)
	assert.Equal(t, "rating", pe.Field)
	assert.Contains(t, pe.Error(), "5.5 breaks the constraint le=5")
}

func TestConstraintBoundsFollowPydantic(t *testing.T) {
	sig, err := dspy.NewSignature(nil, []dspy.Field{
		dspy.NewField("n", dspy.IntType).WithConstraints(
			dspy.Constraint{Kind: dspy.GreaterThan, Value: "0"}, dspy.Constraint{Kind: dspy.LessThan, Value: "100"},
			dspy.Constraint{Kind: dspy.MultipleOf, Value: "5"}),
		dspy.NewField("x", dspy.FloatType).WithConstraints(dspy.Constraint{Kind: dspy.MultipleOf, Value: "0.1"}),
		dspy.NewField("name", dspy.StringType).WithConstraints(dspy.Constraint{Kind: dspy.MinLength, Value: "2"}, dspy.Constraint{Kind: dspy.MaxLength, Value: "3"}),
	}, "")
	require.NoError(t, err)
	parse := func(n, x, name string) error {
		_, err := (&dspy.ChatAdapter{}).Parse(sig, "[[ ## n ## ]]\n"+n+"\n[[ ## x ## ]]\n"+x+"\n[[ ## name ## ]]\n"+name)
		return err
	}
	assert.NoError(t, parse("95", "0.3", "Zoë"), "0.3 is a multiple of 0.1 up to rounding; Zoë is 3 characters")
	assert.ErrorContains(t, parse("0", "0.3", "Al"), "gt=0")
	assert.ErrorContains(t, parse("100", "0.3", "Al"), "lt=100")
	assert.ErrorContains(t, parse("12", "0.3", "Al"), "multiple_of=5")
	assert.ErrorContains(t, parse("5", "0.35", "Al"), "multiple_of=0.1")
	assert.ErrorContains(t, parse("5", "0.3", "A"), "min_length=2")
	assert.ErrorContains(t, parse("5", "0.3", "Alan"), "max_length=3")
}

func TestConstraintsMustFitTheirField(t *testing.T) {
	for _, tt := range []struct {
		name  string
		field dspy.Field
		want  string
	}{
		{"bound on text", dspy.NewField("a", dspy.StringType).WithConstraints(dspy.Constraint{Kind: dspy.GreaterOrEqual, Value: "0"}), `field "a": constraint ge applies to int and float fields, not str`},
		{"length of a number", dspy.NewField("a", dspy.IntType).WithConstraints(dspy.Constraint{Kind: dspy.MaxLength, Value: "3"}), "constraint max_length applies to str, Literal, Enum and list fields, not int"},
		{"unknown kind", dspy.NewField("a", dspy.IntType).WithConstraints(dspy.Constraint{Kind: "between", Value: "3"}), `constraint "between": unknown kind`},
		{"bound not a number", dspy.NewField("a", dspy.IntType).WithConstraints(dspy.Constraint{Kind: dspy.LessThan, Value: "ten"}), "lt=ten: the bound must be a finite number"},
		{"fractional length", dspy.NewField("a", dspy.StringType).WithConstraints(dspy.Constraint{Kind: dspy.MinLength, Value: "1.5"}), "a length must be a non-negative integer"},
		{"zero divisor", dspy.NewField("a", dspy.IntType).WithConstraints(dspy.Constraint{Kind: dspy.MultipleOf, Value: "0"}), "the divisor must be positive"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := dspy.NewSignature(nil, []dspy.Field{tt.field}, "")
			assert.ErrorContains(t, err, tt.want)
		})
	}
}

type reviewSignature struct {
	Text   string   `dspy:"input"`
	Rating int      `dspy:"output" constraints:"ge=1, le=5"`
	Tags   []string `dspy:"output" constraints:"max_length=3"`
}

func TestStructTagsCarryConstraints(t *testing.T) {
	sig, err := dspy.SignatureOf(reviewSignature{}, "")
	require.NoError(t, err)
	rating, _, _ := sig.Field("rating")
	assert.Equal(t, []dspy.Constraint{{Kind: dspy.GreaterOrEqual, Value: "1"}, {Kind: dspy.LessOrEqual, Value: "5"}}, rating.Constraints)
	assert.Equal(t, "greater than or equal to: 1", rating.Constraints[0].String())

	type badTag struct {
		N int `dspy:"output" constraints:"ge"`
	}
	_, err = dspy.SignatureOf(badTag{}, "")
	assert.ErrorContains(t, err, `constraint "ge": write kind=value, e.g. ge=0`)
}
