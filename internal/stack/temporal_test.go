package stack

import (
	"context"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestDevServerArgs(t *testing.T) {
	d := DevServer{
		Addr: "127.0.0.1:7233", UIPort: 8233, DBFile: ".dev/temporal.db",
		SearchAttributes: []string{"BookingID=Keyword", "CaptureDeadline=Datetime"},
		CodecEndpoint:    "http://127.0.0.1:8081",
		DynamicConfig:    []string{"system.forceSearchAttributesCacheRefreshOnRead=false"},
		MetricsPort:      9233,
	}
	args, err := d.Args()
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(args, " ")
	want := "server start-dev --ip 127.0.0.1 --port 7233 --namespace default --log-level warn --ui-port 8233 " +
		"--db-filename .dev/temporal.db --search-attribute BookingID=Keyword --search-attribute CaptureDeadline=Datetime " +
		"--ui-codec-endpoint http://127.0.0.1:8081 --metrics-port 9233 --dynamic-config-value system.forceSearchAttributesCacheRefreshOnRead=false"
	if got != want {
		t.Fatalf("args:\n got %s\nwant %s", got, want)
	}
	if d.UIURL() != "http://127.0.0.1:8233" {
		t.Fatalf("UIURL = %s", d.UIURL())
	}
	if _, err := (DevServer{Addr: "no-port"}).Args(); err == nil {
		t.Fatal("an address without a port was accepted")
	}
}

// The real dev server (bin/temporal, built by `make temporal`) starts, serves
// its frontend and UI, and leaves nothing behind when stopped.
func TestDevServerStartsAndStopsCleanly(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the Temporal dev server")
	}
	root, err := RepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(root, "bin", "temporal")
	if !fileExists(bin) {
		t.Fatalf("%s is missing: run `make temporal` first", bin)
	}
	addr, err := FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	uiAddr, err := FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	_, uiPort, _ := net.SplitHostPort(uiAddr)
	port, _ := strconv.Atoi(uiPort)

	var g Group
	defer g.Stop(5 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	d := DevServer{Binary: bin, Addr: addr, UIPort: port, SearchAttributes: []string{"BookingID=Keyword"}}
	p, err := d.Start(ctx, &g)
	if err != nil {
		t.Fatal(err)
	}
	if err := HTTPCheck(d.UIURL() + "/namespaces/default/workflows")(ctx); err != nil {
		t.Fatalf("UI: %v", err)
	}
	if err := g.Stop(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	if GroupAlive(p.Pid()) {
		t.Fatal("the dev server's process group survived Stop")
	}
	if err := TCPCheck(addr)(ctx); err == nil {
		t.Fatal("the frontend port still accepts connections after Stop")
	}
}

// A Project with no apps runs the dev server alone on ports it picks, and
// restarts it on the same address and database file.
func TestProjectRestartsTheDevServerInPlace(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the Temporal dev server")
	}
	root, err := RepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	p := &Project{Root: root, StateDir: state, Server: Server{DBFile: filepath.Join(state, "temporal.db"), Headless: true}}
	defer p.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	first := p.Process(Temporal)
	addr := p.Addrs.Temporal
	if first == nil || addr == "" {
		t.Fatalf("Start left no dev server (%v) or address (%q)", first, addr)
	}
	if err := HTTPCheck(p.ServerMetricsURL())(ctx); err != nil {
		t.Errorf("the dev server's metrics: %v", err)
	}
	if err := first.Stop(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	second, err := p.Restart(ctx, Temporal)
	if err != nil {
		t.Fatal(err)
	}
	if second == first || p.Process(Temporal) != second || p.Addrs.Temporal != addr {
		t.Fatalf("Restart: process %v (was %v) on %s (was %s)", second, first, p.Addrs.Temporal, addr)
	}
	if err := TemporalCheck(addr, "default")(ctx); err != nil {
		t.Fatalf("the restarted dev server does not serve: %v", err)
	}
}
