package lm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"sync"
)

// replyBufs holds the buffers replies are read into. A reply is decoded as
// soon as it has been read, so a buffer is out of the pool only for the
// length of one decode, however many calls are in flight.
var replyBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledReply bounds the buffers put back in replyBufs, so that one
// unusually long reply does not stay in memory for good.
const maxPooledReply = 64 << 10

// decodeReply reads a successful chat-completion reply into cc and closes
// its body. It does what openai-go does with a reply it decodes itself (the
// same checks, the same errors), but reads into a pooled buffer and decodes
// it in place, where openai-go allocates a growing buffer, parses the media
// type and copies the body again into a json.Decoder for every call.
func decodeReply(res *http.Response, cc *chatCompletion) error {
	buf := replyBufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= maxPooledReply {
			replyBufs.Put(buf)
		}
	}()
	_, err := buf.ReadFrom(res.Body)
	_ = res.Body.Close()
	if err != nil {
		return fmt.Errorf("error reading response body: %w", err)
	}
	if contentType := res.Header.Get("Content-Type"); !isJSONMediaType(contentType) {
		return fmt.Errorf("expected destination type of 'string' or '[]byte' for responses with content-type '%s' that is not 'application/json'", contentType)
	}
	data := buf.Bytes()
	if err := json.Unmarshal(data, cc); err != nil {
		// openai-go decodes with a json.Decoder, which ignores whatever
		// follows the first value; decoding the same way again keeps the
		// outcome of a malformed reply (and its error) what it was.
		*cc = chatCompletion{}
		if err := json.NewDecoder(bytes.NewReader(data)).Decode(cc); err != nil {
			return fmt.Errorf("error parsing response json: %w", err)
		}
	}
	if err := cc.readContent(); err != nil {
		return fmt.Errorf("error parsing response json: %w", err)
	}
	return nil
}

// isJSONMediaType tells a JSON reply by its Content-Type as openai-go does.
// The plain "application/json" nearly every server sends is recognised
// without parsing it.
func isJSONMediaType(contentType string) bool {
	if contentType == "application/json" {
		return true
	}
	mediaType, _, _ := mime.ParseMediaType(contentType)
	return strings.Contains(mediaType, "application/json") || strings.HasSuffix(mediaType, "+json")
}
