package simlm

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

// The OpenAI embeddings wire format, reduced to what the simulator reads and
// writes. Unknown request fields are ignored, as a real server does.

// maxEmbeddingInputs is OpenAI's cap on the inputs of one request.
const maxEmbeddingInputs = 2048

type embeddingRequest struct {
	Model          string         `json:"model"`
	Input          embeddingInput `json:"input"`
	EncodingFormat string         `json:"encoding_format"`
	Dimensions     *int           `json:"dimensions"`
}

// embeddingInput accepts "input" as a string or an array of strings. Token
// arrays, which OpenAI also takes, are refused: the simulator has no tokenizer
// to turn them back into text.
type embeddingInput []string

func (in *embeddingInput) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var one string
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*in = embeddingInput{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("input must be a string or an array of strings (token arrays are not supported by the simulated LM)")
	}
	*in = many
	return nil
}

// parseEmbeddingRequest decodes and checks a request body, rejecting what a
// real server would answer 400.
func parseEmbeddingRequest(body []byte) (*embeddingRequest, error) {
	var req embeddingRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, fmt.Errorf("parse request: %w", err)
	}
	switch {
	case req.Input == nil:
		return nil, errors.New("input is required")
	case len(req.Input) == 0:
		return nil, errors.New("input must not be an empty array")
	case len(req.Input) > maxEmbeddingInputs:
		return nil, fmt.Errorf("input has %d items; at most %d are allowed", len(req.Input), maxEmbeddingInputs)
	case req.Dimensions != nil && (*req.Dimensions < 1 || *req.Dimensions > maxEmbeddingDimensions):
		return nil, fmt.Errorf("dimensions must be between 1 and %d", maxEmbeddingDimensions)
	}
	switch req.EncodingFormat {
	case "", "float", "base64":
	default:
		return nil, fmt.Errorf("encoding_format %q is not one of float, base64", req.EncodingFormat)
	}
	return &req, nil
}

func (r *embeddingRequest) dimensions() int {
	if r.Dimensions == nil {
		return DefaultEmbeddingDimensions
	}
	return *r.Dimensions
}

type embeddingResponse struct {
	Object string          `json:"object"`
	Data   []embeddingData `json:"data"`
	Model  string          `json:"model"`
	Usage  embeddingUsage  `json:"usage"`
}

type embeddingData struct {
	Object string `json:"object"`
	Index  int    `json:"index"`
	// Embedding is a []float32, or a base64 string of its little-endian
	// bytes when the request asked for encoding_format "base64".
	Embedding any `json:"embedding"`
}

type embeddingUsage struct {
	PromptTokens int `json:"prompt_tokens"`
	TotalTokens  int `json:"total_tokens"`
}

// base64Vector encodes v as the API does for encoding_format "base64".
func base64Vector(v []float32) string {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		u := math.Float32bits(x)
		b[4*i], b[4*i+1], b[4*i+2], b[4*i+3] = byte(u), byte(u>>8), byte(u>>16), byte(u>>24)
	}
	return base64.StdEncoding.EncodeToString(b)
}
