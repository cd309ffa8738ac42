package codecserver

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/hotelpay/a55-temporal/codec"
	"github.com/hotelpay/a55-temporal/internal/testhttp"
)

const (
	testToken = "test-token-0123456789abcdef"
	uiOrigin  = "http://localhost:8233"
)

// bookingInput has the workflow input's shape: the card sits inside.
type bookingInput struct {
	BookingID string `json:"booking_id"`
	Card      struct {
		HolderName  string `json:"holder_name"`
		Number      string `json:"number"`
		ExpiryMonth int    `json:"expiry_month"`
		ExpiryYear  int    `json:"expiry_year"`
		CVV         string `json:"cvv"`
	} `json:"card"`
}

func sample(holder, number, cvv string) bookingInput {
	in := bookingInput{BookingID: "BK-1042"}
	in.Card.HolderName, in.Card.Number, in.Card.ExpiryMonth, in.Card.ExpiryYear, in.Card.CVV = holder, number, 12, 2099, cvv
	return in
}

var sampleInput = sample("John Doe", "4111111111111111", "737")

// testRing is a keyring of one deterministic key (every byte fill).
func testRing(t testing.TB, id string, fill byte) *codec.Keyring {
	t.Helper()
	ring, err := codec.NewKeyring(codec.Key{ID: id, Key: bytes.Repeat([]byte{fill}, codec.KeySize)})
	if err != nil {
		t.Fatal(err)
	}
	return ring
}

func newTestServer(t *testing.T, opts ServerOptions) (*httptest.Server, *codec.Keyring) {
	t.Helper()
	ring := testRing(t, "k1", 1)
	if opts.Keyring == nil {
		opts.Keyring = ring
	}
	if opts.AuthToken == "" {
		opts.AuthToken = testToken
	}
	if opts.AllowedOrigins == nil {
		opts.AllowedOrigins = []string{uiOrigin}
	}
	h, err := NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h) // listens on 127.0.0.1 with a dynamic port
	t.Cleanup(srv.Close)
	return srv, opts.Keyring
}

// encryptedBody is a /decode request body holding the encrypted sample input.
func encryptedBody(t *testing.T, ring *codec.Keyring, values ...any) []byte {
	t.Helper()
	dc := codec.NewDataConverter(ring)
	var payloads []*commonpb.Payload
	for _, v := range values {
		p, err := dc.ToPayload(v)
		if err != nil {
			t.Fatal(err)
		}
		payloads = append(payloads, p)
	}
	body, err := protojson.Marshal(&commonpb.Payloads{Payloads: payloads})
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func post(t *testing.T, url string, body []byte, header map[string]string) *http.Response {
	t.Helper()
	return send(t, http.MethodPost, url, body, header)
}

// send makes one request with a JSON body; the response body is closed when the test ends.
func send(t *testing.T, method, url string, body []byte, header map[string]string) *http.Response {
	t.Helper()
	return testhttp.Do(t, context.Background(), method, url, body, header)
}

func decodeResponse(t *testing.T, resp *http.Response) []*commonpb.Payload {
	t.Helper()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, raw)
	}
	var out commonpb.Payloads
	if err := protojson.Unmarshal(raw, &out); err != nil {
		t.Fatalf("response %s: %v", raw, err)
	}
	return out.Payloads
}

func TestServerRejectsMissingOrWrongToken(t *testing.T) {
	srv, ring := newTestServer(t, ServerOptions{})
	body := encryptedBody(t, ring, sampleInput)
	for name, header := range map[string]map[string]string{
		"no token":      nil,
		"wrong token":   {"Authorization": "Bearer wrong-token-0123456789"},
		"token prefix":  {"Authorization": "Bearer " + testToken[:20]},
		"basic scheme":  {"Authorization": "Basic " + testToken},
		"bare token":    {"Authorization": testToken},
		"forged cookie": {"Cookie": SessionCookie + "=" + strings.Repeat("0", 64)},
	} {
		for _, path := range []string{"/decode", "/encode"} {
			t.Run(name+path, func(t *testing.T) {
				resp := post(t, srv.URL+path, body, header)
				if resp.StatusCode != http.StatusUnauthorized {
					t.Errorf("status = %d, want 401", resp.StatusCode)
				}
				if !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("WWW-Authenticate = %q", resp.Header.Get("WWW-Authenticate"))
				}
			})
		}
	}
}

