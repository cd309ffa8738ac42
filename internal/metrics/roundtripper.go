package metrics

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
)

// Error classes of an A55 HTTP call, as the A55RequestErrors "class" tag.
const (
	ClassOK          = "ok"
	ClassTimeout     = "timeout"
	ClassNetwork     = "network"
	ClassRateLimited = "rate_limited" // 429
	ClassClient      = "client_error" // other 4xx
	ClassServer      = "server_error" // 5xx
)

// RoundTripper times every HTTP call to A55 and counts it by operation and
// class. It sits in the a55client's http.Client, so retries by activities
// show as separate calls, which is what an operator watching A55 wants.
type RoundTripper struct {
	Next    http.RoundTripper // nil = http.DefaultTransport
	Handler client.MetricsHandler
}

// RoundTrip implements http.RoundTripper.
func (rt *RoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	next := rt.Next
	if next == nil {
		next = http.DefaultTransport
	}
	start := time.Now()
	resp, err := next.RoundTrip(req)
	class := classify(resp, err)
	h := nopIfNil(rt.Handler).WithTags(map[string]string{TagOp: Operation(req.Method, req.URL.Path), TagClass: class})
	h.Timer(A55RequestLatency).Record(time.Since(start))
	h.Counter(A55Requests).Inc(1)
	if class != ClassOK {
		h.Counter(A55RequestErrors).Inc(1)
	}
	return resp, err
}

func classify(resp *http.Response, err error) string {
	if err != nil {
		var ne net.Error
		if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
			return ClassTimeout
		}
		return ClassNetwork
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return ClassRateLimited
	case resp.StatusCode >= 500:
		return ClassServer
	case resp.StatusCode >= 400:
		return ClassClient
	}
	return ClassOK
}

// Operation names a call by method and path template: identifiers (segments
// with two or more digits, or long ones) become ":id" so the tag's
// cardinality stays bounded.
func Operation(method, path string) string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for i, s := range segs {
		if looksLikeID(s) && !isVersion(s) {
			segs[i] = ":id"
		}
	}
	return method + " /" + strings.Join(segs, "/")
}

// isVersion keeps "v1" style segments readable.
func isVersion(s string) bool {
	if len(s) < 2 || s[0] != 'v' {
		return false
	}
	_, err := strconv.Atoi(s[1:])
	return err == nil
}

func looksLikeID(s string) bool {
	digits := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	return digits >= 2 || len(s) >= 24
}
