package wechat

import (
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/silenceper/wechat/v2/util"
)

// Push-message crypto helpers (WeChat "safe mode"), thin wrappers over the
// SDK's util package so the push endpoint can verify and decrypt before, or
// instead of, handing the request to the SDK server.
//
// Scheme: signature = hex(SHA1(concat(sort(token, timestamp, nonce)))) and
// msg_signature adds the Encrypt field to the sorted set. The ciphertext is
// AES-256-CBC with key = base64(EncodingAESKey+"="), IV = key[:16] and
// PKCS#7 padding to 32 bytes over random(16) | len(4, big-endian) | msg |
// appid.

// Signature returns the SHA1 signature of the sorted, concatenated inputs:
// Signature(token, timestamp, nonce) is the push "signature" and
// Signature(token, timestamp, nonce, encrypt) the "msg_signature".
func Signature(token, timestamp, nonce string, extra ...string) string {
	// As util.Signature, but hashing one buffer: the SDK copies every part
	// (the Encrypt value is kilobytes) and formats the sum with fmt.
	var arr [4]string
	parts := append(arr[:0], token, timestamp, nonce)
	parts = append(parts, extra...)
	slices.Sort(parts)
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	buf := make([]byte, 0, n)
	for _, p := range parts {
		buf = append(buf, p...)
	}
	sum := sha1.Sum(buf)
	return hex.EncodeToString(sum[:])
}

// VerifySignature compares got with the expected signature in constant time
// (the SDK's Validate uses ==). Hex case is ignored.
func VerifySignature(got, token, timestamp, nonce string, extra ...string) bool {
	want := Signature(token, timestamp, nonce, extra...)
	return subtle.ConstantTimeCompare([]byte(strings.ToLower(got)), []byte(want)) == 1
}

// DecryptMsg decrypts the base64 Encrypt field of a safe-mode push. It
// returns the 16-byte random prefix (the SDK reuses it for the reply) and the
// plaintext message. The embedded appid must equal appID.
func DecryptMsg(appID, encrypted, aesKey string) (random, msg []byte, err error) {
	random, msg, err = util.DecryptMsg(appID, encrypted, aesKey)
	if err != nil {
		// SDK messages are Chinese and may echo input; keep only our class.
		return nil, nil, fmt.Errorf("%w: %s", ErrDecrypt, decryptReason(err))
	}
	return random, msg, nil
}

// decryptReason maps the SDK's error to a short English reason.
func decryptReason(err error) string {
	s := err.Error()
	switch {
	case strings.Contains(s, "APPID"):
		return "appid mismatch"
	case strings.Contains(s, "encodedAESKey"), strings.Contains(s, "encodingAESKey"):
		return "bad EncodingAESKey"
	case strings.Contains(s, "illegal base64"):
		return "bad base64"
	default:
		return "bad ciphertext"
	}
}

// EncryptMsg encrypts msg for a safe-mode reply or echostr. random must be
// 16 bytes (use the value DecryptMsg returned, or crypto/rand); the output is
// deterministic given random.
func EncryptMsg(random, msg []byte, appID, aesKey string) (string, error) {
	if len(random) != 16 {
		return "", fmt.Errorf("wechat: encrypt: random must be 16 bytes, got %d", len(random))
	}
	key, err := decodeAESKey(aesKey)
	if err != nil {
		return "", err
	}
	// The SDK's AES step, base64-encoded once: util.EncryptMsg makes two
	// more copies of the (kilobytes long) result.
	return base64.StdEncoding.EncodeToString(util.AESEncryptMsg(random, msg, appID, key)), nil
}

// decodeAESKey turns the 43-character EncodingAESKey into the 32-byte AES
// key, as the SDK does.
func decodeAESKey(aesKey string) ([]byte, error) {
	if len(aesKey) != 43 {
		return nil, errors.New("wechat: encrypt: bad EncodingAESKey")
	}
	key, err := base64.StdEncoding.DecodeString(aesKey + "=")
	if err != nil || len(key) != 32 {
		return nil, errors.New("wechat: encrypt: bad EncodingAESKey")
	}
	return key, nil
}

// EncryptReply encrypts reply and returns the Encrypt value together with its
// msg_signature for the given timestamp and nonce.
func EncryptReply(random, reply []byte, appID, aesKey, token, timestamp, nonce string) (encrypt, msgSignature string, err error) {
	encrypt, err = EncryptMsg(random, reply, appID, aesKey)
	if err != nil {
		return "", "", err
	}
	return encrypt, Signature(token, timestamp, nonce, encrypt), nil
}

// FreshTimestamp reports whether a push's timestamp query parameter (Unix
// seconds) lies within window of now. The SDK checks no freshness at all;
// WeChat retries a push for about 15 s, so a window of a few minutes
// rejects replays without hurting retries.
func FreshTimestamp(timestamp string, now time.Time, window time.Duration) bool {
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return false
	}
	d := now.Sub(time.Unix(ts, 0))
	return d <= window && d >= -window
}
