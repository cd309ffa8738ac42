package a55sandbox

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"time"
)

// Server is a Sandbox listening on a TCP address.
type Server struct {
	*Sandbox
	// URL is the base URL, e.g. http://127.0.0.1:41234. Use it as both the
	// client's base URL and (with /oauth2/token) its token URL.
	URL      string
	listener net.Listener
	http     *http.Server
	done     chan struct{}
}

// Listen starts a sandbox server on addr ("127.0.0.1:0" picks a free port).
// When cfg.PublicURL is empty it becomes the server's URL.
func Listen(addr string, cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	tcp := ln.Addr().(*net.TCPAddr)
	url := "http://" + ln.Addr().String()
	if tcp.IP.IsUnspecified() {
		// Listening on every interface: challenge links follow each request's Host.
		url = "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp.Port))
	} else if cfg.PublicURL == "" {
		cfg.PublicURL = url
	}
	srv := &Server{Sandbox: New(cfg), URL: url, listener: ln, done: make(chan struct{})}
	srv.http = &http.Server{Handler: srv.Sandbox, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(srv.done)
		if err := srv.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) && srv.Sandbox.cfg.Logger != nil {
			srv.Sandbox.cfg.Logger.Error("a55sandbox server stopped", "error", err)
		}
	}()
	return srv, nil
}

// NewServer starts a sandbox on 127.0.0.1 with a free port. It panics if no
// port can be had, like httptest.NewServer.
func NewServer(cfg Config) *Server {
	srv, err := Listen("127.0.0.1:0", cfg)
	if err != nil {
		panic("a55sandbox: " + err.Error())
	}
	return srv
}

// TB is the part of testing.TB that Start uses.
type TB interface {
	Helper()
	Cleanup(func())
}

// Start starts a sandbox server for a test and closes it when the test ends.
func Start(t TB, cfg Config) *Server {
	t.Helper()
	srv := NewServer(cfg)
	t.Cleanup(srv.Close)
	return srv
}

// TokenURL is the server's OAuth token endpoint.
func (s *Server) TokenURL() string { return s.URL + "/oauth2/token" }

// Shutdown stops accepting requests, waits for those in flight (up to ctx),
// then closes the sandbox.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.http.Shutdown(ctx)
	<-s.done
	s.Sandbox.Close()
	return err
}

// Close stops the server at once and closes the sandbox.
func (s *Server) Close() {
	s.http.Close()
	<-s.done
	s.Sandbox.Close()
}
