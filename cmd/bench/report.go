package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

func (m machineInfo) markdown(loadEnd string) string {
	return fmt.Sprintf("Machine: %d CPUs (`nproc`), %.1f GiB RAM, %s, %s; load average %s at the start, %s at the end. Code: %s.",
		m.CPUs, float64(m.Memory)/(1<<30), m.GoVersion, m.CLIVersion, m.LoadStart, loadEnd, m.Commit)
}

func commandLine() string {
	args := append([]string{"go run ./cmd/bench"}, os.Args[1:]...)
	return strings.Join(args, " ")
}

func perBooking(d time.Duration, n int) string {
	if n == 0 {
		return "–"
	}
	return ms(d / time.Duration(n))
}

func phaseTitle(name string) string {
	switch name {
	case phaseFloor:
		return "floor (regular activities)"
	case phaseFloorLocal:
		return "floor (local activities)"
	case phaseOurs:
		return "ours (BookingPayment)"
	}
	return name
}

func pathTitle(phase, path string) string {
	switch path {
	case pathHappy:
		return "ours, no 3DS"
	case path3DS:
		return "ours, 3DS challenge"
	case pathFloor:
		return phaseTitle(phase)
	}
	return phase + " " + path
}

func renderThroughput(r *throughputRun) string {
	var b strings.Builder
	o := r.opts
	fmt.Fprintf(&b, "# %s — %s\n\n", o.label, r.started.Format("2006-01-02 15:04 UTC"))
	fmt.Fprintln(&b, r.machine.markdown(r.loadEnd))
	fmt.Fprintf(&b, "\nCommand: `%s` — %d bookings per workload, %d in flight, %s, %d rounds of %s",
		commandLine(), o.n, o.c, dbKind(o), o.rounds, strings.Join(o.phases, " → "))
	if len(o.workerEnv) > 0 {
		fmt.Fprintf(&b, ", worker env %s", kvString(o.workerEnv))
	}
	fmt.Fprint(&b, notificationsNote(o))
	if o.workerBin != "" {
		fmt.Fprintf(&b, ", worker binary `%s`", o.workerBin)
	}
	if p := o.floorPollers.String(); p != "" {
		fmt.Fprintf(&b, ", floor worker with %s workflow/activity pollers", p)
	}
	if len(o.serverConfig) > 0 {
		fmt.Fprintf(&b, ", dev server dynamic config `%s`", strings.Join(o.serverConfig, "`, `"))
	}
	fmt.Fprint(&b, ".\n\n")

	var floorRate float64
	var floorEvents []int
	for _, p := range r.phases {
		if p.Name == phaseFloor {
			floorRate = p.rate()
			if c := p.Costs[pathFloor]; c != nil {
				floorEvents = c.Events
			}
		}
	}

	fmt.Fprintln(&b, "| Workload | Bookings ok / run | Wall (sum of rounds) | Bookings/s | × regular floor | Authorize p50 / p95 / p99 | Capture p50 / p95 / p99 |")
	fmt.Fprintln(&b, "|---|---|---|---|---|---|---|")
	for _, p := range r.phases {
		ratio := "–"
		if floorRate > 0 {
			ratio = fmt.Sprintf("%.2f×", p.rate()/floorRate)
		}
		fmt.Fprintf(&b, "| %s | %d / %d | %s | **%.2f** | %s | %s | %s |\n", phaseTitle(p.Name), p.ok(), len(p.Samples),
			p.Wall.Round(10*time.Millisecond), p.rate(), ratio, summarize(durations(p.Samples, "", authLat)), summarize(durations(p.Samples, "", capLat)))
		if p.Name == phaseOurs {
			for _, path := range []string{pathHappy, path3DS} {
				note := ""
				if path == path3DS {
					note = " (authorize = until awaiting_3ds)"
				}
				fmt.Fprintf(&b, "| ↳ %s%s | %d | | | | %s | %s |\n", pathTitle(p.Name, path), note, countPath(p.Samples, path),
					summarize(durations(p.Samples, path, authLat)), summarize(durations(p.Samples, path, capLat)))
			}
		}
	}
	fmt.Fprintln(&b)

	for _, p := range r.phases {
		if p.Name != phaseOurs {
			continue
		}
		fmt.Fprintln(&b, "3DS path, webhook → workflow (the card holder approves on the sandbox's challenge page; the sandbox's webhook goes to the receiver, which delivers it as the `charge_changed` update (a signal if the update cannot be delivered); the workflow re-reads the charge):")
		fmt.Fprintln(&b)
		fmt.Fprintln(&b, "| | p50 / p95 / p99 | max |")
		fmt.Fprintln(&b, "|---|---|---|")
		lag, rec := summarize(nil), summarize(nil)
		if c := p.Costs[path3DS]; c != nil {
			lag, rec = summarize(c.SignalLag), summarize(c.AuthorizedLag)
		}
		wh := summarize(durations(p.Samples, path3DS, webhookLat))
		fmt.Fprintf(&b, "| challenge answered → webhook taken in history (update accepted, or signal; server time) | %s | %s |\n", lag, ms(lag.Max))
		fmt.Fprintf(&b, "| challenge answered → workflow records authorized (PaymentStatus upsert in history) | %s | %s |\n", rec, ms(rec.Max))
		fmt.Fprintf(&b, "| challenge answered → status query says authorized (%s polls) | %s | %s |\n", o.pollEvery, wh, ms(wh.Max))
		fmt.Fprintf(&b, "\nStatus queries sent while waiting: %.1f per 3DS booking (not part of the booking's cost below; Temporal Cloud bills each as an action).\n\n", avgPolls(p.Samples))
	}

	fmt.Fprintln(&b, "Temporal cost per booking (every successful booking's history, read after the run):")
	fmt.Fprintln(&b)
	fmt.Fprintln(&b, "| Workload / path | Bookings | History events | Billable actions (estimate) | Actions by kind, per booking |")
	fmt.Fprintln(&b, "|---|---|---|---|---|")
	for _, p := range r.phases {
		for _, path := range sortedPaths(p.Costs) {
			c := p.Costs[path]
			open := ""
			if c.Open > 0 {
				open = fmt.Sprintf(" (%d still open: lower bound)", c.Open)
			}
			fmt.Fprintf(&b, "| %s | %d%s | %s | %s | %s |\n", pathTitle(p.Name, path), c.N, open, fmtInts(c.Events), fmtInts(c.Actions), kinds(c))
		}
	}
	fmt.Fprintln(&b)

	fmt.Fprintln(&b, "Resources during each workload (CPU from /proc/<pid>/stat utime+stime, memory from /proc/<pid>/status):")
	fmt.Fprintln(&b)
	fmt.Fprintln(&b, "| Workload | Worker CPU per booking | Worker peak RSS in the phase | Worker VmHWM at the end | Server CPU per booking | Bench clients CPU per booking | A55 sandbox / receiver CPU per booking |")
	fmt.Fprintln(&b, "|---|---|---|---|---|---|---|")
	for _, p := range r.phases {
		n := p.ok()
		others := "—"
		if p.Name == phaseOurs {
			others = perBooking(p.Sandbox.CPU, n) + " / " + perBooking(p.Receiver.CPU, n)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", phaseTitle(p.Name), perBooking(p.Worker.CPU, n), mib(p.Worker.PeakRSS),
			mib(p.Worker.HWM), perBooking(p.Server.CPU, n), perBooking(p.Bench.CPU, n), others)
	}
	fmt.Fprintln(&b)
	for _, p := range r.phases {
		if p.Name == phaseOurs && p.ok() > 0 {
			fmt.Fprintf(&b, "TCP connections opened to the A55 sandbox during ours: %d (%.2f per booking; the worker's A55 client plus the bench's challenge-page visits, which reuse %d keep-alive connections).\n\n",
				p.A55Conns, float64(p.A55Conns)/float64(p.ok()), o.c)
		}
	}

	renderDBRequests(&b, r.phases, o.prod)

	// The done-when targets.
	for _, p := range r.phases {
		if p.Name != phaseOurs || floorRate == 0 {
			continue
		}
		ratio := p.rate() / floorRate
		fmt.Fprintf(&b, "- Throughput target (ours ≥ 1.0× the regular floor): %.2f× — **%s**.\n", ratio, holds(ratio >= 1.0))
		if c := p.Costs[pathHappy]; c != nil && len(floorEvents) > 0 {
			_, ours, _ := intStats(c.Events)
			_, fl, _ := intStats(floorEvents)
			fmt.Fprintf(&b, "- History target (happy-path events ≤ the regular floor's): %.1f vs %.1f — **%s**.\n", ours, fl, holds(ours <= fl))
		}
	}
	for _, p := range r.phases {
		if errs := errorSummary(p.Samples, 5); len(errs) > 0 {
			fmt.Fprintf(&b, "- Errors in %s: %s\n", phaseTitle(p.Name), strings.Join(errs, "; "))
		}
	}
	fmt.Fprintln(&b)

	fmt.Fprintln(&b, "<details><summary>One booking's history per path, event by event, with the actions each event counts</summary>")
	fmt.Fprintln(&b)
	for _, p := range r.phases {
		for _, path := range sortedPaths(p.Costs) {
			c := p.Costs[path]
			fmt.Fprintf(&b, "**%s** (`%s`, %d events):\n\n```\n%s\n```\n\n", pathTitle(p.Name, path), c.ExampleID, len(c.Example), strings.Join(c.Example, "\n"))
		}
	}
	fmt.Fprintln(&b, "</details>")
	return b.String()
}

