package codecserver

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/hotelpay/a55-temporal/internal/secretfile"
)

// EnvAuthTokenFile names a file holding the codec token (alternative to
// CODEC_AUTH_TOKEN; surrounding whitespace is ignored).
const EnvAuthTokenFile = "CODEC_AUTH_TOKEN_FILE"

// AuthTokenFromLookup reads CODEC_AUTH_TOKEN or CODEC_AUTH_TOKEN_FILE (exactly one).
func AuthTokenFromLookup(lookup func(string) (string, bool)) (string, error) {
	token, source, set, err := secretfile.FromEnv(lookup, EnvAuthToken, EnvAuthTokenFile)
	if err != nil {
		return "", err
	}
	if !set {
		return "", fmt.Errorf("no codec token: set %s (at least %d characters, e.g. openssl rand -hex 32) or %s=path", EnvAuthToken, minTokenLength, EnvAuthTokenFile)
	}
	token = strings.TrimSpace(token)
	if len(token) < minTokenLength {
		return "", fmt.Errorf("%s: the codec token must be at least %d characters", source, minTokenLength)
	}
	return token, nil
}

// EnsureTokenFile writes a random 32-byte hex token to path (mode 0600) if no
// file is there, for the dev stack's first run. It reports whether it created one.
func EnsureTokenFile(path string) (created bool, err error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return false, err
	}
	return secretfile.CreateNew(path, hex.EncodeToString(raw)+"\n")
}
