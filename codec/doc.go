// # Keys
//
// PAYLOAD_KEYS="k2026b:<base64 32 bytes>,k2026a:<base64 32 bytes>" or
// PAYLOAD_KEY_FILE=path (one kid:base64key per line, "#" comments). The first
// key encrypts; the others only decrypt. To rotate: put a new key first, keep
// the old ones after it for as long as histories encrypted with them are
// retained (plus any replay/reset window), then drop them. A payload whose key
// id is missing fails to decode with an error naming the id.
// Generate a key with `openssl rand -base64 32`; for the dev stack,
// EnsureKeyFile (or `codecserver -init-key-file .dev/payload.keys`) writes one
// with mode 0600.
//
// # Wiring a client
//
//	ring, err := codec.KeyringFromEnv()
//	dc, fc := codec.ClientOptions(ring)
//	c, err := client.Dial(client.Options{DataConverter: dc, FailureConverter: fc, ...})
//
// Every process that talks to the namespace (worker, starter, webhook
// receiver, operator CLI) needs the same keyring.
//
// # Codec server and the Web UI
//
// The codec server (command cmd/codecserver, internal/codecserver) decrypts
// payloads for the Web UI and the CLI and masks card data in what it
// returns; its package documentation explains how operators sign in.
package codec
