package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"

	commonpb "go.temporal.io/api/common/v1"

	"github.com/hotelpay/a55-temporal/codec"
	"github.com/hotelpay/a55-temporal/internal/codecserver"
	"github.com/hotelpay/a55-temporal/internal/stack"
)

func envOf(kv map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := kv[k]; return v, ok }
}

func TestRunServesAndStops(t *testing.T) {
	dir := t.TempDir()
	keyFile, tokenFile := filepath.Join(dir, "payload.keys"), filepath.Join(dir, "codec.token")
	var out stack.SyncBuffer
	if err := run(context.Background(), []string{"-init-key-file", keyFile, "-init-token-file", tokenFile}, envOf(nil), &out, &out, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "created payload key file") || !strings.Contains(out.String(), "created codec token file") {
		t.Errorf("init output: %q", out.String())
	}
	tokenBytes, _ := os.ReadFile(tokenFile)
	token := strings.TrimSpace(string(tokenBytes))

	env := envOf(map[string]string{codec.EnvKeyFile: keyFile, codecserver.EnvAuthTokenFile: tokenFile})
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	var logs stack.SyncBuffer
	go func() {
		done <- run(ctx, []string{"-listen", "127.0.0.1:0"}, env, &logs, &logs, func(a string) { addrc <- a })
	}()
	var addr string
	select {
	case addr = <-addrc:
	case err := <-done:
		t.Fatalf("run ended early: %v", err)
	}

	ring, err := codec.KeyringFromFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := codec.NewDataConverter(ring).ToPayload(map[string]any{"card": map[string]any{"number": "4111111111111111", "cvv": "737", "holder_name": "John Doe"}})
	body, _ := protojson.Marshal(&commonpb.Payloads{Payloads: []*commonpb.Payload{p}})
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/decode", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Origin", "http://localhost:8233")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var decoded commonpb.Payloads
	raw := new(bytes.Buffer)
	raw.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, raw)
	}
	if err := protojson.Unmarshal(raw.Bytes(), &decoded); err != nil {
		t.Fatal(err)
	}
	if got := string(decoded.Payloads[0].Data); !strings.Contains(got, "411111******1111") || strings.Contains(got, "737") {
		t.Errorf("decoded = %s", got)
	}

	cancel()
	if err := <-done; err != nil {
		t.Errorf("run after cancel: %v", err)
	}
	l := logs.String()
	for _, want := range []string{"codec server listening", `"path":"/decode"`, `"status":200`} {
		if !strings.Contains(l, want) {
			t.Errorf("logs lack %q: %s", want, l)
		}
	}
	if strings.Contains(l, token) {
		t.Error("logs contain the codec token")
	}
}

func TestRunRejectsBadConfiguration(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
	}{
		{"no keys", nil, map[string]string{codecserver.EnvAuthToken: "0123456789abcdef0123"}, codec.EnvKeys},
		{"no token", nil, map[string]string{codec.EnvKeys: "k1:" + strings.Repeat("A", 43) + "="}, codecserver.EnvAuthToken},
		{"tls half set", []string{"-tls-cert", "c.pem"}, nil, "-tls-key"},
		{"bad log level", []string{"-log-level", "loud"}, nil, "log level"},
		{"trust on a public address", []string{"-trust-ui-origins", "-listen", "0.0.0.0:8081"}, nil, "loopback"},
		{"trust on all interfaces", []string{"-listen", ":8081"}, map[string]string{"CODEC_TRUST_UI_ORIGINS": "1"}, "loopback"},
		{"stray argument", []string{"serve"}, nil, "unexpected arguments"},
		{"bad origin", []string{"-cors-origins", "*"}, map[string]string{codec.EnvKeys: "k1:" + strings.Repeat("A", 43) + "=", codecserver.EnvAuthToken: "0123456789abcdef0123"}, codecserver.EnvCORSOrigins},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out stack.SyncBuffer
			err := run(context.Background(), append([]string{"-listen", "127.0.0.1:0"}, tt.args...), envOf(tt.env), &out, &out, func(string) { t.Error("server started") })
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}
