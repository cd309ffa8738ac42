// Package prod runs the system on the production topology of
// docker-compose.temporal.yml without Docker (make prod-test; make test runs
// it too): a throwaway PostgreSQL cluster migrated by the compose file's
// schema job, the real Temporal server built from Go source at the compose
// file's version and configured from its environment, the namespace job,
// then two workers, the webhook receiver, the codec server and the A55
// sandbox (internal/stack, Server.Prod), all of them and the test's own
// starter on the card-key store the compose file's cardkeys-db job makes on
// the same PostgreSQL. A few hundred mixed bookings run
// while one worker is killed with SIGKILL and restarted and the server is
// stopped and restarted, and the fault suite's invariants (tests/faults)
// are checked against the sandbox's ledger, and the card-key store for the
// bookings' keys, every one destroyed.
//
// PROD_BOOKINGS sets the size (default 300), PROD_SEED the seed.
package prod

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
	"github.com/hotelpay/a55-temporal/internal/stack"
	"github.com/hotelpay/a55-temporal/tests/faults"
	"github.com/hotelpay/a55-temporal/worker"
	"github.com/hotelpay/a55-temporal/workflows"
)

const (
	defaultBookings = 300
	defaultSeed     = 20261207
)

// apps are the processes the production stack runs besides the server.
var apps = []string{stack.BinSandbox, stack.BinCodec, stack.BinReceiver, stack.BinWorker, stack.BinWorker2}

func envUint(t *testing.T, name string, def uint64) uint64 {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n == 0 {
		t.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}

// productionScenario is the run: the everyday mix of bookings (frictionless
// and 3DS holds, declines, full and partial captures, cancels, both
// deadline policies) on 40 s holds, A55 a little slow so that the kill
// lands mid-call, one worker killed once and the server restarted once.
func productionScenario(bookings int, seed uint64) faults.Scenario {
	return faults.Scenario{
		Name:  "production-topology",
		Title: "the compose file's topology (PostgreSQL, Temporal server, two workers): SIGKILL of one worker, a server restart",
		Replay: fmt.Sprintf("PROD_SEED=%d PROD_BOOKINGS=%d go test ./tests/prod -count=1 -v -run TestProductionTopology",
			seed, bookings),
		Seed: seed, Bookings: bookings,
		Mix:         faults.DefaultMix,
		ReportShare: 0.5,
		SandboxArgs: append(append([]string(nil), faults.BaseSandboxArgs...), "-hold-window", "40s"),
		// The 3DS wait outlasts a server restart on a loaded machine (a
		// 20 s one declined an approved challenge in a make test run).
		Timing: faults.Timing{HoldWindow: 40 * time.Second, SafetyMargin: 10 * time.Second,
			ThreeDSTimeout: 2 * time.Minute, DeadlineIn: 30 * time.Second},
		Faults: map[string]a55sandbox.Fault{
			"create":  {Latency: a55sandbox.Duration(200 * time.Millisecond)},
			"capture": {Latency: a55sandbox.Duration(200 * time.Millisecond)},
			"cancel":  {Latency: a55sandbox.Duration(200 * time.Millisecond)},
		},
		// An activity lost with the killed worker is retried after its
		// start-to-close timeout: many bookings wait side by side.
		Concurrency: 48,
		Chaos: func(ctx context.Context, r *faults.Run) error {
			if !r.WaitStarted(ctx, 0.3) {
				return nil
			}
			r.Logf("killing worker (SIGKILL) with bookings in flight")
			if err := r.Stack.KillWorker(ctx, time.Second); err != nil {
				return err
			}
			if !r.WaitStarted(ctx, 0.6) {
				return nil
			}
			r.Logf("stopping and restarting the Temporal server")
			return r.Stack.RestartTemporal(ctx, 2*time.Second)
		},
		// 40 s holds: a capture delayed past the hold by the kill or the
		// restart finds it lapsed (reported as expired; never captured).
		Rules: faults.Rules{AllowLapse: true},
	}
}

func TestProductionTopology(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the production topology starts PostgreSQL, the Temporal server and every binary")
	}
	root, err := stack.RepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	bookings := int(envUint(t, "PROD_BOOKINGS", defaultBookings))
	sc := productionScenario(bookings, envUint(t, "PROD_SEED", defaultSeed))
	var keys cardKeys
	sc.Inspect = func(ctx context.Context, st *faults.Stack, records []faults.Record) (err error) {
		keys, err = readCardKeys(ctx, st.Project(), records)
		return err
	}

	binDir := t.TempDir()
	buildCtx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := (&stack.Project{Root: root, BinDir: binDir, Apps: apps, Server: stack.Server{Prod: true}}).Build(buildCtx); err != nil {
		t.Fatal(err)
	}

	ctx, cancelRun := context.WithTimeout(context.Background(), 3*time.Minute+time.Duration(bookings)*time.Second+5*time.Minute)
	defer cancelRun()
	began := time.Now()
	rep, err := faults.Execute(ctx, sc, faults.Env{
		Root: root, BinDir: binDir, StateDir: t.TempDir(), Out: os.Stdout, Apps: apps, Prod: true,
	})
	if err != nil {
		t.Fatalf("the production topology could not run: %v", err)
	}
	fmt.Print(rep.String())
	fmt.Printf("prod-test  %d bookings on the production topology in %s\n", bookings, time.Since(began).Round(time.Second))
	if !rep.Verdict.OK() {
		t.Errorf("%d invariant violations; first: %s\nreplay: %s\n%s",
			len(rep.Verdict.Violations), rep.Verdict.Violations[0], rep.ReplayCommand(), rep.Outputs)
	}
	fmt.Printf("card keys  %s\n", keys)
	for _, problem := range keys.problems() {
		t.Error(problem)
	}
	if missing := rep.Missing([]string{"worker:sigkill", "temporal:restart"}); len(missing) > 0 {
		t.Errorf("the run injected no %s", strings.Join(missing, ", "))
	}
	// Both workers run this build, as one Worker Deployment version, with
	// the auto-upgrade behavior: what the Web UI shows for every task.
	wantVersion := worker.DefaultDeploymentName + "/"
	for _, w := range rep.WorkerTasks {
		if w.WorkflowTasks == 0 || w.ActivityTasks == 0 {
			t.Errorf("%s did no share of the work: %s", w.Name, w)
		}
		for version := range w.Versions {
			if len(w.Versions) != 1 || !strings.HasPrefix(version, wantVersion) ||
				!strings.HasSuffix(version, " "+enumspb.VERSIONING_BEHAVIOR_AUTO_UPGRADE.String()) {
				t.Errorf("%s completed workflow tasks as %v: want one version %s<build id>, auto-upgrade", w.Name, w.Versions, wantVersion)
			}
		}
	}
	if len(rep.WorkerTasks) != 2 {
		t.Errorf("tasks counted for %d workers, want 2", len(rep.WorkerTasks))
	}
}