func holds(ok bool) string {
	if ok {
		return "holds"
	}
	return "does not hold"
}

// dbKind is the server and its store.
func dbKind(o options) string {
	switch {
	case o.prod:
		return "the real Temporal server on a fresh PostgreSQL cluster (the compose file's topology; PostgreSQL's own CPU is not in the server's figures)"
	case o.memoryDB:
		return "dev server on an in-memory store"
	}
	return "dev server on a fresh SQLite file"
}

func kvString(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+"="+m[k])
	}
	return "`" + strings.Join(parts, " ") + "`"
}

func sortedPaths(m map[string]*pathCost) []string {
	order := map[string]int{pathFloor: 0, pathHappy: 1, path3DS: 2, pathHold: 3}
	var paths []string
	for p := range m {
		paths = append(paths, p)
	}
	sort.Slice(paths, func(i, j int) bool { return order[paths[i]] < order[paths[j]] })
	return paths
}

func kinds(c *pathCost) string {
	if c.N == 0 {
		return "–"
	}
	var keys []string
	for k := range c.ByKind {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		v := float64(c.ByKind[k]) / float64(c.N)
		if v == float64(int(v)) {
			parts = append(parts, fmt.Sprintf("%s %d", k, int(v)))
		} else {
			parts = append(parts, fmt.Sprintf("%s %.2f", k, v))
		}
	}
	return strings.Join(parts, ", ")
}

