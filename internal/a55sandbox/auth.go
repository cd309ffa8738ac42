package a55sandbox

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

type tokenInfo struct {
	clientID  string
	expiresAt time.Time
}

// oauthError is RFC 6749's error body, which Cognito's token endpoint uses.
type oauthError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description,omitempty"`
}

// handleToken is POST /oauth2/token (client credentials in the form body, or
// HTTP Basic as Cognito also accepts).
func (s *Sandbox) handleToken(q *apiRequest) *response {
	ct, _, _ := mime.ParseMediaType(q.r.Header.Get("Content-Type"))
	if ct != "application/x-www-form-urlencoded" {
		return jsonResponse(http.StatusBadRequest, oauthError{"invalid_request", "Content-Type must be application/x-www-form-urlencoded"})
	}
	form, err := url.ParseQuery(string(q.body))
	if err != nil {
		return jsonResponse(http.StatusBadRequest, oauthError{"invalid_request", "the form body could not be parsed"})
	}
	grant := form.Get("grant_type")
	switch grant {
	case "client_credentials":
	case "":
		return jsonResponse(http.StatusBadRequest, oauthError{"invalid_request", "grant_type is required (client_credentials)"})
	default:
		return jsonResponse(http.StatusBadRequest, oauthError{"unsupported_grant_type", "grant_type must be client_credentials"})
	}
	id, secret := form.Get("client_id"), form.Get("client_secret")
	if u, p, ok := q.r.BasicAuth(); ok && id == "" {
		id, secret = u, p
	}
	okID := subtle.ConstantTimeCompare([]byte(id), []byte(s.cfg.ClientID)) == 1
	okSecret := subtle.ConstantTimeCompare([]byte(secret), []byte(s.cfg.ClientSecret)) == 1
	if !okID || !okSecret {
		resp := jsonResponse(http.StatusUnauthorized, oauthError{"invalid_client", "client authentication failed: unknown client_id or wrong client_secret"})
		return resp
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	tok := "sbx_" + base64.RawURLEncoding.EncodeToString(b)
	s.mu.Lock()
	s.tokens[tok] = tokenInfo{clientID: id, expiresAt: s.now().Add(s.cfg.TokenLifetime)}
	s.mu.Unlock()
	resp := jsonResponse(http.StatusOK, map[string]any{
		"access_token": tok,
		"expires_in":   int64(s.cfg.TokenLifetime / time.Second),
		"token_type":   "Bearer",
	})
	resp.header = http.Header{"Cache-Control": {"no-store"}}
	return resp
}

// authenticate checks the bearer token; it returns the client id, or the 401 to send.
func (s *Sandbox) authenticate(r *http.Request, requestID string) (string, *response) {
	h := r.Header.Get("Authorization")
	scheme, tok, _ := strings.Cut(h, " ")
	fail := func(text string) (string, *response) {
		resp := apiError(http.StatusUnauthorized, requestID, "unauthorized", "Authorization", text)
		resp.header = http.Header{"Www-Authenticate": {`Bearer error="invalid_token"`}}
		return "", resp
	}
	if h == "" {
		return fail("missing Authorization header; send Authorization: Bearer <access_token> from POST /oauth2/token")
	}
	if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return fail("Authorization must be Bearer <access_token>")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	info, ok := s.tokens[strings.TrimSpace(tok)]
	if !ok {
		return fail("unknown or expired access token; request a new one")
	}
	if !s.now().Before(info.expiresAt) {
		delete(s.tokens, strings.TrimSpace(tok))
		return fail("access token expired; request a new one")
	}
	return info.clientID, nil
}
