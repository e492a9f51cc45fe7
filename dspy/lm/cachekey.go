package lm

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// cacheKey returns the hex SHA-256 of the request's canonical JSON: an
// object, keys sorted and unset fields left out, holding the model, messages,
// temperature, max_tokens, n, response_format, stop and rollout. Like DSPy's
// key it leaves out the API key and the base URL, so a cache can be shared
// across endpoints serving the same model without ever holding a secret.
// The request must already be resolved against the client's defaults.
func cacheKey(req dspy.LMRequest) string {
	bp := keyBufPool.Get().(*[]byte)
	b := appendCanonicalRequest((*bp)[:0], req)
	sum := sha256.Sum256(b)
	*bp = b
	keyBufPool.Put(bp)
	return hex.EncodeToString(sum[:])
}

var keyBufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// appendCanonicalRequest writes the request's canonical JSON. It is written by
// hand, in sorted key order, because this runs on every call: a reflective
// encoder would cost more than the rest of the wrapper.
func appendCanonicalRequest(b []byte, req dspy.LMRequest) []byte {
	b = append(b, '{')
	if req.MaxTokens != 0 {
		b = append(b, `"max_tokens":`...)
		b = strconv.AppendInt(b, int64(req.MaxTokens), 10)
		b = append(b, ',')
	}
	b = append(b, `"messages":[`...)
	for i, m := range req.Messages {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"content":`...)
		b = appendJSONString(b, m.Content)
		b = appendCanonicalParts(b, m.Parts)
		b = appendMessageToolsKey(b, m)
		b = append(b, `,"role":`...)
		b = appendJSONString(b, m.Role)
		b = append(b, '}')
	}
	b = append(b, `],"model":`...)
	b = appendJSONString(b, req.Model)
	b = append(b, `,"n":`...)
	b = strconv.AppendInt(b, int64(req.N), 10)
	b = appendParallelToolCallsKey(b, req)
	if rf := req.ResponseFormat; rf != nil {
		// Schemas are rare and small next to the messages; encoding/json sorts
		// map keys, which keeps this part canonical too.
		b = append(b, `,"response_format":{"name":`...)
		b = appendJSONString(b, rf.Name)
		b = append(b, `,"schema":`...)
		if schema, err := json.Marshal(rf.Schema); err == nil {
			b = append(b, schema...)
		} else {
			// Unencodable schemas fail when the request is sent, before
			// anything is cached; the error text still keeps keys distinct.
			b = appendJSONString(b, err.Error())
		}
		b = append(b, `,"strict":`...)
		b = strconv.AppendBool(b, rf.Strict)
		b = append(b, `,"type":`...)
		b = appendJSONString(b, rf.Type)
		b = append(b, '}')
	}
	if req.Rollout != 0 {
		b = append(b, `,"rollout":`...)
		b = strconv.AppendInt(b, int64(req.Rollout), 10)
	}
	if len(req.Stop) > 0 {
		b = append(b, `,"stop":[`...)
		for i, s := range req.Stop {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, s)
		}
		b = append(b, ']')
	}
	if req.Temperature != nil {
		b = append(b, `,"temperature":`...)
		b = strconv.AppendFloat(b, *req.Temperature, 'g', -1, 64)
	}
	b = appendToolsKey(b, req)
	return append(b, '}')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string literal. Invalid UTF-8 becomes
// U+FFFD, as encoding/json does, so the encoding is a function of the text.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
