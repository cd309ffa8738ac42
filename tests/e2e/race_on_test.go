//go:build race

package e2e

// raceEnabled: this test binary runs under the race detector (make test), so
// the stack's binaries are built with it too. They then share the packages
// `go test -race` already compiled, and a data race in any process fails the
// run (see checkRaces).
const raceEnabled = true
