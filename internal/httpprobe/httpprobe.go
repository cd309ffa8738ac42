// Package httpprobe is the one HTTP health probe: the container health check
// (cmd/healthcheck) and the local stack's launcher (internal/stack) ask a
// process whether it is up the same way. It depends on the standard library
// only, so the distroless health check binary stays small.
package httpprobe

import (
	"context"
	"fmt"
	"net/http"
)

// Get passes when GET url answers with a 2xx status before ctx ends.
func Get(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}
