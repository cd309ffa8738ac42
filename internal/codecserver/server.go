package codecserver

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/hotelpay/a55-temporal/cardvault"
	"github.com/hotelpay/a55-temporal/codec"
	"github.com/hotelpay/a55-temporal/internal/logging"
)

// Codec server settings.
const (
	// EnvAuthToken is the shared secret callers present as "Authorization:
	// Bearer <token>" (or through the /login cookie). At least 16 characters.
	EnvAuthToken = "CODEC_AUTH_TOKEN"
	// EnvCORSOrigins lists the Web UI origins allowed to call the server.
	EnvCORSOrigins = "CODEC_CORS_ORIGINS"

	// SessionCookie carries proof of the token for browsers, which cannot send
	// a bearer token to a plain-http codec endpoint (see README).
	SessionCookie = "codec_session"

	// DefaultMaxBodyBytes bounds a request body.
	DefaultMaxBodyBytes = 4 << 20

	minTokenLength = 16
)

// ServerOptions configures NewServer.
type ServerOptions struct {
	Keyring *codec.Keyring
	// AuthToken is required on /encode and /decode.
	AuthToken string
	// AllowedOrigins are exact browser origins ("http://localhost:8233").
	AllowedOrigins []string
	// MaxBodyBytes defaults to DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// SecureCookie marks the session cookie Secure (set when served over TLS).
	SecureCookie bool
	// TrustAllowedOrigins accepts requests whose Origin header is an allowed
	// origin without a token. Browsers set Origin and pages cannot forge it,
	// but any local program can: use it only on a loopback, single-user dev
	// machine (the output is card-masked either way).
	TrustAllowedOrigins bool
	// CardKeys is the card-key store (optional): /decode shows whether each
	// card token's card can still be opened or is destroyed. Without it the
	// state shows as unknown. The ciphertext is never shown either way.
	CardKeys cardvault.Store
}

type server struct {
	mux          *http.ServeMux
	codec        http.Handler
	tokenHash    [32]byte
	sessionValue string
	origins      map[string]bool
	maxBody      int64
	secureCookie bool
	trustOrigins bool
}

// NewServer returns the codec HTTP handler: POST /decode and /encode behind the
// token, CORS for the allowed origins, and GET/POST /login to set the session
// cookie. /decode masks card data (PAN to first6/last4, CVV, holder name) and
// secrets in JSON payloads: operators see that a card was there, not what it was.
func NewServer(opts ServerOptions) (http.Handler, error) {
	if opts.Keyring == nil {
		return nil, errors.New("codec server: a keyring is required")
	}
	if len(opts.AuthToken) < minTokenLength {
		return nil, fmt.Errorf("%s must be at least %d characters (openssl rand -hex 32)", EnvAuthToken, minTokenLength)
	}
	origins := make(map[string]bool, len(opts.AllowedOrigins))
	for _, o := range opts.AllowedOrigins {
		if err := validOrigin(o); err != nil {
			return nil, fmt.Errorf("%s: %w", EnvCORSOrigins, err)
		}
		origins[o] = true
	}
	s := &server{
		codec:        converter.NewPayloadCodecHTTPHandler(codec.New(opts.Keyring), maskingCodec{cardKeys: opts.CardKeys}),
		tokenHash:    sha256.Sum256([]byte(opts.AuthToken)),
		sessionValue: sessionValue(opts.AuthToken),
		origins:      origins,
		maxBody:      opts.MaxBodyBytes,
		secureCookie: opts.SecureCookie,
		trustOrigins: opts.TrustAllowedOrigins,
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("POST /decode", s.serveCodec)
	s.mux.HandleFunc("POST /encode", s.serveCodec)
	s.mux.HandleFunc("GET /login", s.loginForm)
	s.mux.HandleFunc("POST /login", s.signIn)
	s.mux.HandleFunc("/login", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Allow", "GET, HEAD, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	})
	s.mux.Handle("/", http.NotFoundHandler()) // GET /decode too, as the SDK's handler answers
	return s, nil
}

// ParseOrigins splits a comma-separated origin list.
func ParseOrigins(list string) []string {
	var out []string
	for _, o := range strings.Split(list, ",") {
		if o = strings.TrimSpace(o); o != "" {
			out = append(out, strings.TrimRight(o, "/"))
		}
	}
	return out
}

func validOrigin(o string) error {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil {
		return fmt.Errorf("origin %q must be scheme://host[:port] with http or https and no path (\"*\" is not allowed with credentials)", o)
	}
	return nil
}

