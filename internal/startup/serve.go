package startup

import (
	"context"
	"net/http"
	"time"
)

// ShutdownGrace is how long an HTTP server's requests in flight get to
// finish once the process is told to stop.
const ShutdownGrace = 5 * time.Second

// ServeHTTP runs serve (srv.Serve or srv.ServeTLS on its listener) until it
// fails or ctx ends; then srv shuts down gracefully within ShutdownGrace.
func ServeHTTP(ctx context.Context, srv *http.Server, serve func() error) error {
	errc := make(chan error, 1)
	go func() { errc <- serve() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), ShutdownGrace)
	defer cancel()
	return srv.Shutdown(shutdown)
}
