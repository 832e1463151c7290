package cache

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
)

// Optional signing of values in Redis (cacheSecret). Anyone who can write to a shared Redis
// can otherwise put words in every teammate's editor; with a secret, only holders of it can.
//
// The MAC is HMAC-SHA256(secret, domain ‖ len(key) ‖ key ‖ header ‖ payload) over the full
// Redis key (namespace, key version, kind and hash), so a signed value copied to another key,
// kind or namespace does not verify, and over the header byte, so a raw payload cannot be
// relabelled as zstd or the other way round. It does not stop replaying a value's own old
// version under the same key: values are pure functions of their key, so that is harmless.
const macLen = sha256.Size

// macDomain separates these MACs from any other use of the same secret.
const macDomain = "mimi-lsp cache value v1\x00"

func mac(secret []byte, key string, head byte, payload []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(macDomain))
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(key)))
	h.Write(n[:])
	h.Write([]byte(key))
	h.Write([]byte{head})
	h.Write(payload)
	return h.Sum(nil)
}

// validMAC compares in constant time.
func validMAC(secret []byte, key string, head byte, payload, sum []byte) bool {
	return hmac.Equal(sum, mac(secret, key, head, payload))
}