func TestServerCORSPreflight(t *testing.T) {
	srv, _ := newTestServer(t, ServerOptions{})
	preflight := map[string]string{"Origin": uiOrigin,
		"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type,x-namespace"}
	resp := send(t, http.MethodOptions, srv.URL+"/decode", nil, preflight)
	if resp.StatusCode != http.StatusNoContent {
		t.Errorf("preflight status = %d, want 204", resp.StatusCode)
	}
	for header, want := range map[string]string{
		"Access-Control-Allow-Origin":      uiOrigin,
		"Access-Control-Allow-Credentials": "true",
		"Access-Control-Allow-Methods":     "POST, OPTIONS",
		"Access-Control-Allow-Headers":     "Authorization, Content-Type, X-Namespace",
	} {
		if got := resp.Header.Get(header); got != want {
			t.Errorf("%s = %q, want %q", header, got, want)
		}
	}

	preflight["Origin"] = "http://evil.example"
	resp = send(t, http.MethodOptions, srv.URL+"/decode", nil, preflight)
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("foreign origin: status %d, allow-origin %q; want 403 and none", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}
}

func TestServerDecodeMasksCardData(t *testing.T) {
	srv, ring := newTestServer(t, ServerOptions{})
	unencrypted, _ := converter.GetDefaultDataConverter().ToPayload(map[string]string{"card_number": "5555555555554444", "card_cvv": "123", "card_name": "Ana Silva"})
	body := encryptedBody(t, ring, sampleInput, "plain string")
	// An old, unencrypted payload in the same request is masked too.
	var req commonpb.Payloads
	if err := protojson.Unmarshal(body, &req); err != nil {
		t.Fatal(err)
	}
	req.Payloads = append(req.Payloads, unencrypted)
	body, _ = protojson.Marshal(&req)

	resp := post(t, srv.URL+"/decode", body, map[string]string{"Authorization": "Bearer " + testToken, "Origin": uiOrigin, "X-Namespace": "default"})
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != uiOrigin {
		t.Errorf("Access-Control-Allow-Origin = %q", got)
	}
	payloads := decodeResponse(t, resp)
	if len(payloads) != 3 {
		t.Fatalf("got %d payloads, want 3", len(payloads))
	}
	var card bookingInput
	if err := json.Unmarshal(payloads[0].Data, &card); err != nil {
		t.Fatalf("decoded payload %q: %v", payloads[0].Data, err)
	}
	want := sample("J*** D**", "411111******1111", "***")
	if card != want {
		t.Errorf("decoded = %+v, want %+v", card, want)
	}
	if string(payloads[0].Metadata[converter.MetadataEncoding]) != converter.MetadataEncodingJSON {
		t.Errorf("decoded encoding = %q", payloads[0].Metadata[converter.MetadataEncoding])
	}
	if string(payloads[1].Data) != `"plain string"` {
		t.Errorf("ordinary payload changed: %q", payloads[1].Data)
	}
	old := string(payloads[2].Data)
	if strings.Contains(old, "5555555555554444") || strings.Contains(old, "123") || strings.Contains(old, "Ana Silva") || !strings.Contains(old, "4444") {
		t.Errorf("unencrypted payload not masked: %s", old)
	}
	for _, p := range payloads {
		if bytes.Contains(p.Data, []byte("4111111111111111")) || bytes.Contains(p.Data, []byte("737")) || bytes.Contains(p.Data, []byte("John Doe")) {
			t.Errorf("card data in decoded payload: %s", p.Data)
		}
	}
}

