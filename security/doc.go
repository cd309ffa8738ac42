// Package security holds the end-to-end proofs of the "card data and webhook
// security" rules, run against the real stack: the Temporal dev server
// (bin/temporal) and the real sandbox, codec server, webhook receiver, worker
// and bookingctl binaries, each a subprocess with its own environment and
// log file (internal/stack starts them, as it does for make dev and e2e/).
//
// What the tests prove:
//
//   - Temporal stores no card data in the clear: raw histories, search
//     attributes, memos, query answers and results read without the payload
//     codec contain neither the card number, nor its last eight digits, nor
//     the CVV, nor the card holder's name; the same read through the codec
//     server shows the card masked.
//   - No process logs card data or a secret (leak_test.go, and again over the
//     whole run's logs when the package ends).
//   - Forged, misrouted and replayed webhooks move no money and no status
//     (webhook_test.go).
//   - Hostile input at every entry point (starter package, bookingctl,
//     receiver, codec server, sandbox) is refused with an error naming the
//     field and leaves no workflow and no charge behind (hostile_test.go).
//
// The package has test files only; it fails (never skips) when the dev
// server binary is missing.
package security
