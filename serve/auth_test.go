package serve

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBearerAuth(t *testing.T) {
	logs := &syncBuffer{}
	h, srv := startHandler(t, Options{
		LogWriter: logs,
		Auth:      Auth{Tokens: []string{"tok-one", "tok-two"}, OpenHealth: true},
		Programs:  []Program{{Name: "qa", LM: replyLM(nil), Source: SpecSource{Spec: qaSpec()}}},
	})
	call := srv.URL + "/v1/programs/qa"
	body := `{"question": "q"}`

	r := post(t, call, body)
	assert.Equal(t, http.StatusUnauthorized, r.status)
	assert.Equal(t, CodeUnauthorized, r.errorBody(t).Error.Code)
	assert.Contains(t, r.header.Get("WWW-Authenticate"), "Bearer")
	assert.Equal(t, http.StatusUnauthorized, post(t, call, body, "Authorization", "Bearer tok-three").status)
	assert.Equal(t, http.StatusUnauthorized, post(t, call, body, "Authorization", "Basic tok-one").status)
	assert.Equal(t, http.StatusOK, post(t, call, body, "Authorization", "Bearer tok-one").status)
	assert.Equal(t, http.StatusOK, post(t, call, body, "Authorization", "bearer tok-two").status)

	assert.Equal(t, http.StatusOK, get(t, srv.URL+"/health/live").status, "health is open")
	assert.Equal(t, http.StatusOK, get(t, srv.URL+"/health/ready").status)
	assert.Equal(t, http.StatusUnauthorized, get(t, srv.URL+"/metrics").status, "metrics are not")
	assert.Equal(t, http.StatusUnauthorized, get(t, srv.URL+"/v1/programs").status)
	assert.Equal(t, http.StatusUnauthorized, get(t, srv.URL+"/openapi.json").status)
	assert.Equal(t, http.StatusOK, get(t, srv.URL+"/metrics", "Authorization", "Bearer tok-two").status)

	require.NoError(t, h.Close())
	lines := logLines(t, logs)
	require.Len(t, lines, 5, "refused requests are logged too")
	for _, l := range lines {
		assert.NotContains(t, strings.Join([]string{string(l.Inputs), l.Error}, " "), "tok-", "no token in the log")
	}
}

func TestCORS(t *testing.T) {
	_, srv := startHandler(t, Options{
		CORS:     CORS{AllowedOrigins: []string{"https://app.example"}},
		Programs: []Program{{Name: "qa", LM: replyLM(nil), Source: SpecSource{Spec: qaSpec()}}},
	})
	r, err := do(t, t.Context(), http.MethodOptions, srv.URL+"/v1/programs/qa", "",
		"Origin", "https://app.example", "Access-Control-Request-Method", "POST")
	require.NoError(t, err)
	assert.Equal(t, http.StatusNoContent, r.status)
	assert.Equal(t, "https://app.example", r.header.Get("Access-Control-Allow-Origin"))
	assert.Contains(t, r.header.Get("Access-Control-Allow-Headers"), "Authorization")

	ok := post(t, srv.URL+"/v1/programs/qa", `{"question": "q"}`, "Origin", "https://app.example")
	assert.Equal(t, "https://app.example", ok.header.Get("Access-Control-Allow-Origin"))
	assert.Contains(t, ok.header.Get("Access-Control-Expose-Headers"), "X-Request-ID")

	other := post(t, srv.URL+"/v1/programs/qa", `{"question": "q"}`, "Origin", "https://evil.example")
	assert.Empty(t, other.header.Get("Access-Control-Allow-Origin"))
}