func TestServerEncodeWithToken(t *testing.T) {
	srv, ring := newTestServer(t, ServerOptions{})
	p, _ := converter.GetDefaultDataConverter().ToPayload("signal arg")
	body, _ := protojson.Marshal(&commonpb.Payloads{Payloads: []*commonpb.Payload{p}})
	payloads := decodeResponse(t, post(t, srv.URL+"/encode", body, map[string]string{"Authorization": "Bearer " + testToken}))
	if len(payloads) != 1 || string(payloads[0].Metadata[converter.MetadataEncoding]) != codec.MetadataEncodingEncrypted {
		t.Fatalf("encode response = %v", payloads)
	}
	var s string
	if err := codec.NewDataConverter(ring).FromPayload(payloads[0], &s); err != nil || s != "signal arg" {
		t.Errorf("encoded payload decodes to %q, %v", s, err)
	}
}

func TestServerBodyLimit(t *testing.T) {
	srv, ring := newTestServer(t, ServerOptions{MaxBodyBytes: 512})
	big := encryptedBody(t, ring, strings.Repeat("x", 1024))
	resp := post(t, srv.URL+"/decode", big, map[string]string{"Authorization": "Bearer " + testToken})
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("declared length: status = %d, want 413", resp.StatusCode)
	}

	// Without a Content-Length the limit still holds while reading.
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/decode", io.MultiReader(bytes.NewReader(big)))
	req.ContentLength = -1
	req.Header.Set("Authorization", "Bearer "+testToken)
	chunked, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	chunked.Body.Close()
	if chunked.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked: status = %d, want 413", chunked.StatusCode)
	}

	small := encryptedBody(t, ring, "ok")
	if resp := post(t, srv.URL+"/decode", small, map[string]string{"Authorization": "Bearer " + testToken}); resp.StatusCode != http.StatusOK {
		t.Errorf("small body: status = %d, want 200", resp.StatusCode)
	}
}

func TestServerRejectsForeignOriginEvenWithToken(t *testing.T) {
	srv, ring := newTestServer(t, ServerOptions{})
	resp := post(t, srv.URL+"/decode", encryptedBody(t, ring, sampleInput), map[string]string{"Authorization": "Bearer " + testToken, "Origin": "http://localhost:3000"})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("status = %d, want 403", resp.StatusCode)
	}
}

func TestServerBadRequests(t *testing.T) {
	srv, _ := newTestServer(t, ServerOptions{})
	auth := map[string]string{"Authorization": "Bearer " + testToken}
	if resp := post(t, srv.URL+"/decode", []byte("not json"), auth); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("malformed body: status = %d, want 400", resp.StatusCode)
	}
	for _, path := range []string{"/other", "/codec/decode", "/decode/x"} {
		if resp := post(t, srv.URL+path, []byte("{}"), auth); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: status = %d, want 404", path, resp.StatusCode)
		}
	}
	if resp := send(t, http.MethodPut, srv.URL+"/login", nil, nil); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("PUT /login: status = %d, want 405", resp.StatusCode)
	}
	if resp := send(t, http.MethodGet, srv.URL+"/decode", nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /decode: status = %d, want 404", resp.StatusCode)
	}
	// A payload encrypted with an unknown key is refused with a clear message.
	other := testRing(t, "elsewhere", 5)
	bad := post(t, srv.URL+"/decode", encryptedBody(t, other, "x"), auth)
	msg, _ := io.ReadAll(bad.Body)
	if bad.StatusCode != http.StatusBadRequest || !strings.Contains(string(msg), `"elsewhere"`) {
		t.Errorf("unknown key: status %d body %q", bad.StatusCode, msg)
	}
}

