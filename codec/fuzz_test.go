package codec

import (
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
)

// FuzzCodecDecode feeds arbitrary payload bytes and metadata to Decode: it must
// return a payload or an error, never panic. Seeds live in
// testdata/fuzz/FuzzCodecDecode (a real ciphertext, truncations, bad ids).
func FuzzCodecDecode(f *testing.F) {
	ring := mustRing(f, Key{"k1", testKey(1)}, Key{"k0", testKey(2)})
	c := New(ring)
	enc, err := c.Encode([]*commonpb.Payload{jsonPayload(`{"card":{"number":"4111111111111111","cvv":"737"}}`)})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(enc[0].Data, MetadataEncodingEncrypted, "k1")
	f.Add([]byte{}, MetadataEncodingEncrypted, "k1")
	f.Add([]byte(`{"a":1}`), converter.MetadataEncodingJSON, "")

	f.Fuzz(func(t *testing.T, data []byte, encoding, keyID string) {
		p := &commonpb.Payload{Metadata: map[string][]byte{converter.MetadataEncoding: []byte(encoding)}, Data: data}
		if keyID != "" {
			p.Metadata[MetadataEncryptionKeyID] = []byte(keyID)
		}
		out, err := c.Decode([]*commonpb.Payload{p})
		if err != nil {
			if out != nil {
				t.Errorf("Decode returned payloads with an error")
			}
			return
		}
		if len(out) != 1 || out[0] == nil {
			t.Fatalf("Decode returned %v without error", out)
		}
		if encoding != MetadataEncodingEncrypted && out[0] != p {
			t.Errorf("non-encrypted payload was not passed through")
		}
	})
}
