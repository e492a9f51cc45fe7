package lm

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math"
	"strconv"
)

// CacheKey returns the key text's vector is cached under: the hex SHA-256
// of a canonical JSON of the model, the requested dimensions and the text,
// marked as an embedding so that it can never equal a chat request's key in
// a cache both share. As for chat, neither the API key nor the base URL is
// part of it.
//
// The cached dspy.LMResponse holds the vector in Outputs[0], as base64 of
// its little-endian float32 components (the API's own base64 encoding), and
// the text's share of its request's tokens in Usage.PromptTokens.
func (e *Embedder) CacheKey(text string) string {
	b := make([]byte, 0, 64+len(text))
	b = append(b, `{"dimensions":`...)
	b = strconv.AppendInt(b, int64(e.dims), 10)
	b = append(b, `,"input":`...)
	b = appendJSONString(b, text)
	b = append(b, `,"model":`...)
	b = appendJSONString(b, e.c.model)
	b = append(b, `,"object":"embedding"}`...)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func encodeVector(v []float32) string {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return base64.StdEncoding.EncodeToString(b)
}

func decodeVector(s string) ([]float32, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	if len(b)%4 != 0 {
		return nil, errors.New("vector bytes are not a whole number of float32s")
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v, nil
}
