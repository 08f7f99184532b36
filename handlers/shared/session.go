package shared

import (
	"encoding/json"
	"errors"

	"github.com/redis/go-redis/v9"
)

// DecodeSession turns the result of reading a session kept as JSON under
// its key into the session: a key that is gone (redis.Nil), a body that
// does not decode or a session valid refuses is expired; any other error
// of the read comes back as it is.
func DecodeSession[T any](raw []byte, err error, expired error, valid func(T) bool) (T, error) {
	var s T
	if errors.Is(err, redis.Nil) {
		return s, expired
	}
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(raw, &s); err != nil || !valid(s) {
		return s, expired
	}
	return s, nil
}
