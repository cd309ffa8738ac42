package codec

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
)

// testKey returns a deterministic 32-byte key; tests must not depend on randomness for keys.
func testKey(fill byte) []byte { return bytes.Repeat([]byte{fill}, KeySize) }

func mustRing(t testing.TB, keys ...Key) *Keyring {
	t.Helper()
	ring, err := NewKeyring(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return ring
}

// bookingInput mirrors the shape of the workflow input: the card sits inside.
type bookingInput struct {
	BookingID string   `json:"booking_id"`
	Card      cardJSON `json:"card"`
}

type cardJSON struct {
	HolderName  string `json:"holder_name"`
	Number      string `json:"number"`
	ExpiryMonth int    `json:"expiry_month"`
	ExpiryYear  int    `json:"expiry_year"`
	CVV         string `json:"cvv"`
}

var sampleInput = bookingInput{
	BookingID: "BK-1042",
	Card:      cardJSON{HolderName: "John Doe", Number: "4111111111111111", ExpiryMonth: 12, ExpiryYear: 2099, CVV: "737"},
}

func TestDataConverterRoundTrip(t *testing.T) {
	dc := NewDataConverter(mustRing(t, Key{"k1", testKey(1)}))
	p, err := dc.ToPayload(sampleInput)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(p.Metadata[converter.MetadataEncoding]); got != MetadataEncodingEncrypted {
		t.Errorf("encoding = %q, want %q", got, MetadataEncodingEncrypted)
	}
	if got := string(p.Metadata[MetadataEncryptionKeyID]); got != "k1" {
		t.Errorf("key id = %q, want k1", got)
	}
	var back bookingInput
	if err := dc.FromPayload(p, &back); err != nil {
		t.Fatal(err)
	}
	if back != sampleInput {
		t.Errorf("round trip = %+v, want %+v", back, sampleInput)
	}
}

func TestCiphertextHidesCardData(t *testing.T) {
	dc := NewDataConverter(mustRing(t, Key{"k1", testKey(1)}))
	p, err := dc.ToPayload(sampleInput)
	if err != nil {
		t.Fatal(err)
	}
	wire, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"4111111111111111", "737", "John Doe", "holder_name", "json/plain"} {
		if bytes.Contains(wire, []byte(secret)) {
			t.Errorf("encrypted payload contains %q", secret)
		}
		if bytes.Contains(wire, []byte(base64.StdEncoding.EncodeToString([]byte(secret)))) {
			t.Errorf("encrypted payload contains base64 of %q", secret)
		}
	}
	// Two encryptions of the same value differ (random nonce).
	p2, _ := dc.ToPayload(sampleInput)
	if bytes.Equal(p.Data, p2.Data) {
		t.Error("two encryptions produced identical ciphertext")
	}
}

