// Package faults is the fault-injection suite: "nothing lost, nothing
// charged twice".
//
// Each scenario starts a private stack of real processes (the Temporal dev
// server from bin/temporal with a database file, and the a55sandbox, webhook
// receiver and worker binaries built from this checkout, on dynamic ports),
// drives many bookings through it the way a booking system does (the starter
// package: authorize with update-with-start, answer 3DS challenges, capture,
// cancel, or leave the booking to its deadline policy), injects faults (in
// the sandbox: errors, latency, lost responses, webhook drops, duplicates,
// reordering and delays, short token lifetimes, short hold windows, the
// public documents' vocabulary, an acquirer that only captures in full, a
// clock that crosses midnight; on the
// processes: SIGKILL of the worker, a dev server restart on the same
// database file, receiver downtime; on the workflows: an operator's Request
// Cancellation or Terminate mid-hold, then the reconciliation), and then
// checks the money invariants of every booking against the sandbox's ledger
// and Temporal's view of each workflow: every hold A55 still has must be
// owned by an open workflow (see Check and Invariants).
//
// Each run prints a short report: bookings, faults injected per kind,
// outcomes per state, what A55 saw, and the invariants (all passed, or the
// first violation with its booking id) with the command that replays it.
//
// Sizes: FAULTS_BOOKINGS (or -faults.bookings) bookings per scenario, small
// by default so that `make test` runs every scenario in a few minutes;
// `make faults` runs 200 per scenario. FAULTS_SEED (or -faults.seed) fixes
// the seed of every scenario (default: each scenario's own fixed seed).
// FAULTS_KEEP_STATE=1 keeps each run's state directory (logs, dev server
// database) and prints where.
//
// TestBrokenBuildIsCaught proves the suite can fail: it copies the module,
// applies testdata/authorize-key-per-attempt.patch (the authorize activity
// mints a new idempotency key per attempt), builds the worker from the copy,
// and expects the lost-response scenario to report a booking authorized
// twice.
package faults
