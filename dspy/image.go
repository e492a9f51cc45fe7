package dspy

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/durable-dspy/durable-dspy/internal/pyfmt"
)

// Image is an image input, DSPy's dspy.Image: an http(s) or gs URL, or a
// data URI holding the image's bytes. Adapters send it to the LM as an
// OpenAI image_url content part between the text of the other fields, and
// saved programs hold it in DSPy's form, so demos with images move between
// this package and Python DSPy. Build one with NewImage, ImageFromFile or
// ImageFromBytes.
type Image struct {
	// URL is the image's URL or data URI.
	URL string
}

// ImageType is the type of an Image field ("image: Image" in a signature).
var ImageType = Type{Kind: KindImage}

// The markers DSPy wraps a custom type's content parts in when it renders the
// type as text; adapters split user messages on them.
const (
	customTypeStart = "<<CUSTOM-TYPE-START-IDENTIFIER>>"
	customTypeEnd   = "<<CUSTOM-TYPE-END-IDENTIFIER>>"
)

// NewImage returns the image at source: an http, https or gs URL, or a data
// URI ("data:image/png;base64,..."), which must be well formed. A local file
// is read with ImageFromFile instead, as DSPy's Image.from_path reads it.
func NewImage(source string) (Image, error) {
	source = strings.TrimSpace(source)
	if !utf8.ValidString(source) {
		// Saved programs and requests are JSON, which cannot carry it.
		return Image{}, fmt.Errorf("image %s is not valid UTF-8", pyfmt.ShortRepr(source))
	}
	if strings.HasPrefix(source, "data:") {
		if _, _, err := ParseDataURI(source); err != nil {
			return Image{}, err
		}
		return Image{URL: source}, nil
	}
	if isImageURL(source) {
		return Image{URL: source}, nil
	}
	return Image{}, fmt.Errorf("image %s is neither an http(s) or gs URL nor a data URI; read a local file with ImageFromFile", pyfmt.ShortRepr(source))
}

// ImageFromFile reads the image file at path into a data URI whose media type
// follows the file's extension, as DSPy's Image.from_path does.
func ImageFromFile(path string) (Image, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Image{}, fmt.Errorf("image file %s: %w", path, err)
	}
	mediaType := imageMediaType(path)
	if mediaType == "" {
		return Image{}, fmt.Errorf("image file %s: could not determine the media type from its extension", path)
	}
	return ImageFromBytes(data, mediaType)
}

// ImageFromBytes returns the image holding data, of the given media type
// ("image/png"), as a data URI.
func ImageFromBytes(data []byte, mediaType string) (Image, error) {
	if !validMediaType(mediaType) {
		return Image{}, fmt.Errorf("image bytes: media type %q is not of the form type/subtype", mediaType)
	}
	return Image{URL: "data:" + mediaType + ";base64," + base64.StdEncoding.EncodeToString(data)}, nil
}

// Parts returns the content parts the image is sent as: one image_url part.
func (im Image) Parts() []ContentPart { return []ContentPart{ImagePart(im.URL)} }

// String renders the image as DSPy renders a custom type in text: its
// content parts as JSON between DSPy's markers. Adapters turn the markers
// back into parts, and saved demos hold this text.
func (im Image) String() string {
	var b bytes.Buffer
	b.WriteString(customTypeStart)
	pyfmt.WriteJSON(&b, []any{pyfmt.Object{
		{Key: "type", Value: PartImage},
		{Key: "image_url", Value: pyfmt.Object{{Key: "url", Value: im.URL}}},
	}}, pyfmt.JSONStyle{})
	b.WriteString(customTypeEnd)
	return b.String()
}

// MarshalJSON writes the image as DSPy saves it in a demo: the text String
// returns, as a JSON string.
func (im Image) MarshalJSON() ([]byte, error) { return marshalNoEscape(im.String()) }

// UnmarshalJSON reads an image as DSPy saves it (see MarshalJSON), as
// {"url": ...}, or as a URL or data URI string.
func (im *Image) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var obj struct {
			URL *string `json:"url"`
		}
		if err := json.Unmarshal(b, &obj); err != nil || obj.URL == nil {
			return fmt.Errorf("an image must be a string or {\"url\": ...}")
		}
		s = *obj.URL
	}
	parsed, err := ParseImageValue(s)
	if err != nil {
		return err
	}
	*im = parsed
	return nil
}

// ParseImageValue reads an image from text: DSPy's saved form (String's
// output), a URL or a data URI.
func ParseImageValue(s string) (Image, error) {
	trimmed := strings.TrimSpace(s)
	if !strings.HasPrefix(trimmed, customTypeStart) {
		return NewImage(trimmed)
	}
	if !strings.HasSuffix(trimmed, customTypeEnd) || len(trimmed) < len(customTypeStart)+len(customTypeEnd) {
		return Image{}, fmt.Errorf("saved image %s: no closing %s", pyfmt.ShortRepr(s), customTypeEnd)
	}
	parts, err := customTypeParts(pyfmt.Strip(trimmed[len(customTypeStart) : len(trimmed)-len(customTypeEnd)]))
	if err != nil {
		return Image{}, fmt.Errorf("saved image %s: %w", pyfmt.ShortRepr(s), err)
	}
	if len(parts) != 1 || parts[0].Type != PartImage || parts[0].ImageURL == nil {
		return Image{}, fmt.Errorf("saved image %s: want one image_url part", pyfmt.ShortRepr(s))
	}
	return NewImage(parts[0].ImageURL.URL)
}