type latencyOf func(sample) time.Duration

func authLat(s sample) time.Duration    { return s.Authorize }
func capLat(s sample) time.Duration     { return s.Capture }
func webhookLat(s sample) time.Duration { return s.Webhook }

// durations picks one latency of the successful samples of a path ("" = all).
func durations(samples []sample, path string, f latencyOf) []time.Duration {
	var ds []time.Duration
	for _, s := range samples {
		if s.Err == nil && (path == "" || s.Path == path) {
			ds = append(ds, f(s))
		}
	}
	return ds
}

func countPath(samples []sample, path string) int {
	n := 0
	for _, s := range samples {
		if s.Err == nil && s.Path == path {
			n++
		}
	}
	return n
}

func avgPolls(samples []sample) float64 {
	n, polls := 0, 0
	for _, s := range samples {
		if s.Err == nil && s.Path == path3DS {
			n++
			polls += s.Polls
		}
	}
	if n == 0 {
		return 0
	}
	return float64(polls) / float64(n)
}

// writeRun writes a run's report to dir/<label>.md, replacing an earlier
// run of the same label and leaving the other runs' files alone.
func writeRun(dir, label, report string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, label+".md")
	return path, os.WriteFile(path, []byte(strings.TrimRight(report, "\n")+"\n"), 0o644)
}

// renderDBRequests is the server's database requests per booking during
// each workload.
func renderDBRequests(b *strings.Builder, phases []*phaseResult, prod bool) {
	var rows []string
	for _, p := range phases {
		if p.DB == nil || len(p.Samples) == 0 {
			continue
		}
		n := float64(len(p.Samples))
		row := fmt.Sprintf("| %s | %.1f", phaseTitle(p.Name), p.DB.total()/n)
		for _, c := range dbRequestColumns {
			row += fmt.Sprintf(" | %.1f", p.DB.sum(c.ops...)/n)
		}
		rows = append(rows, row+" |")
	}
	if len(rows) == 0 {
		return
	}
	store := "Dev server database requests per booking during each workload (its Prometheus `persistence_requests`; one SQLite connection serves them one at a time"
	if prod {
		store = "Temporal server database requests per booking during each workload (its Prometheus `persistence_requests`, served by PostgreSQL over connection pools"
	}
	fmt.Fprintln(b, store+"; a workload's figures include late work of the one before it, such as A55's settlement webhooks for ours):")
	fmt.Fprintln(b)
	head, rule := "| Workload | All", "|---|---"
	for _, c := range dbRequestColumns {
		head += " | " + c.title
		rule += "|---"
	}
	fmt.Fprintln(b, head+" |")
	fmt.Fprintln(b, rule+"|")
	fmt.Fprintln(b, strings.Join(rows, "\n"))
	fmt.Fprintln(b)
}

// notificationsNote says where the bookings' notifications went.
func notificationsNote(o options) string {
	if o.notify {
		return ", notifications delivered to a booking-system endpoint that verifies each (`-notify`)"
	}
	return ", no notification URL (each booking's first delivery finds nowhere to send and stops)"
}
