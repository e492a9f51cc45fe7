package dspy_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/internal/pyfmt"
)

const goldenImage = "testdata/golden/image.json"

// imageGoldenFile holds what DSPy 3.3.1 sends for image inputs with each
// adapter, and how it saves image demos (scripts/golden/image.py).
type imageGoldenFile struct {
	Format []struct {
		Name         string            `json:"name"`
		Adapter      string            `json:"adapter"`
		Instructions string            `json:"instructions"`
		InputFields  json.RawMessage   `json:"input_fields"`
		OutputFields json.RawMessage   `json:"output_fields"`
		Demos        []json.RawMessage `json:"demos"`
		Inputs       json.RawMessage   `json:"inputs"`
		Messages     []goldenMessage   `json:"messages"`
	} `json:"format"`
	Saved []struct {
		Name      string `json:"name"`
		Signature string `json:"signature"`
		State     struct {
			Demos []json.RawMessage `json:"demos"`
		} `json:"state"`
	} `json:"saved"`
}

func loadImageGolden(t testing.TB) imageGoldenFile {
	t.Helper()
	raw, err := os.ReadFile(goldenImage)
	require.NoError(t, err)
	var g imageGoldenFile
	require.NoError(t, json.Unmarshal(raw, &g))
	require.GreaterOrEqual(t, len(g.Format), 6)
	return g
}

var goldenAdapters = map[string]func() dspy.Adapter{
	"chat": func() dspy.Adapter { return &dspy.ChatAdapter{} },
	"json": func() dspy.Adapter { return &dspy.JSONAdapter{} },
	"xml":  func() dspy.Adapter { return &dspy.XMLAdapter{} },
}

// goldenImageInput builds an input the way the golden case says DSPy got it:
// {"$image": "url" | "file" | "bytes", ...}, or a list of those.
func goldenImageInput(t testing.TB, v any) any {
	t.Helper()
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, item := range x {
			out[i] = goldenImageInput(t, item)
		}
		return out
	case pyfmt.Object:
		spec := map[string]string{}
		for _, e := range x {
			spec[e.Key], _ = e.Value.(string)
		}
		var im dspy.Image
		var err error
		switch spec["$image"] {
		case "url":
			im, err = dspy.NewImage(spec["url"])
		case "file":
			im, err = dspy.ImageFromFile(spec["path"])
		case "bytes":
			data, derr := base64.StdEncoding.DecodeString(spec["data"])
			require.NoError(t, derr)
			im, err = dspy.ImageFromBytes(data, spec["media_type"])
		default:
			return v
		}
		require.NoError(t, err)
		return im
	}
	return v
}

// Images reach the LM as DSPy sends them: each user message that holds one
// is split into text and image_url parts, in the Chat, JSON and XML formats,
// for the inputs and in demos, one image or a list of them.
func TestImage_FormatMatchesDSPyGolden(t *testing.T) {
	for _, tc := range loadImageGolden(t).Format {
		t.Run(tc.Name, func(t *testing.T) {
			sig, err := dspy.NewSignature(typedGoldenFields(t, tc.InputFields), typedGoldenFields(t, tc.OutputFields), tc.Instructions)
			require.NoError(t, err)
			demos := make([]dspy.Example, len(tc.Demos))
			for i, d := range tc.Demos {
				demos[i] = withImages(t, sig, orderedExample(t, sig, d))
			}
			raw := orderedExample(t, sig, tc.Inputs)
			inputs := dspy.NewExample()
			for _, k := range raw.Keys() {
				v, _ := raw.Get(k)
				inputs = inputs.Set(k, goldenImageInput(t, v))
			}
			got, err := goldenAdapters[tc.Adapter]().Format(sig, demos, inputs)
			require.NoError(t, err)
			assertSameMessages(t, tc.Messages, got)

			// Demos loaded as DSPy's saved text, not yet read back into
			// images, format the same.
			asSaved := make([]dspy.Example, len(tc.Demos))
			for i, d := range tc.Demos {
				asSaved[i] = orderedExample(t, sig, d)
			}
			got, err = goldenAdapters[tc.Adapter]().Format(sig, asSaved, inputs)
			require.NoError(t, err)
			assertSameMessages(t, tc.Messages, got)
		})
	}
}

