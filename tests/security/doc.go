// Package security holds the end-to-end proofs of the "card data and webhook
// security" rules, run against the real stack: the Temporal dev server
// (bin/temporal) and the real sandbox, codec server, webhook receiver, worker
// and bookingctl binaries, each a subprocess with its own environment and
// log file (internal/stack starts them, as it does for make dev and tests/e2e).
// Bookings use distinctive card data (CVV 739, holder "Zacharias Quintero",
// payer "Ximena Valderrama") so that finding any of it is a leak, not chance.
//
// What the tests prove:
//
//   - leak_test.go: a 3DS booking (challenge approved on the sandbox's page
//     over HTTP), a frictionless one and a declined one, all driven through
//     bookingctl, leave no card number, last eight digits, CVV or holder name
//     in the raw histories (read without the codec, protojson and every
//     string and bytes field), search attributes, memos, visibility records,
//     raw query answers or results; decrypted, the card sits only in the
//     workflow input and the Authorize activity input; the codec server shows
//     it masked (first six and last four, CVV starred). The logs of the dev
//     server, worker, receiver, codec server (all at debug) and every
//     bookingctl run hold no card data, access token, client secret, HMAC
//     secret, codec token, payload key or webhook routing token; TestMain
//     scans the whole run's logs once more at the end.
//   - webhook_test.go: webhooks without a token, with a wrong token, with
//     another booking's token, replayed with a stale status ("authorized"
//     while the 3DS challenge is pending, "paid"/"confirmed" on a hold,
//     "authorized" after the release), forged "confirmed", signed outside the
//     tolerance, or forged during an A55 read outage, change neither the
//     status query nor the sandbox ledger.
//   - hostile_test.go, entrypoints_test.go: hostile input to the starter
//     package, the bookingctl binary, the receiver, the codec server and the
//     sandbox is refused (twice alike) with an error naming the field, and
//     leaves no workflow, no signal and no charge behind; a workflow started
//     directly with bad input fails before any activity.
//
// The package has test files only. It fails (never skips) when the dev
// server binary is missing; -short (make unit) skips it, as it does tests/e2e.
package security
