package dspy_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// imageSeeds are the image URLs and saved image values of the golden cases.
func imageSeeds(t testing.TB) []string {
	g := loadImageGolden(t)
	var seeds []string
	for _, c := range g.Format {
		for _, m := range c.Messages {
			for _, p := range m.Parts {
				if p.ImageURL != nil {
					seeds = append(seeds, p.ImageURL.URL)
				}
			}
		}
	}
	for _, c := range g.Saved {
		for _, d := range c.State.Demos {
			for _, field := range bytes.Split(d, []byte(`"<<`)) {
				if end := bytes.Index(field, []byte(`>>"`)); end >= 0 {
					seeds = append(seeds, strings.ReplaceAll("<<"+string(field[:end])+">>", `\"`, `"`))
				}
			}
		}
	}
	return seeds
}

// A data URI is outside input: it parses or is an error, and what parses
// encodes back to the same bytes.
func FuzzParseDataURI(f *testing.F) {
	for _, s := range imageSeeds(f) {
		f.Add(s)
	}
	f.Add("data:,hello%20world")
	f.Add("data:text/plain;charset=utf-8;base64,aGk=")
	f.Add("data:image/png;base64,@@")
	f.Fuzz(func(t *testing.T, s string) {
		mediaType, data, err := dspy.ParseDataURI(s)
		if err != nil || mediaType == "" {
			return
		}
		im, err := dspy.ImageFromBytes(data, mediaType)
		if err != nil {
			t.Fatalf("media type %q parsed from %q is refused: %v", mediaType, s, err)
		}
		mt2, data2, err := dspy.ParseDataURI(im.URL)
		if err != nil || mt2 != mediaType || !bytes.Equal(data, data2) {
			t.Fatalf("%q does not round-trip: %q %q %v", s, mt2, data2, err)
		}
	})
}

// A saved image value is outside input: it reads into an image or is an
// error, and an image reads back from the text it saves as.
func FuzzParseImageValue(f *testing.F) {
	for _, s := range imageSeeds(f) {
		f.Add(s)
	}
	f.Add(`<<CUSTOM-TYPE-START-IDENTIFIER>>[{"type": "text", "text": "x"}]<<CUSTOM-TYPE-END-IDENTIFIER>>`)
	f.Add(`<<CUSTOM-TYPE-START-IDENTIFIER>>[{\"type\": \"image_url\", \"image_url\": {\"url\": \"https://a.b/c\"}}]<<CUSTOM-TYPE-END-IDENTIFIER>>`)
	f.Fuzz(func(t *testing.T, s string) {
		im, err := dspy.ParseImageValue(s)
		if err != nil {
			return
		}
		back, err := dspy.ParseImageValue(im.String())
		if err != nil || back != im {
			t.Fatalf("%q read as %q, which does not read back: %q %v", s, im.URL, back.URL, err)
		}
	})
}

// Text holding DSPy's custom-type markers is outside input too (an input
// value, a demo loaded from a file): formatting it splits the message into
// parts or reports a bad part, never panics, and text without markers is
// left a plain string.
func FuzzFormatSplitsCustomTypeMarkers(f *testing.F) {
	for _, s := range imageSeeds(f) {
		f.Add(s)
		f.Add("before " + s + " after")
	}
	f.Add(`<<CUSTOM-TYPE-START-IDENTIFIER>>[{"type": "input_audio"}]<<CUSTOM-TYPE-END-IDENTIFIER>>`)
	f.Add(`<<CUSTOM-TYPE-START-IDENTIFIER>>not json<<CUSTOM-TYPE-END-IDENTIFIER>>`)
	sig := dspy.MustSignature("question -> answer")
	f.Fuzz(func(t *testing.T, text string) {
		msgs, err := (&dspy.ChatAdapter{}).Format(sig, nil, dspy.NewExample("question", text))
		if err != nil {
			return
		}
		last := msgs[len(msgs)-1]
		if !strings.Contains(text, "<<CUSTOM-TYPE-START-IDENTIFIER>>") && last.Parts != nil {
			t.Fatalf("text without markers was split: %q", text)
		}
	})
}
