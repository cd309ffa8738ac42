package codec

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// EnvAuthTokenFile names a file holding the codec token (alternative to
// CODEC_AUTH_TOKEN; surrounding whitespace is ignored).
const EnvAuthTokenFile = "CODEC_AUTH_TOKEN_FILE"

// AuthTokenFromLookup reads CODEC_AUTH_TOKEN or CODEC_AUTH_TOKEN_FILE (exactly one).
func AuthTokenFromLookup(lookup func(string) (string, bool)) (string, error) {
	token, haveToken := lookup(EnvAuthToken)
	file, haveFile := lookup(EnvAuthTokenFile)
	haveToken = haveToken && strings.TrimSpace(token) != ""
	haveFile = haveFile && strings.TrimSpace(file) != ""
	switch {
	case haveToken && haveFile:
		return "", fmt.Errorf("both %s and %s are set; set only one", EnvAuthToken, EnvAuthTokenFile)
	case haveFile:
		data, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("%s: %w", EnvAuthTokenFile, err)
		}
		token = string(data)
	case !haveToken:
		return "", fmt.Errorf("no codec token: set %s (at least %d characters, e.g. openssl rand -hex 32) or %s=path", EnvAuthToken, minTokenLength, EnvAuthTokenFile)
	}
	token = strings.TrimSpace(token)
	if len(token) < minTokenLength {
		source := EnvAuthToken
		if haveFile {
			source = EnvAuthTokenFile + " " + file
		}
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
	return writeNewSecretFile(path, hex.EncodeToString(raw)+"\n")
}

// writeNewSecretFile creates path with content unless it exists.
func writeNewSecretFile(path, content string) (bool, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return false, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return false, nil
		}
		return false, err
	}
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		os.Remove(path)
		return false, err
	}
	return true, f.Close()
}