// cardKeys is what the production stack's card-key store holds after the
// run, read as its cardkeys role through the stack's CARD_KEY_STORE.
type cardKeys struct {
	store     string         // the store's DSN, password redacted
	sqlite    bool           // the dev stacks' SQLite file exists in the state directory
	answered  map[string]int // bookings A55 answered (their key must be destroyed): 1 each
	destroyed map[string]int // destroyed keys per booking
	live      map[string]int // keys per booking still able to open a card
	reasons   map[string]int // destroyed keys per reason
}

// answeredByA55 reports whether the booking's create call got A55's
// definite answer: a charge (held, pending 3DS or later) or a decline.
func answeredByA55(r faults.Record) bool {
	return r.Auth.ChargeUUID != "" || r.Result.ChargeUUID != "" ||
		r.Auth.Status == workflows.StatusDeclined || r.Result.Status == workflows.StatusDeclined
}

func readCardKeys(ctx context.Context, proj *stack.Project, records []faults.Record) (cardKeys, error) {
	k := cardKeys{answered: map[string]int{}, destroyed: map[string]int{}, live: map[string]int{}, reasons: map[string]int{}}
	for _, r := range records {
		if answeredByA55(r) {
			k.answered[r.Plan.BookingID] = 1
		}
	}
	_, err := os.Stat(proj.CardKeyFile())
	k.sqlite = err == nil
	dsn := proj.CardKeyStore()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return k, fmt.Errorf("the production stack's CARD_KEY_STORE is no PostgreSQL DSN (%d characters)", len(dsn))
	}
	k.store = fmt.Sprintf("postgres://%s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, cfg.Database)
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return k, fmt.Errorf("card-key store %s: %w", k.store, err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, `SELECT booking_id, destroyed_at IS NOT NULL, coalesce(destroy_reason, '') FROM card_keys`)
	if err != nil {
		return k, fmt.Errorf("card-key store %s: %w", k.store, err)
	}
	defer rows.Close()
	for rows.Next() {
		var booking, reason string
		var destroyed bool
		if err := rows.Scan(&booking, &destroyed, &reason); err != nil {
			return k, err
		}
		if destroyed {
			k.destroyed[booking]++
			k.reasons[reason]++
		} else {
			k.live[booking]++
		}
	}
	return k, rows.Err()
}

func (k cardKeys) answeredBy(booking string) bool { return k.answered[booking] == 1 }

func sum(m map[string]int) (n int) {
	for _, v := range m {
		n += v
	}
	return n
}

func (k cardKeys) String() string {
	var reasons []string
	for _, r := range slices.Sorted(maps.Keys(k.reasons)) {
		reasons = append(reasons, fmt.Sprintf("%s %d", r, k.reasons[r]))
	}
	return fmt.Sprintf("%s: %d destroyed (%s), %d live; %d bookings answered by A55",
		k.store, sum(k.destroyed), strings.Join(reasons, ", "), sum(k.live), len(k.answered))
}

// problems are the ways the store disagrees with the run: a booking A55
// answered whose key is not destroyed there (or is missing: the stack used
// another store), a key left able to open a card, a SQLite store in use.
func (k cardKeys) problems() []string {
	var out []string
	if k.sqlite {
		out = append(out, "the dev stacks' SQLite card-key store exists in the production stack's state directory")
	}
	if len(k.answered) == 0 {
		out = append(out, "no booking got A55's answer: the card-key check checked nothing")
	}
	if got, want := sum(k.destroyed), len(k.answered); got != want {
		out = append(out, fmt.Sprintf("%d destroyed keys in %s, want one per booking A55 answered (%d)", got, k.store, want))
	}
	for _, b := range slices.Sorted(maps.Keys(k.answered)) {
		if k.destroyed[b] != 1 {
			out = append(out, fmt.Sprintf("booking %s (answered by A55): %d destroyed keys in %s, want 1", b, k.destroyed[b], k.store))
		}
	}
	for _, b := range slices.Sorted(maps.Keys(k.live)) {
		// A booking whose start the simulator retried sealed its card
		// twice: the workflow took one token (destroyed above), the other
		// never reached any history and the sweep destroys it at the end
		// of its lifetime. A live key without a destroyed one is a booking
		// whose own key outlived A55's answer.
		if k.destroyed[b] == 0 || !k.answeredBy(b) {
			out = append(out, fmt.Sprintf("booking %s: %d card keys still live in %s after the run", b, k.live[b], k.store))
		}
	}
	return out
}
