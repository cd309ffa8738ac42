// Package codecserver is the codec server behind command cmd/codecserver:
// NewServer serves POST /decode and /encode. Callers
// authenticate with "Authorization: Bearer $CODEC_AUTH_TOKEN"; the temporal
// CLI does so with --codec-endpoint URL --codec-auth "Bearer $CODEC_AUTH_TOKEN".
//
// The Web UI (v2.42) cannot send that token: its "pass access token" option
// sends the UI's own OIDC access token, and only to an https:// endpoint; the
// dev server's --ui-codec-endpoint sets neither that nor credentials. Two
// ways out, both returning card-masked payloads:
//
//   - Session cookie (default): the operator signs in once at <codec URL>/login
//     with the token; the server sets an HttpOnly, SameSite=Strict cookie
//     derived from the token. In the UI's Codec Server settings the operator
//     enters the codec URL as the browser endpoint, picks "Use my browser
//     setting and ignore cluster-level setting" and turns on "Include
//     cross-origin credentials" (without the override the cluster setting,
//     credentials off, wins). UI and codec server must share a host name
//     (http://127.0.0.1:8233 with http://127.0.0.1:8081): SameSite=Strict
//     cookies are not sent from another site. Trade-off: a manual step per
//     browser, but nothing decodes without the token.
//   - Trusted UI origins (-trust-ui-origins, CODEC_TRUST_UI_ORIGINS=1, loopback
//     listen address only): a request whose Origin header is an allowed origin
//     decodes without a token. Web pages cannot forge Origin, but any local
//     program can, so this is for single-user dev machines only. Zero setup.
//
// In production put the UI behind SSO and the codec server behind https and
// an authenticating proxy, or keep the cookie flow.
package codecserver
