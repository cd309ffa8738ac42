package codecserver

import (
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
)

// FuzzMaskPayload feeds arbitrary payloads, as the codec's Decode may return
// them, to the server's masking step: it must never panic, and a JSON
// payload's card number never comes out whole.
func FuzzMaskPayload(f *testing.F) {
	f.Add([]byte(`{"card":{"number":"4111111111111111","cvv":"737"}}`), converter.MetadataEncodingJSON)
	f.Add([]byte(`{"card":{"number":"4111111111111111"`), converter.MetadataEncodingJSON)
	f.Add([]byte{}, converter.MetadataEncodingJSON)
	f.Add([]byte{0xff, 0x00}, "binary/encrypted")
	f.Fuzz(func(t *testing.T, data []byte, encoding string) {
		p := &commonpb.Payload{Metadata: map[string][]byte{converter.MetadataEncoding: []byte(encoding)}, Data: data}
		out := MaskPayload(p)
		if out == nil {
			t.Fatal("MaskPayload returned nil")
		}
		if strings.HasPrefix(encoding, "json/") && strings.Contains(string(data), "4111111111111111") &&
			strings.Contains(string(out.Data), "4111111111111111") {
			t.Errorf("card number left whole: %q", out.Data)
		}
	})
}
