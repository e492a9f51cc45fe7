package lm

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDecodeReplyAsOpenAIGo checks decodeReply against openai-go decoding
// the same reply into the same type: the same completion, or the same error.
func TestDecodeReplyAsOpenAIGo(t *testing.T) {
	const ok = `{"model":"m","choices":[{"message":{"content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1}}`
	tests := []struct {
		name, contentType, body string
	}{
		{"plain JSON", "application/json", ok},
		{"JSON with a charset", "application/json; charset=utf-8", ok},
		{"upper-case media type", "Application/JSON", ok},
		{"a +json media type", "application/vnd.api+json", ok},
		{"trailing newline", "application/json", ok + "\n"},
		{"text after the value", "application/json", ok + " trailing"},
		{"a second value", "application/json", ok + ok},
		{"truncated", "application/json", `{"choices":[`},
		{"empty", "application/json", ``},
		{"wrong field type", "application/json", `{"model":5,"choices":[]}`},
		{"content parts", "application/json", `{"choices":[{"message":{"content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}}]}`},
		{"content neither text nor parts", "application/json", `{"choices":[{"message":{"content":42}}]}`},
		{"float and null counts", "application/json", `{"choices":[],"usage":{"prompt_tokens":12.0,"completion_tokens":null}}`},
		{"HTML", "text/html", "<html>hello</html>"},
		{"no content type", "", ok},
		{"malformed content type", "application/json;;", ok},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header()["Content-Type"] = []string{tt.contentType}
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			oa := openai.NewClient(option.WithBaseURL(srv.URL), option.WithAPIKey("k"), option.WithMaxRetries(0))
			ctx := context.Background()

			var want chatCompletion
			wantErr := oa.Post(ctx, "chat/completions", []byte(`{}`), &want)
			if wantErr == nil {
				if err := want.readContent(); err != nil {
					wantErr = fmt.Errorf("error parsing response json: %w", err)
				}
			}

			var res *http.Response
			require.NoError(t, oa.Post(ctx, "chat/completions", []byte(`{}`), &res))
			var got chatCompletion
			gotErr := decodeReply(res, &got)

			if wantErr != nil {
				require.Error(t, gotErr)
				assert.Equal(t, wantErr.Error(), gotErr.Error())
			} else {
				require.NoError(t, gotErr)
			}
			assert.Equal(t, want, got)
		})
	}
}
