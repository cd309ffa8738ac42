// Command healthcheck is the container health probe: the runtime image is
// distroless (no shell, no curl), so compose health checks run this instead.
//
//	healthcheck http://127.0.0.1:8088/healthz
//
// It exits 0 when every URL answers GET with a 2xx status within the timeout,
// 1 otherwise.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/hotelpay/a55-temporal/internal/httpprobe"
)

func main() {
	timeout := flag.Duration("timeout", 3*time.Second, "timeout for each request")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: healthcheck [-timeout 3s] URL...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	for _, u := range flag.Args() {
		if err := probe(u, *timeout); err != nil {
			fmt.Fprintln(os.Stderr, "unhealthy:", err)
			os.Exit(1)
		}
	}
}

func probe(url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return httpprobe.Get(ctx, url)
}