// Image demos are saved as DSPy saves them, and a DSPy state loads into
// images that save back unchanged.
func TestImage_DemosSaveAndLoadInDSPyForm(t *testing.T) {
	for _, tc := range loadImageGolden(t).Saved {
		t.Run(tc.Name, func(t *testing.T) {
			sig := dspy.MustSignature(tc.Signature)
			var dspyDemos []dspy.Example
			for _, d := range tc.State.Demos {
				dspyDemos = append(dspyDemos, orderedExample(t, sig, d))
			}
			p := dspy.NewPredict(sig)
			require.NoError(t, p.LoadState(dspy.PredictorState{Demos: dspyDemos}))
			for _, d := range p.Demos {
				for _, f := range sig.Inputs() {
					v, _ := d.Get(f.Name)
					if f.Type.Kind == dspy.KindImage {
						assert.IsType(t, dspy.Image{}, v)
					} else if f.Type.Kind == dspy.KindList {
						for _, item := range v.([]any) {
							assert.IsType(t, dspy.Image{}, item)
						}
					}
				}
			}
			saved, err := marshalUnescaped(p.State())
			require.NoError(t, err)
			var st struct {
				Demos []json.RawMessage `json:"demos"`
			}
			require.NoError(t, json.Unmarshal(saved, &st))
			require.Len(t, st.Demos, len(tc.State.Demos))
			for i := range st.Demos {
				var want bytes.Buffer
				require.NoError(t, json.Compact(&want, tc.State.Demos[i]))
				assert.Equal(t, want.String(), string(st.Demos[i]))
			}
		})
	}
}

func TestImage_BadSourcesAreClearErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such.png")
	_, err := dspy.ImageFromFile(missing)
	require.Error(t, err)
	assert.Contains(t, err.Error(), missing)

	noExtension := filepath.Join(t.TempDir(), "picture")
	require.NoError(t, os.WriteFile(noExtension, []byte{1}, 0o644))
	_, err = dspy.ImageFromFile(noExtension)
	assert.ErrorContains(t, err, "could not determine the media type")

	for source, want := range map[string]string{
		"data:image/png;base64,@@@":          "bad base64 data",
		"data:image/png;base64":              `no "," before its data`,
		"data:image;base64,AAAA":             "not of the form type/subtype",
		"cat.png":                            "read a local file with ImageFromFile",
		"ftp://example.com/cat.png":          "neither an http(s) or gs URL",
		"https:///no-host.png":               "neither an http(s) or gs URL",
		"<<CUSTOM-TYPE-START-IDENTIFIER>>[]": "no closing",
	} {
		_, err := dspy.ParseImageValue(source)
		assert.ErrorContains(t, err, want, source)
	}
	_, err = dspy.ImageFromBytes([]byte{1}, "png")
	assert.ErrorContains(t, err, "not of the form type/subtype")
}

func TestImage_JSONRoundTripsThroughDSPysSavedForm(t *testing.T) {
	im, err := dspy.ImageFromBytes([]byte("\x89PNG"), "image/png")
	require.NoError(t, err)
	b, err := marshalUnescaped(im)
	require.NoError(t, err)
	assert.Equal(t, `"<<CUSTOM-TYPE-START-IDENTIFIER>>[{\"type\": \"image_url\", \"image_url\": {\"url\": \"data:image/png;base64,iVBORw==\"}}]<<CUSTOM-TYPE-END-IDENTIFIER>>"`, string(b))
	var back dspy.Image
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, im, back)
	require.NoError(t, json.Unmarshal([]byte(`{"url": "https://example.com/a.png"}`), &back))
	assert.Equal(t, "https://example.com/a.png", back.URL)
	mediaType, data, err := dspy.ParseDataURI(im.URL)
	require.NoError(t, err)
	assert.Equal(t, "image/png", mediaType)
	assert.Equal(t, []byte("\x89PNG"), data)
}

// marshalUnescaped encodes v as saved programs are written, without HTML
// escaping, as Python's json.dumps writes them.
func marshalUnescaped(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(v)
	return bytes.TrimRight(buf.Bytes(), "\n"), err
}
