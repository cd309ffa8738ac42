// Package testhttp is the tests' one way to send a JSON request to a running
// server: the body as given, Content-Type application/json and the
// headers, a request that gets no answer failing the test.
package testhttp

import (
	"bytes"
	"context"
	"net/http"
	"testing"
)

// Do sends method url with body (JSON) and header, and returns the answer,
// whose body is closed when the test ends.
func Do(t testing.TB, ctx context.Context, method, url string, body []byte, header map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}
