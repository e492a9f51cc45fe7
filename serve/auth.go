package serve

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Auth configures bearer-token authentication. With no tokens every request
// is let in. With tokens, every endpoint needs "Authorization: Bearer <one of
// them>", except health and metrics when opened explicitly (probes and
// scrapers often carry no credentials).
type Auth struct {
	// Tokens are the accepted bearer tokens.
	Tokens []string
	// OpenHealth lets /health/live and /health/ready answer without a token.
	OpenHealth bool
	// OpenMetrics lets /metrics answer without a token.
	OpenMetrics bool
}

// tokenSet compares presented tokens with the configured ones in constant
// time: every configured token is compared, each through its SHA-256 so the
// comparison does not even leak a token's length.
type tokenSet [][sha256.Size]byte

func newTokenSet(tokens []string) tokenSet {
	var s tokenSet
	for _, t := range tokens {
		if t != "" {
			s = append(s, sha256.Sum256([]byte(t)))
		}
	}
	return s
}

func (s tokenSet) enabled() bool { return len(s) > 0 }

func (s tokenSet) allows(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	const prefix = "bearer "
	if len(h) < len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(h[len(prefix):])))
	match := 0
	for i := range s {
		match |= subtle.ConstantTimeCompare(got[:], s[i][:])
	}
	return match == 1
}

// CORS configures cross-origin access for browser clients. The zero value
// sends no CORS headers, so browsers keep their same-origin rule.
type CORS struct {
	// AllowedOrigins lists origins allowed to call; "*" allows any.
	AllowedOrigins []string
	// AllowedHeaders are request headers a browser may send besides the
	// defaults (Authorization, Content-Type, X-Request-ID).
	AllowedHeaders []string
	// MaxAge is how long a browser may cache a preflight answer.
	MaxAge time.Duration
}

// exposedHeaders are the response headers a browser client may read.
const exposedHeaders = "X-Request-ID, Retry-After, X-LM-Calls, X-LM-Prompt-Tokens, X-LM-Completion-Tokens, X-LM-Cost-USD, X-LM-Cache-Hits"

// apply sets the CORS headers for r and reports whether r was a preflight
// request that is now fully answered.
func (c CORS) apply(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || len(c.AllowedOrigins) == 0 {
		return false
	}
	allowed := ""
	for _, o := range c.AllowedOrigins {
		if o == "*" || o == origin {
			allowed = o
			break
		}
	}
	if allowed == "" {
		return false
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", allowed)
	if allowed != "*" {
		h.Add("Vary", "Origin")
	}
	h.Set("Access-Control-Expose-Headers", exposedHeaders)
	if r.Method != http.MethodOptions || r.Header.Get("Access-Control-Request-Method") == "" {
		return false
	}
	headers := append([]string{"Authorization", "Content-Type", "X-Request-ID"}, c.AllowedHeaders...)
	h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
	h.Set("Access-Control-Allow-Headers", strings.Join(headers, ", "))
	if c.MaxAge > 0 {
		h.Set("Access-Control-Max-Age", strconv.Itoa(int(c.MaxAge.Seconds())))
	}
	w.WriteHeader(http.StatusNoContent)
	return true
}
