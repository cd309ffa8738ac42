package config

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"

	"github.com/hotelpay/a55-temporal/codec"
)

// DevKeyFileName is where dev mode keeps its generated payload key, under the
// user's cache directory, so the worker, receiver and starter of one machine
// share it.
const DevKeyFileName = "a55-temporal/dev-payload.keys"

// DevKeyFile is the path of the dev-mode key file.
func DevKeyFile() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, DevKeyFileName), nil
}

// PayloadKeyring reads PAYLOAD_KEYS / PAYLOAD_KEY_FILE. Without either, dev
// mode generates (once) and uses a local key file; outside dev mode that is
// an error, because history would hold card data in clear.
func PayloadKeyring(env Env, devMode bool) (ring *codec.Keyring, generated string, err error) {
	ring, err = codec.KeyringFromLookup(env.LookupEnv)
	if err == nil {
		return ring, "", nil
	}
	if Get(env, codec.EnvKeys, "") != "" || Get(env, codec.EnvKeyFile, "") != "" || !devMode {
		return nil, "", Errorf(codec.EnvKeys+"/"+codec.EnvKeyFile, "%v (or run with -dev / %s=1 for a generated local key)", err, EnvDevMode)
	}
	path, err := DevKeyFile()
	if err != nil {
		return nil, "", err
	}
	if _, err := codec.EnsureKeyFile(path); err != nil {
		return nil, "", fmt.Errorf("dev mode: creating %s: %w", path, err)
	}
	ring, err = codec.KeyringFromFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("dev mode: %w", err)
	}
	return ring, path, nil
}

// Temporal is what a process needs to build its Temporal client.
type Temporal struct {
	Env      Env
	DevMode  bool
	Logger   log.Logger            // nil = SDK default
	Metrics  client.MetricsHandler // nil = none
	Identity string                // "" = the SDK's default (pid@host)
}

// ClientOptions loads the connection settings from the environment (SDK
// envconfig) and adds the encrypting data and failure converters, the logger
// and the metrics handler. generatedKey is the dev key file's path when one
// was used.
func (t Temporal) ClientOptions() (opts client.Options, generatedKey string, err error) {
	env := t.Env
	if env == nil {
		env = OS
	}
	opts, err = TemporalClientOptions(env)
	if err != nil {
		return client.Options{}, "", err
	}
	ring, generatedKey, err := PayloadKeyring(env, t.DevMode)
	if err != nil {
		return client.Options{}, "", err
	}
	opts.DataConverter, opts.FailureConverter = codec.ClientOptions(ring)
	opts.Logger = t.Logger
	opts.MetricsHandler = t.Metrics
	opts.Identity = t.Identity
	return opts, generatedKey, nil
}

// Dial dials Temporal once with ClientOptions.
func (t Temporal) Dial(ctx context.Context) (client.Client, error) {
	opts, _, err := t.ClientOptions()
	if err != nil {
		return nil, err
	}
	return client.DialContext(ctx, opts)
}

// DialWithRetry dials until the server answers or ctx ends, so a process
// started alongside Temporal (compose, make demo) waits for it instead of
// dying. onRetry is told about each failed attempt.
func DialWithRetry(ctx context.Context, opts client.Options, onRetry func(error)) (client.Client, error) {
	delay := 250 * time.Millisecond
	for {
		c, err := client.DialContext(ctx, opts)
		if err == nil {
			return c, nil
		}
		if ctx.Err() != nil {
			return nil, errors.Join(fmt.Errorf("temporal at %q (TEMPORAL_ADDRESS) not reachable", hostPort(opts)), err)
		}
		if onRetry != nil {
			onRetry(err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(delay):
		}
		if delay < 5*time.Second {
			delay *= 2
		}
	}
}

func hostPort(opts client.Options) string {
	if opts.HostPort == "" {
		return client.DefaultHostPort
	}
	return opts.HostPort
}
