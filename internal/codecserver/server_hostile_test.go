package codecserver

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// A malformed body is refused without quoting it back: the protojson parser's
// own message names the offending token, which may be a card number.
func TestServerMalformedBodyIsNotEchoed(t *testing.T) {
	srv, _ := newTestServer(t, ServerOptions{})
	auth := map[string]string{"Authorization": "Bearer " + testToken}
	for _, body := range []string{
		`{"payloads":"4111111111111111"}`,
		`{"payloads":[{"data":4111111111111111}]}`,
		`{"4111111111111111":1}`,
		`{"payloads":[{"metadata":{"encoding":"anNvbi9wbGFpbg=="},"data":"e30="}], "cvv":"739"}`,
	} {
		for _, path := range []string{"/decode", "/encode"} {
			resp := post(t, srv.URL+path, []byte(body), auth)
			msg, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("%s %s: status %d, want 400", path, body, resp.StatusCode)
			}
			if strings.Contains(string(msg), "4111111111111111") || strings.Contains(string(msg), "739") {
				t.Errorf("%s %s: the answer quotes the body: %s", path, body, msg)
			}
			if !strings.Contains(string(msg), "payloads") {
				t.Errorf("%s %s: the answer %q does not say what is expected", path, body, msg)
			}
		}
	}
}
