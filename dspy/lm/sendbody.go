package lm

import (
	"net/http"

	"github.com/openai/openai-go/v3/option"
)

// inMemoryBody hands net/http each request body as the in-memory reader it
// is. openai-go wraps every body in a ReadCloser of its own, which net/http
// cannot see through, so it flushes the headers in one write and then copies
// the body in a second, in case reading the body blocks. A body that is
// plainly a byte slice goes out in the same write as the headers: one system
// call and one packet per request instead of two, and a server that reads
// the whole request at once. Every body openai-go sends is a byte slice it
// can rewind (GetBody), so the replacement carries the same bytes.
var inMemoryBody option.Middleware = func(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
	if req.GetBody != nil && req.Body != nil && req.Body != http.NoBody {
		if body, err := req.GetBody(); err == nil {
			// The wrapper being replaced holds an unread in-memory reader,
			// whose Close does nothing.
			req.Body = body
		}
	}
	return next(req)
}