// sessionValue is what the cookie holds: derived from the token, so the token
// itself never sits in the browser's cookie store.
func sessionValue(token string) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("codec-session-v1"))
	return hex.EncodeToString(m.Sum(nil))
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	if origin != "" && !isSameOrigin(r, origin) {
		if !s.origins[origin] {
			http.Error(w, "origin not allowed", http.StatusForbidden)
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Add("Vary", "Origin")
	}
	if r.Method == http.MethodOptions {
		// Preflights carry no credentials; answer them before authenticating.
		h := w.Header()
		h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Namespace")
		h.Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// serveCodec is POST /decode and /encode.
func (s *server) serveCodec(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="codec"`)
		http.Error(w, "missing or invalid codec token", http.StatusUnauthorized)
		return
	}
	if r.ContentLength > s.maxBody {
		http.Error(w, "request body exceeds "+strconv.FormatInt(s.maxBody, 10)+" bytes", http.StatusRequestEntityTooLarge)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.maxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			http.Error(w, "request body exceeds "+strconv.FormatInt(s.maxBody, 10)+" bytes", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "reading request body failed", http.StatusBadRequest)
		return
	}
	// The SDK's handler would answer a malformed body with the parser's
	// message, which quotes the offending token: possibly card data.
	if err := protojson.Unmarshal(body, &commonpb.Payloads{}); err != nil {
		http.Error(w, `request body must be a JSON Payloads message: {"payloads":[{"metadata":{...},"data":"<base64>"}]}`, http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	s.codec.ServeHTTP(w, r)
}

// isSameOrigin reports a request from the server's own pages (the /login
// form), which browsers also label with an Origin header.
func isSameOrigin(r *http.Request, origin string) bool {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return origin == scheme+"://"+r.Host
}

func (s *server) authorized(r *http.Request) bool {
	if origin := r.Header.Get("Origin"); s.trustOrigins && origin != "" && s.origins[origin] {
		return true
	}
	if scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
		got := sha256.Sum256([]byte(strings.TrimSpace(token)))
		if subtle.ConstantTimeCompare(got[:], s.tokenHash[:]) == 1 {
			return true
		}
	}
	if c, err := r.Cookie(SessionCookie); err == nil {
		return subtle.ConstantTimeCompare([]byte(c.Value), []byte(s.sessionValue)) == 1
	}
	return false
}

var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Codec server sign-in</title></head>
<body><h1>Codec server sign-in</h1>
{{if .}}<p>{{.}}</p>{{end}}
<form method="post" action="/login">
<label>Codec token <input type="password" name="token" autocomplete="current-password" autofocus></label>
<button type="submit">Sign in</button>
</form>
<p>The token is the server's CODEC_AUTH_TOKEN. Signing in sets a cookie for this host name. Then, in the
Temporal Web UI's Codec Server settings: enter this server's URL as the browser endpoint, choose
"Use my browser setting and ignore cluster-level setting", and turn on "Include cross-origin credentials".
Open the UI under the same host name as this server (both 127.0.0.1 or both localhost).</p>
</body></html>
`))

func loginHeaders(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
}

// loginForm is GET /login.
func (s *server) loginForm(w http.ResponseWriter, _ *http.Request) {
	loginHeaders(w)
	_ = loginPage.Execute(w, "")
}

// signIn is POST /login token=…: the session cookie for the right token.
func (s *server) signIn(w http.ResponseWriter, r *http.Request) {
	loginHeaders(w)
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	token := r.PostFormValue("token")
	got := sha256.Sum256([]byte(token))
	if subtle.ConstantTimeCompare(got[:], s.tokenHash[:]) != 1 {
		w.WriteHeader(http.StatusUnauthorized)
		_ = loginPage.Execute(w, "Wrong token.")
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name:     SessionCookie,
		Value:    s.sessionValue,
		Path:     "/",
		HttpOnly: true,
		Secure:   s.secureCookie,
		// Strict: the browser sends it only from the same site (same host
		// name, any port), i.e. the UI at http://localhost:8233.
		SameSite: http.SameSiteStrictMode,
		MaxAge:   12 * 60 * 60,
	})
	_ = loginPage.Execute(w, "Signed in. You can close this tab.")
}

// maskingCodec runs after decryption in the HTTP server only: it masks card
// data and secrets in JSON payloads, and shows each card token's state in
// place of its ciphertext. Encode leaves payloads alone.
type maskingCodec struct{ cardKeys cardvault.Store }

func (maskingCodec) Encode(p []*commonpb.Payload) ([]*commonpb.Payload, error) { return p, nil }

func (m maskingCodec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		out[i] = MaskPayload(p)
		if strings.HasPrefix(string(out[i].GetMetadata()[converter.MetadataEncoding]), "json/") {
			out[i] = &commonpb.Payload{Metadata: out[i].Metadata, Data: showCardTokens(ctx, out[i].Data, m.cardKeys, time.Now())}
		}
	}
	return out, nil
}

// MaskPayload returns p with card data and secrets masked when it is a JSON
// payload (encoding json/...); other payloads are returned as they are.
func MaskPayload(p *commonpb.Payload) *commonpb.Payload {
	if !strings.HasPrefix(string(p.GetMetadata()[converter.MetadataEncoding]), "json/") {
		return p
	}
	masked, err := logging.RedactJSON(p.Data)
	if err != nil {
		masked = []byte(logging.Redact(string(p.Data)))
	}
	return &commonpb.Payload{Metadata: p.Metadata, Data: masked}
}
