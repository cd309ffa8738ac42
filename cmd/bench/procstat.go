package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat: 100
// on every Linux architecture Go supports (the kernel fixes it for the ABI).
const clockTicks = 100

// ProcSample is a process's memory and CPU at one moment.
type ProcSample struct {
	RSS   int64         // VmRSS, bytes
	HWM   int64         // VmHWM (peak RSS since start), bytes
	CPU   time.Duration // utime + stime
	Taken time.Time
}

// readProc samples /proc/<pid>/status and /proc/<pid>/stat.
func readProc(pid int) (ProcSample, error) {
	s := ProcSample{Taken: time.Now()}
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		switch k {
		case "VmRSS":
			s.RSS = parseKB(v)
		case "VmHWM":
			s.HWM = parseKB(v)
		}
	}
	f.Close()
	if err := sc.Err(); err != nil {
		return s, err
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, err
	}
	cpu, err := parseStatCPU(string(stat))
	if err != nil {
		return s, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	s.CPU = cpu
	return s, nil
}

// parseKB reads "  12345 kB" as bytes.
func parseKB(v string) int64 {
	fields := strings.Fields(v)
	if len(fields) == 0 {
		return 0
	}
	n, _ := strconv.ParseInt(fields[0], 10, 64)
	return n * 1024
}

// parseStatCPU returns utime+stime from a /proc/<pid>/stat line. The command
// name (field 2) may hold spaces and parentheses, so fields are counted from
// the last ')'.
func parseStatCPU(stat string) (time.Duration, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("no command name")
	}
	fields := strings.Fields(stat[i+1:])
	// fields[0] is field 3 (state); utime is field 14, stime field 15.
	if len(fields) < 13 {
		return 0, fmt.Errorf("only %d fields", len(fields)+2)
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("utime/stime are not numbers")
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// loadAverage is the first three fields of /proc/loadavg.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// memTotal is MemTotal from /proc/meminfo, in bytes.
func memTotal() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && k == "MemTotal" {
			return parseKB(v)
		}
	}
	return 0
}

// procWatch follows one process through a phase: CPU used between start and
// stop, and the highest RSS seen by periodic sampling (VmHWM is since the
// process started, which may be before the phase).
type procWatch struct {
	pid     int
	start   ProcSample
	peakRSS int64
	stopCh  chan struct{}
	done    chan struct{}
}

func watchProc(pid int) *procWatch {
	w := &procWatch{pid: pid, stopCh: make(chan struct{}), done: make(chan struct{})}
	w.start, _ = readProc(pid)
	w.peakRSS = w.start.RSS
	go func() {
		defer close(w.done)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-w.stopCh:
				return
			case <-t.C:
				if s, err := readProc(pid); err == nil && s.RSS > w.peakRSS {
					w.peakRSS = s.RSS
				}
			}
		}
	}()
	return w
}

// ProcUsage is what a process used during a phase.
type ProcUsage struct {
	CPU     time.Duration // CPU time used in the phase
	PeakRSS int64         // highest sampled RSS in the phase
	HWM     int64         // VmHWM at the end (peak since the process started)
	RSS     int64         // RSS at the end
}

func (w *procWatch) stop() ProcUsage {
	close(w.stopCh)
	<-w.done
	end, err := readProc(w.pid)
	if err != nil {
		return ProcUsage{PeakRSS: w.peakRSS}
	}
	u := ProcUsage{CPU: end.CPU - w.start.CPU, PeakRSS: max(w.peakRSS, end.RSS), HWM: end.HWM, RSS: end.RSS}
	return u
}

// tcpPeers lists the local ends ("ADDR:PORT" in /proc/net/tcp hex) of the
// TCP sockets whose remote port is port, from /proc/net/tcp and tcp6.
func tcpPeers(port int) map[string]bool {
	peers := map[string]bool{}
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for k := range parseTCPPeers(string(b), port) {
			peers[k] = true
		}
	}
	return peers
}

func parseTCPPeers(table string, port int) map[string]bool {
	peers := map[string]bool{}
	want := fmt.Sprintf(":%04X", port)
	for i, line := range strings.Split(table, "\n") {
		f := strings.Fields(line)
		if i == 0 || len(f) < 4 {
			continue
		}
		if strings.HasSuffix(f[2], want) {
			peers[f[1]] = true
		}
	}
	return peers
}

// connWatch counts the distinct TCP connections made to a port while it
// runs, sampled every 500 ms: a closed connection lingers a minute in
// TIME_WAIT on the side that closed it (the client, for idle connections
// over the pool's limit), so the sampling sees it.
type connWatch struct {
	seen   map[string]bool
	stopCh chan struct{}
	done   chan struct{}
}

func watchConns(port int) *connWatch {
	w := &connWatch{seen: map[string]bool{}, stopCh: make(chan struct{}), done: make(chan struct{})}
	before := tcpPeers(port)
	go func() {
		defer close(w.done)
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			for k := range tcpPeers(port) {
				if !before[k] {
					w.seen[k] = true
				}
			}
			select {
			case <-w.stopCh:
				return
			case <-t.C:
			}
		}
	}()
	return w
}

func (w *connWatch) stop() int {
	close(w.stopCh)
	<-w.done
	return len(w.seen)
}
