package httpprobe

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestGetPassesOnlyOn2xx(t *testing.T) {
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			t.Errorf("method %s, want GET", r.Method)
		}
		w.WriteHeader(status)
	}))
	defer srv.Close()
	for _, s := range []int{http.StatusOK, http.StatusNoContent} {
		status = s
		if err := Get(context.Background(), srv.URL); err != nil {
			t.Errorf("%d: %v, want healthy", s, err)
		}
	}
	for _, s := range []int{http.StatusMovedPermanently, http.StatusServiceUnavailable} {
		status = s
		if err := Get(context.Background(), srv.URL); err == nil || !strings.Contains(err.Error(), http.StatusText(s)) {
			t.Errorf("%d: %v, want an error naming the status", s, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Get(ctx, srv.URL); err == nil {
		t.Error("an ended context passed")
	}
}
