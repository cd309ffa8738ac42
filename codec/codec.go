// Package codec encrypts Temporal payloads with AES-256-GCM so that card data
// in workflow inputs and activity arguments is ciphertext in history and in
// the Web UI. Every Temporal client of the namespace (the worker, the
// receiver, a booking system's starter) wires it in; the codec server
// (cmd/codecserver) uses it to show decoded, card-masked payloads to
// authorised operators.
package codec

import (
	"crypto/rand"
	"fmt"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"
)

const (
	// MetadataEncodingEncrypted marks a payload this codec encrypted.
	MetadataEncodingEncrypted = "binary/encrypted"
	// MetadataEncryptionKeyID names the key that encrypted the payload.
	MetadataEncryptionKeyID = "encryption-key-id"
)

// aadPrefix binds the ciphertext to its key id and to this format version.
const aadPrefix = "a55-temporal/payload/v1/"

// Codec is a converter.PayloadCodec. It is context-free: the key comes from
// the payload's metadata, never from the workflow, so any process holding the
// keyring can decode any history.
type Codec struct {
	ring *Keyring
}

var _ converter.PayloadCodec = (*Codec)(nil)

// New returns a codec that encrypts with the keyring's active key.
func New(ring *Keyring) *Codec { return &Codec{ring: ring} }

// Encode encrypts each payload (data and metadata) with the active key.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	id := c.ring.activeID
	aead := c.ring.aeads[id]
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("codec: marshal payload: %w", err)
		}
		nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
		if _, err := rand.Read(nonce); err != nil {
			return nil, fmt.Errorf("codec: nonce: %w", err)
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				converter.MetadataEncoding: []byte(MetadataEncodingEncrypted),
				MetadataEncryptionKeyID:    []byte(id),
			},
			Data: aead.Seal(nonce, nonce, plain, []byte(aadPrefix+id)),
		}
	}
	return out, nil
}

// Decode decrypts payloads this codec encrypted and passes any other payload
// through unchanged (histories written before encryption was turned on).
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[converter.MetadataEncoding]) != MetadataEncodingEncrypted {
			out[i] = p
			continue
		}
		d, err := c.decrypt(p)
		if err != nil {
			return nil, err
		}
		out[i] = d
	}
	return out, nil
}

func (c *Codec) decrypt(p *commonpb.Payload) (*commonpb.Payload, error) {
	rawID, ok := p.Metadata[MetadataEncryptionKeyID]
	if !ok {
		return nil, fmt.Errorf("codec: encrypted payload has no %q metadata", MetadataEncryptionKeyID)
	}
	id := string(rawID)
	aead, ok := c.ring.aeads[id]
	if !ok {
		return nil, fmt.Errorf("codec: payload was encrypted with key id %q, which is not in the keyring (known: %s); add the old key to %s or %s",
			sanitize(id), strings.Join(c.ring.KeyIDs(), ", "), EnvKeys, EnvKeyFile)
	}
	if len(p.Data) < aead.NonceSize()+aead.Overhead() {
		return nil, fmt.Errorf("codec: encrypted payload (key %q) is %d bytes, too short to be valid", id, len(p.Data))
	}
	nonce, sealed := p.Data[:aead.NonceSize()], p.Data[aead.NonceSize():]
	plain, err := aead.Open(nil, nonce, sealed, []byte(aadPrefix+id))
	if err != nil {
		return nil, fmt.Errorf("codec: payload (key %q) failed authentication: it was altered or the key is wrong", id)
	}
	var decoded commonpb.Payload
	if err := proto.Unmarshal(plain, &decoded); err != nil {
		return nil, fmt.Errorf("codec: decrypted payload (key %q) is not a payload: %w", id, err)
	}
	return &decoded, nil
}

// sanitize keeps an untrusted key id printable and short in error messages.
func sanitize(id string) string {
	if keyIDPattern.MatchString(id) {
		return id
	}
	return fmt.Sprintf("<%d bytes, not a valid key id>", len(id))
}

// NewDataConverter wraps the SDK's default converter with encryption.
func NewDataConverter(ring *Keyring) converter.DataConverter {
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), New(ring))
}

// NewFailureConverter encrypts failure messages and stack traces too: an error
// string can quote card data that the payload encryption would otherwise hide.
func NewFailureConverter(dc converter.DataConverter) converter.FailureConverter {
	return temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{
		DataConverter:          dc,
		EncodeCommonAttributes: true,
	})
}

// ClientOptions returns the DataConverter and FailureConverter to set on
// client.Options (worker, starter and webhook receiver must all use them):
//
//	dc, fc := codec.ClientOptions(ring)
//	client.Dial(client.Options{DataConverter: dc, FailureConverter: fc, ...})
func ClientOptions(ring *Keyring) (converter.DataConverter, converter.FailureConverter) {
	dc := NewDataConverter(ring)
	return dc, NewFailureConverter(dc)
}