func TestServerLoginCookie(t *testing.T) {
	srv, ring := newTestServer(t, ServerOptions{})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	page, err := client.Get(srv.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	html, _ := io.ReadAll(page.Body)
	page.Body.Close()
	if page.StatusCode != http.StatusOK || !strings.Contains(string(html), `name="token"`) {
		t.Fatalf("GET /login: %d %s", page.StatusCode, html)
	}

	wrong, err := client.PostForm(srv.URL+"/login", url.Values{"token": {"nope"}})
	if err != nil {
		t.Fatal(err)
	}
	wrong.Body.Close()
	if wrong.StatusCode != http.StatusUnauthorized || len(wrong.Cookies()) != 0 {
		t.Errorf("wrong token: status %d cookies %v", wrong.StatusCode, wrong.Cookies())
	}

	// Browsers label the form post with the server's own origin.
	form := strings.NewReader(url.Values{"token": {testToken}}.Encode())
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/login", form)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", srv.URL)
	ok, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	ok.Body.Close()
	if ok.StatusCode != http.StatusOK {
		t.Fatalf("login with the right token from the server's own page: status %d", ok.StatusCode)
	}
	var session *http.Cookie
	for _, c := range ok.Cookies() {
		if c.Name == SessionCookie {
			session = c
		}
	}
	if session == nil {
		t.Fatalf("no %s cookie after login", SessionCookie)
	}
	if !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || strings.Contains(session.Value, testToken) {
		t.Errorf("cookie = %+v; want HttpOnly, SameSite=Strict, not the raw token", session)
	}

	foreign, _ := http.NewRequest(http.MethodPost, srv.URL+"/login", strings.NewReader("token="+testToken))
	foreign.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	foreign.Header.Set("Origin", "http://evil.example")
	foreignResp, err := client.Do(foreign)
	if err != nil {
		t.Fatal(err)
	}
	foreignResp.Body.Close()
	if foreignResp.StatusCode != http.StatusForbidden || len(foreignResp.Cookies()) != 0 {
		t.Errorf("login posted from a foreign page: status %d; want 403 and no cookie", foreignResp.StatusCode)
	}

	resp := post(t, srv.URL+"/decode", encryptedBody(t, ring, sampleInput), map[string]string{"Cookie": session.Name + "=" + session.Value, "Origin": uiOrigin})
	payloads := decodeResponse(t, resp)
	if !bytes.Contains(payloads[0].Data, []byte("411111******1111")) {
		t.Errorf("decode with cookie: %s", payloads[0].Data)
	}
}

func TestNewServerValidatesOptions(t *testing.T) {
	ring := testRing(t, "k1", 1)
	tests := []struct {
		name    string
		opts    ServerOptions
		wantErr string
	}{
		{"no keyring", ServerOptions{AuthToken: testToken}, "keyring"},
		{"short token", ServerOptions{Keyring: ring, AuthToken: "short"}, EnvAuthToken},
		{"wildcard origin", ServerOptions{Keyring: ring, AuthToken: testToken, AllowedOrigins: []string{"*"}}, EnvCORSOrigins},
		{"origin with path", ServerOptions{Keyring: ring, AuthToken: testToken, AllowedOrigins: []string{"http://localhost:8233/ui"}}, "no path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewServer(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestParseOrigins(t *testing.T) {
	got := ParseOrigins(" http://localhost:8233/, ,http://127.0.0.1:8233")
	if strings.Join(got, "|") != "http://localhost:8233|http://127.0.0.1:8233" {
		t.Errorf("ParseOrigins = %q", got)
	}
}

func TestServerTrustedOriginMode(t *testing.T) {
	trusted, ring := newTestServer(t, ServerOptions{TrustAllowedOrigins: true})
	body := encryptedBody(t, ring, sampleInput)
	payloads := decodeResponse(t, post(t, trusted.URL+"/decode", body, map[string]string{"Origin": uiOrigin}))
	if !bytes.Contains(payloads[0].Data, []byte("411111******1111")) || bytes.Contains(payloads[0].Data, []byte("4111111111111111")) {
		t.Errorf("trusted origin decode: %s", payloads[0].Data)
	}
	if resp := post(t, trusted.URL+"/decode", body, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("trusted mode without Origin: status = %d, want 401", resp.StatusCode)
	}
	if resp := post(t, trusted.URL+"/decode", body, map[string]string{"Origin": "http://other.example"}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("trusted mode, foreign Origin: status = %d, want 403", resp.StatusCode)
	}
	strict, _ := newTestServer(t, ServerOptions{Keyring: ring})
	if resp := post(t, strict.URL+"/decode", body, map[string]string{"Origin": uiOrigin}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("default mode, Origin only: status = %d, want 401", resp.StatusCode)
	}
}
