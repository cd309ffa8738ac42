package stack

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestCounter(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("# TYPE a_total counter\na_total 3\nab_total 9\nb_total{by=\"request\"} 2\n"))
	}))
	defer srv.Close()
	ctx := context.Background()
	for name, want := range map[string]int64{"a_total": 3, "b_total": 2, "c_total": 0} {
		if got, err := Counter(ctx, srv.URL, name); err != nil || got != want {
			t.Errorf("Counter(%s) = %d, %v; want %d", name, got, err, want)
		}
	}
	srv.Close()
	if _, err := Counter(ctx, srv.URL, "a_total"); err == nil {
		t.Error("no error from a closed endpoint")
	}
}
