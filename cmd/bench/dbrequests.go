package main

// The dev server's database requests during each workload, read from its
// Prometheus endpoint before and after. The dev server keeps everything in one
// SQLite file behind one connection, so these requests, served one at a time,
// are where a saturated dev server's time goes.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// dbReportingInterval covers the dev server's metrics reporting interval (a
// second): its counters reach /metrics up to that long after the requests.
const dbReportingInterval = 1200 * time.Millisecond

// dbRequests counts requests by persistence operation (history, matching and
// visibility stores together).
type dbRequests map[string]float64

// scrapeDBRequests reads the counters from the dev server's /metrics.
func scrapeDBRequests(ctx context.Context, metricsURL string) (dbRequests, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, metricsURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: HTTP %d", metricsURL, resp.StatusCode)
	}
	return parseDBRequests(resp.Body)
}

// dbWatch reads the dev server's database requests when a workload starts and
// when it ends, as watchProc does a process's CPU.
type dbWatch struct {
	ctx    context.Context
	url    string
	before dbRequests
	err    error
}

func watchDB(ctx context.Context, metricsURL string) *dbWatch {
	w := &dbWatch{ctx: ctx, url: metricsURL}
	w.before, w.err = scrapeDBRequests(ctx, metricsURL)
	return w
}

// stop returns the requests made since watchDB.
func (w *dbWatch) stop() (dbRequests, error) {
	if w.err != nil {
		return nil, w.err
	}
	time.Sleep(dbReportingInterval) // the counters of the workload's last requests
	after, err := scrapeDBRequests(w.ctx, w.url)
	if err != nil {
		return nil, err
	}
	return after.since(w.before), nil
}

// parseDBRequests sums persistence_requests and
// visibility_persistence_requests by their operation label.
func parseDBRequests(r io.Reader) (dbRequests, error) {
	out := dbRequests{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		name, rest, ok := strings.Cut(line, "{")
		if !ok || (name != "persistence_requests" && name != "visibility_persistence_requests") {
			continue
		}
		labels, value, ok := strings.Cut(rest, "} ")
		if !ok {
			continue
		}
		op := label(labels, "operation")
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if op == "" || err != nil {
			continue
		}
		out[op] += v
	}
	return out, sc.Err()
}

// label returns one label's value from `a="x",b="y"`.
func label(labels, name string) string {
	_, after, ok := strings.Cut(","+labels, ","+name+`="`)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(after, `"`)
	return v
}

// since is d minus an earlier reading.
func (d dbRequests) since(earlier dbRequests) dbRequests {
	out := dbRequests{}
	for op, v := range d {
		if n := v - earlier[op]; n > 0 {
			out[op] = n
		}
	}
	return out
}

func (d dbRequests) add(o dbRequests) {
	for op, v := range o {
		d[op] += v
	}
}

func (d dbRequests) total() float64 {
	t := 0.0
	for _, v := range d {
		t += v
	}
	return t
}

func (d dbRequests) sum(ops ...string) float64 {
	t := 0.0
	for _, op := range ops {
		t += d[op]
	}
	return t
}

// dbRequestColumns are the report's columns: what each group of operations is.
var dbRequestColumns = []struct {
	title string
	ops   []string
}{
	{"Workflow state written (`UpdateWorkflowExecution`)", []string{"UpdateWorkflowExecution"}},
	{"Started (`CreateWorkflowExecution`)", []string{"CreateWorkflowExecution"}},
	{"Tasks written for want of a waiting poller (`CreateTasks`)", []string{"CreateTasks"}},
	{"Visibility records written", []string{"RecordWorkflowExecutionStarted", "UpsertWorkflowExecution", "RecordWorkflowExecutionClosed"}},
	{"Calls by workflow id (`GetCurrentExecution`)", []string{"GetCurrentExecution"}},
	{"Workflow state loaded (`GetWorkflowExecution`)", []string{"GetWorkflowExecution"}},
	{"Search-attribute metadata reads", []string{"GetCurrentClusterMetadata", "GetNamespace"}},
}
