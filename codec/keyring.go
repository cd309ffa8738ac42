package codec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/hotelpay/a55-temporal/internal/secretfile"
)

// Environment variables that hold the payload keys. Set exactly one.
const (
	// EnvKeys holds "kid:base64key,kid:base64key"; the first key encrypts.
	EnvKeys = "PAYLOAD_KEYS"
	// EnvKeyFile names a file with one "kid:base64key" per line; the first key
	// encrypts. Blank lines and lines starting with '#' are ignored.
	EnvKeyFile = "PAYLOAD_KEY_FILE"
)

// KeySize is the AES-256 key length in bytes.
const KeySize = 32

var keyIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// Keyring holds the key that encrypts new payloads and any number of older
// keys that still decrypt payloads written before a rotation.
type Keyring struct {
	activeID string
	aeads    map[string]cipher.AEAD
}

// Key is one named AES-256 key.
type Key struct {
	ID  string
	Key []byte
}

// NewKeyring builds a keyring; keys[0] is the active (encrypting) key.
func NewKeyring(keys ...Key) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("codec: keyring needs at least one key")
	}
	k := &Keyring{activeID: keys[0].ID, aeads: make(map[string]cipher.AEAD, len(keys))}
	for i, key := range keys {
		if !keyIDPattern.MatchString(key.ID) {
			return nil, fmt.Errorf("codec: key %d: key id %q must be 1–64 characters of A-Z a-z 0-9 . _ -", i+1, key.ID)
		}
		if _, dup := k.aeads[key.ID]; dup {
			return nil, fmt.Errorf("codec: key id %q appears twice; key ids must be unique", key.ID)
		}
		if len(key.Key) != KeySize {
			return nil, fmt.Errorf("codec: key %q is %d bytes; AES-256 needs exactly %d", key.ID, len(key.Key), KeySize)
		}
		block, err := aes.NewCipher(key.Key)
		if err != nil {
			return nil, fmt.Errorf("codec: key %q: %w", key.ID, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("codec: key %q: %w", key.ID, err)
		}
		k.aeads[key.ID] = aead
	}
	return k, nil
}

// ActiveKeyID is the id of the key that encrypts new payloads.
func (k *Keyring) ActiveKeyID() string { return k.activeID }

// KeyIDs lists every key id, sorted.
func (k *Keyring) KeyIDs() []string {
	ids := make([]string, 0, len(k.aeads))
	for id := range k.aeads {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// ParseKeys parses "kid:base64key" entries separated by commas or newlines
// (lines starting with "#" are comments); the first entry is the active key.
// source names where the text came from (an environment variable or a file)
// so that errors point the operator at it. Key bytes never appear in errors.
func ParseKeys(source, text string) (*Keyring, error) {
	var entries []string
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		for _, entry := range strings.Split(line, ",") {
			if entry = strings.TrimSpace(entry); entry != "" {
				entries = append(entries, entry)
			}
		}
	}
	var keys []Key
	for i, entry := range entries {
		id, encoded, ok := strings.Cut(entry, ":")
		if !ok {
			return nil, fmt.Errorf("%s: entry %d: want kid:base64key (for example k2026a:%s)", source, i+1, strings.Repeat("A", 43)+"=")
		}
		id = strings.TrimSpace(id)
		raw, err := decodeKey(strings.TrimSpace(encoded))
		if err != nil {
			return nil, fmt.Errorf("%s: key %q: not valid base64 (standard or URL alphabet)", source, id)
		}
		if len(raw) != KeySize {
			return nil, fmt.Errorf("%s: key %q decodes to %d bytes; each key must be %d random bytes (openssl rand -base64 32)", source, id, len(raw), KeySize)
		}
		keys = append(keys, Key{ID: id, Key: raw})
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%s: no keys; want kid:base64key entries, the first one encrypts", source)
	}
	ring, err := NewKeyring(keys...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	return ring, nil
}

func decodeKey(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("invalid base64")
}

// KeyringFromEnv reads PAYLOAD_KEYS or PAYLOAD_KEY_FILE (exactly one).
func KeyringFromEnv() (*Keyring, error) {
	return KeyringFromLookup(os.LookupEnv)
}

// KeyringFromLookup is KeyringFromEnv with an injectable environment.
func KeyringFromLookup(lookup func(string) (string, bool)) (*Keyring, error) {
	keys, source, set, err := secretfile.FromEnv(lookup, EnvKeys, EnvKeyFile)
	if err != nil {
		return nil, err
	}
	if !set {
		return nil, fmt.Errorf("no payload encryption keys: set %s=kid:base64key[,kid:base64key...] or %s=path (first key encrypts, each key 32 bytes)", EnvKeys, EnvKeyFile)
	}
	return ParseKeys(source, keys)
}

// KeyringFromFile reads a key file (one kid:base64key per line).
func KeyringFromFile(path string) (*Keyring, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvKeyFile, err)
	}
	return ParseKeys(EnvKeyFile+" "+path, string(data))
}

// EnsureKeyFile creates a key file with one fresh random key at path if no file
// is there (mode 0600, parent directories 0700), for the dev stack's first
// run. An existing file is left alone. It reports whether it created one.
func EnsureKeyFile(path string) (created bool, err error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return false, err
	}
	content := "# Payload encryption keys: kid:base64key, one per line; the first encrypts.\n" +
		"# Generated for the dev stack. Never commit this file.\n" +
		"dev-" + time.Now().UTC().Format("20060102") + ":" + base64.StdEncoding.EncodeToString(key) + "\n"
	return secretfile.CreateNew(path, content)
}