// ParseDataURI reads a data URI ("data:image/png;base64,iVBOR..."): its media
// type (empty if it names none) and its bytes. Only base64 and
// percent-encoded payloads exist; anything else is an error saying what is
// wrong.
func ParseDataURI(s string) (mediaType string, data []byte, err error) {
	rest, ok := strings.CutPrefix(s, "data:")
	if !ok {
		return "", nil, fmt.Errorf("data URI %s does not start with \"data:\"", pyfmt.ShortRepr(s))
	}
	header, payload, ok := strings.Cut(rest, ",")
	if !ok {
		return "", nil, fmt.Errorf("data URI %s has no \",\" before its data", pyfmt.ShortRepr(s))
	}
	params := strings.Split(header, ";")
	mediaType = params[0]
	if mediaType != "" && !validMediaType(mediaType) {
		return "", nil, fmt.Errorf("data URI %s: media type %q is not of the form type/subtype", pyfmt.ShortRepr(s), mediaType)
	}
	encoded := false
	for _, p := range params[1:] {
		if p == "base64" {
			encoded = true
		}
	}
	if encoded {
		data, err = base64.StdEncoding.DecodeString(payload)
		if err != nil {
			return "", nil, fmt.Errorf("data URI %s: bad base64 data: %w", pyfmt.ShortRepr(s), err)
		}
		return mediaType, data, nil
	}
	text, err := url.PathUnescape(payload)
	if err != nil {
		return "", nil, fmt.Errorf("data URI %s: %w", pyfmt.ShortRepr(s), err)
	}
	return mediaType, []byte(text), nil
}

// validMediaType reports whether s is type/subtype, both tokens.
func validMediaType(s string) bool {
	typ, sub, ok := strings.Cut(s, "/")
	return ok && isMediaToken(typ) && isMediaToken(sub)
}

func isMediaToken(s string) bool {
	for _, r := range s {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune(`()<>@,;:\"/[]?=`, r) {
			return false
		}
	}
	return s != ""
}

// isImageURL is DSPy's is_url: an http, https or gs URL with a host.
func isImageURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	switch u.Scheme {
	case "http", "https", "gs":
		return u.Host != ""
	}
	return false
}

// imageMediaTypes are the image types Python's mimetypes knows (its own table and
// the usual system one's webp), so a file gets the media type DSPy would give it.
var imageMediaTypes = map[string]string{
	".avif": "image/avif",
	".bmp":  "image/bmp",
	".gif":  "image/gif",
	".heic": "image/heic",
	".heif": "image/heif",
	".ico":  "image/vnd.microsoft.icon",
	".ief":  "image/ief",
	".jpe":  "image/jpeg",
	".jpeg": "image/jpeg",
	".jpg":  "image/jpeg",
	".pbm":  "image/x-portable-bitmap",
	".pgm":  "image/x-portable-graymap",
	".png":  "image/png",
	".pnm":  "image/x-portable-anymap",
	".ppm":  "image/x-portable-pixmap",
	".ras":  "image/x-cmu-raster",
	".rgb":  "image/x-rgb",
	".svg":  "image/svg+xml",
	".tif":  "image/tiff",
	".tiff": "image/tiff",
	".webp": "image/webp",
	".xbm":  "image/x-xbitmap",
	".xpm":  "image/x-xpixmap",
	".xwd":  "image/x-xwindowdump",
}

// imageMediaType guesses a file's media type from its extension, as
// mimetypes.guess_type does: exact case first, then lower case.
func imageMediaType(path string) string {
	ext := filepath.Ext(path)
	if t, ok := imageMediaTypes[ext]; ok {
		return t
	}
	if t, ok := imageMediaTypes[strings.ToLower(ext)]; ok {
		return t
	}
	t, _, _ := strings.Cut(mime.TypeByExtension(ext), ";")
	return t
}

// imageSchema is the JSON schema pydantic gives dspy.Image.
func imageSchema() map[string]any {
	return map[string]any{
		"type":                 "object",
		"title":                "Image",
		"properties":           map[string]any{"url": map[string]any{"type": "string", "title": "Url"}},
		"required":             []any{"url"},
		"additionalProperties": false,
	}
}

// loadImages copies saved demos, reading the images their Image and
// list[Image] fields hold in DSPy's saved form back into Image values. A
// value that is not such an image stays as it was: it formats the same.
func loadImages(sig Signature, demos []Example) []Example {
	out := append([]Example(nil), demos...)
	for _, f := range sig.Fields() {
		isList := f.Type.Kind == KindList && f.Type.Elem != nil && f.Type.Elem.Kind == KindImage
		if f.Type.Kind != KindImage && !isList {
			continue
		}
		for i, d := range out {
			v, ok := d.Get(f.Name)
			if !ok {
				continue
			}
			if loaded, changed := loadImageValue(v); changed {
				out[i] = d.Set(f.Name, loaded)
			}
		}
	}
	return out
}

func loadImageValue(v any) (any, bool) {
	switch x := v.(type) {
	case string:
		if !strings.HasPrefix(strings.TrimSpace(x), customTypeStart) {
			return v, false
		}
		im, err := ParseImageValue(x)
		if err != nil {
			return v, false
		}
		return im, true
	case []any:
		items := make([]any, len(x))
		changed := false
		for i, item := range x {
			var c bool
			items[i], c = loadImageValue(item)
			changed = changed || c
		}
		return items, changed
	}
	return v, false
}
