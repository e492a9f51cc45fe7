package serve

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// typesSignature has a field of every kind a signature can declare that a
// request body can carry, including an object whose schema has its own $defs.
func typesSignature(t *testing.T) dspy.Signature {
	t.Helper()
	address := dspy.ObjectOf("Address", map[string]any{
		"type": "object",
		"properties": map[string]any{
			"city":    map[string]any{"type": "string"},
			"country": map[string]any{"$ref": "#/$defs/Country"},
		},
		"required": []any{"city", "country"},
		"$defs":    map[string]any{"Country": map[string]any{"type": "string", "enum": []any{"FR", "JP"}}},
	})
	color := dspy.EnumOf("Color", dspy.EnumMember{Name: "RED", Value: "red"}, dspy.EnumMember{Name: "BLUE", Value: "blue"})
	sig, err := dspy.NewSignature([]dspy.Field{
		dspy.NewField("text", dspy.StringType).WithDesc("Some text."),
		dspy.NewField("count", dspy.IntType),
		dspy.NewField("score", dspy.FloatType),
		dspy.NewField("flag", dspy.BoolType),
		dspy.NewField("tags", dspy.ListOf(dspy.StringType)),
		dspy.NewField("mode", dspy.LiteralOf("fast", "slow")),
		dspy.NewField("color", color),
		dspy.NewField("address", address),
		dspy.NewField("meta", dspy.ObjectOf("", nil)),
	}, []dspy.Field{
		dspy.NewField("answer", dspy.StringType),
		dspy.NewField("numbers", dspy.ListOf(dspy.IntType)),
		dspy.NewField("where", address),
	}, "")
	require.NoError(t, err)
	return sig
}

func typesReply(context.Context, dspy.LMRequest) (string, error) {
	return "[[ ## answer ## ]]\nok\n\n[[ ## numbers ## ]]\n[1, 2]\n\n[[ ## where ## ]]\n{\"city\": \"Lyon\", \"country\": \"FR\"}\n\n[[ ## completed ## ]]", nil
}

func TestOpenAPIDocumentValidatesAndDescribesTraffic(t *testing.T) {
	sig := typesSignature(t)
	lm := replyLM(nil)
	lm.Reply = typesReply
	_, srv := startHandler(t, Options{
		Auth: Auth{Tokens: []string{"tok"}, OpenHealth: true},
		Programs: []Program{{Name: "types", LM: lm, Source: FactorySource{
			Signature: sig, New: func() (dspy.Module, error) { return dspy.NewPredict(sig), nil },
		}}},
	})
	r := get(t, srv.URL+"/openapi.json", "Authorization", "Bearer tok")
	require.Equal(t, http.StatusOK, r.status)

	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(r.body)
	require.NoError(t, err)
	require.True(t, doc.IsOpenAPI31OrLater())
	require.NoError(t, doc.Validate(context.Background()), "%s", r.body)

	op := doc.Paths.Find("/v1/programs/types").Post
	require.NotNil(t, op)
	inSchema := op.RequestBody.Value.Content.Get("application/json").Schema
	outSchema := op.Responses.Status(200).Value.Content.Get("application/json").Schema
	require.NotNil(t, inSchema.Value)
	require.NotNil(t, outSchema.Value)

	request := `{"text": "t", "count": 2, "score": 0.5, "flag": true, "tags": ["a"], "mode": "fast",
		"color": "red", "address": {"city": "Paris", "country": "FR"}, "meta": {"k": 1}}`
	var reqValue any
	require.NoError(t, json.Unmarshal([]byte(request), &reqValue))
	require.NoError(t, doc.ValidateSchemaJSON(inSchema.Value, reqValue), "a valid request matches the schema")

	var bad any
	require.NoError(t, json.Unmarshal([]byte(`{"text": "t", "count": "two"}`), &bad))
	assert.Error(t, doc.ValidateSchemaJSON(inSchema.Value, bad), "the schema rejects what the handler rejects")

	resp := post(t, srv.URL+"/v1/programs/types", request, "Authorization", "Bearer tok")
	require.Equal(t, http.StatusOK, resp.status, "%s", resp.body)
	var respValue any
	require.NoError(t, json.Unmarshal(resp.body, &respValue))
	require.NoError(t, doc.ValidateSchemaJSON(outSchema.Value, respValue), "the real response matches its schema: %s", resp.body)

	badAddress := post(t, srv.URL+"/v1/programs/types", `{"text": "t", "count": 2, "score": 0.5, "flag": true, "tags": ["a"],
		"mode": "medium", "color": "green", "address": {"city": "Paris", "country": "DE"}, "meta": {}}`, "Authorization", "Bearer tok")
	require.Equal(t, http.StatusUnprocessableEntity, badAddress.status)
	var fields []string
	for _, f := range badAddress.errorBody(t).Error.Fields {
		fields = append(fields, f.Field)
	}
	assert.Equal(t, []string{"address", "color", "mode"}, fields)

	errSchema := op.Responses.Status(422).Value.Content.Get("application/json").Schema
	var errValue any
	require.NoError(t, json.Unmarshal(badAddress.body, &errValue))
	require.NoError(t, doc.ValidateSchemaJSON(errSchema.Value, errValue), "error bodies match the Error schema")
}