func TestKeyRotation(t *testing.T) {
	oldRing := mustRing(t, Key{"k2025", testKey(1)})
	oldPayloads, err := New(oldRing).Encode([]*commonpb.Payload{jsonPayload(`{"booking_id":"BK-1"}`)})
	if err != nil {
		t.Fatal(err)
	}

	rotated := mustRing(t, Key{"k2026", testKey(2)}, Key{"k2025", testKey(1)})
	if rotated.ActiveKeyID() != "k2026" {
		t.Fatalf("active = %q, want k2026", rotated.ActiveKeyID())
	}
	c := New(rotated)
	decoded, err := c.Decode(oldPayloads)
	if err != nil {
		t.Fatalf("rotated keyring cannot decode old payload: %v", err)
	}
	if string(decoded[0].Data) != `{"booking_id":"BK-1"}` {
		t.Errorf("decoded data = %q", decoded[0].Data)
	}
	fresh, err := c.Encode([]*commonpb.Payload{jsonPayload(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(fresh[0].Metadata[MetadataEncryptionKeyID]); got != "k2026" {
		t.Errorf("new payload key id = %q, want k2026", got)
	}

	// Once the old key is retired, old payloads fail with an error naming it.
	retired := New(mustRing(t, Key{"k2026", testKey(2)}))
	_, err = retired.Decode(oldPayloads)
	if err == nil || !strings.Contains(err.Error(), `"k2025"`) || !strings.Contains(err.Error(), "not in the keyring") {
		t.Errorf("decode with retired key: err = %v, want one naming k2025", err)
	}
}

func TestTamperDetection(t *testing.T) {
	ring := mustRing(t, Key{"k1", testKey(1)}, Key{"k0", testKey(9)})
	c := New(ring)
	enc, err := c.Encode([]*commonpb.Payload{jsonPayload(`{"amount":100}`)})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		mutate  func(p *commonpb.Payload)
		wantErr string
	}{
		{"flipped ciphertext byte", func(p *commonpb.Payload) { p.Data[len(p.Data)-5] ^= 0x01 }, "failed authentication"},
		{"flipped nonce byte", func(p *commonpb.Payload) { p.Data[0] ^= 0x80 }, "failed authentication"},
		{"key id swapped to another known key", func(p *commonpb.Payload) { p.Metadata[MetadataEncryptionKeyID] = []byte("k0") }, "failed authentication"},
		{"truncated", func(p *commonpb.Payload) { p.Data = p.Data[:10] }, "too short"},
		{"key id removed", func(p *commonpb.Payload) { delete(p.Metadata, MetadataEncryptionKeyID) }, MetadataEncryptionKeyID},
		{"garbage key id", func(p *commonpb.Payload) { p.Metadata[MetadataEncryptionKeyID] = []byte("\x00bad id\n") }, "not a valid key id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := clonePayload(enc[0])
			tt.mutate(p)
			_, err := c.Decode([]*commonpb.Payload{p})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestDecodePassesUnencryptedPayloadsThrough(t *testing.T) {
	c := New(mustRing(t, Key{"k1", testKey(1)}))
	plain := jsonPayload(`{"booking_id":"BK-OLD"}`)
	noMeta := &commonpb.Payload{Data: []byte("raw")}
	out, err := c.Decode([]*commonpb.Payload{plain, noMeta})
	if err != nil {
		t.Fatal(err)
	}
	if out[0] != plain || out[1] != noMeta {
		t.Error("unencrypted payloads were not passed through unchanged")
	}
	// An old, unencrypted history still converts to values.
	var v map[string]string
	if err := NewDataConverter(mustRing(t, Key{"k1", testKey(1)})).FromPayload(plain, &v); err != nil || v["booking_id"] != "BK-OLD" {
		t.Errorf("FromPayload(unencrypted) = %v, %v", v, err)
	}
}

func TestEncodeDoesNotMutateInput(t *testing.T) {
	c := New(mustRing(t, Key{"k1", testKey(1)}))
	in := jsonPayload(`{"a":1}`)
	if _, err := c.Encode([]*commonpb.Payload{in}); err != nil {
		t.Fatal(err)
	}
	if string(in.Metadata[converter.MetadataEncoding]) != converter.MetadataEncodingJSON || string(in.Data) != `{"a":1}` {
		t.Errorf("input mutated: %v", in)
	}
}

func TestFailureConverterEncryptsMessages(t *testing.T) {
	dc, fc := ClientOptions(mustRing(t, Key{"k1", testKey(1)}))
	if dc == nil || fc == nil {
		t.Fatal("ClientOptions returned nil")
	}
	f := fc.ErrorToFailure(errors.New("decline for card 4111111111111111 cvv 737"))
	if strings.Contains(f.GetMessage(), "4111") || strings.Contains(f.GetStackTrace(), "4111") {
		t.Errorf("failure message in clear: %q", f.GetMessage())
	}
	if f.GetEncodedAttributes() == nil || string(f.GetEncodedAttributes().Metadata[converter.MetadataEncoding]) != MetadataEncodingEncrypted {
		t.Fatalf("encoded attributes not encrypted: %v", f.GetEncodedAttributes())
	}
	back := fc.FailureToError(f)
	if back == nil || !strings.Contains(back.Error(), "4111111111111111") {
		t.Errorf("FailureToError = %v, want the original message restored", back)
	}
}

func TestNewKeyringRules(t *testing.T) {
	tests := []struct {
		name    string
		keys    []Key
		wantErr string
	}{
		{"no keys", nil, "at least one key"},
		{"short key", []Key{{"k1", make([]byte, 16)}}, "exactly 32"},
		{"duplicate id", []Key{{"k1", testKey(1)}, {"k1", testKey(2)}}, "twice"},
		{"bad id", []Key{{"k 1", testKey(1)}}, "key id"},
		{"empty id", []Key{{"", testKey(1)}}, "key id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewKeyring(tt.keys...)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func b64(fill byte) string { return base64.StdEncoding.EncodeToString(testKey(fill)) }

func TestKeyringFromEnv(t *testing.T) {
	env := func(kv map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := kv[k]; return v, ok }
	}
	ring, err := KeyringFromLookup(env(map[string]string{EnvKeys: " kid2:" + b64(2) + " , kid1:" + base64.RawURLEncoding.EncodeToString(testKey(1))}))
	if err != nil {
		t.Fatal(err)
	}
	if ring.ActiveKeyID() != "kid2" || strings.Join(ring.KeyIDs(), ",") != "kid1,kid2" {
		t.Errorf("active %q ids %v", ring.ActiveKeyID(), ring.KeyIDs())
	}

	secret := b64(7)
	tests := []struct {
		name    string
		env     map[string]string
		wantErr []string
	}{
		{"nothing set", map[string]string{}, []string{EnvKeys, EnvKeyFile}},
		{"both set", map[string]string{EnvKeys: "k:" + secret, EnvKeyFile: "/x"}, []string{"only one"}},
		{"no colon", map[string]string{EnvKeys: secret}, []string{EnvKeys, "kid:base64key"}},
		{"bad base64", map[string]string{EnvKeys: "k1:@@@"}, []string{EnvKeys, `"k1"`, "base64"}},
		{"wrong length", map[string]string{EnvKeys: "k1:" + base64.StdEncoding.EncodeToString([]byte("sixteen bytes!!!"))}, []string{EnvKeys, "16 bytes", "32"}},
		{"duplicate", map[string]string{EnvKeys: "k1:" + secret + ",k1:" + secret}, []string{EnvKeys, "twice"}},
		{"only separators", map[string]string{EnvKeys: " , "}, []string{EnvKeys, "no keys"}},
		{"missing file", map[string]string{EnvKeyFile: filepath.Join(t.TempDir(), "nope")}, []string{EnvKeyFile, "no such file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := KeyringFromLookup(env(tt.env))
			if err == nil {
				t.Fatal("no error")
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("err = %q, want it to contain %q", err, want)
				}
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error reveals key material: %q", err)
			}
		})
	}
}

func TestKeyringFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys")
	content := "# rotated 2026-11\n\nnew:" + b64(2) + "\nold:" + b64(1) + "\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	ring, err := KeyringFromLookup(func(k string) (string, bool) {
		if k == EnvKeyFile {
			return path, true
		}
		return "", false
	})
	if err != nil {
		t.Fatal(err)
	}
	if ring.ActiveKeyID() != "new" || len(ring.KeyIDs()) != 2 {
		t.Errorf("active %q ids %v", ring.ActiveKeyID(), ring.KeyIDs())
	}
	if err := os.WriteFile(path, []byte("# only comments\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := KeyringFromFile(path); err == nil || !strings.Contains(err.Error(), EnvKeyFile) || !strings.Contains(err.Error(), "no keys") {
		t.Errorf("empty key file: err = %v", err)
	}
}

func TestEnsureKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".dev", "payload.keys")
	created, err := EnsureKeyFile(path)
	if err != nil || !created {
		t.Fatalf("first EnsureKeyFile = %v, %v", created, err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode = %o, want 600", perm)
	}
	first, _ := os.ReadFile(path)
	ring, err := KeyringFromFile(path)
	if err != nil {
		t.Fatalf("generated file does not load: %v", err)
	}
	if !strings.HasPrefix(ring.ActiveKeyID(), "dev-") {
		t.Errorf("active key id = %q", ring.ActiveKeyID())
	}
	created, err = EnsureKeyFile(path)
	if err != nil || created {
		t.Fatalf("second EnsureKeyFile = %v, %v; want existing file kept", created, err)
	}
	if second, _ := os.ReadFile(path); !bytes.Equal(first, second) {
		t.Error("existing key file was rewritten")
	}
}

func jsonPayload(data string) *commonpb.Payload {
	return &commonpb.Payload{
		Metadata: map[string][]byte{converter.MetadataEncoding: []byte(converter.MetadataEncodingJSON)},
		Data:     []byte(data),
	}
}

func clonePayload(p *commonpb.Payload) *commonpb.Payload {
	c := &commonpb.Payload{Metadata: map[string][]byte{}, Data: append([]byte(nil), p.Data...)}
	for k, v := range p.Metadata {
		c.Metadata[k] = append([]byte(nil), v...)
	}
	return c
}
