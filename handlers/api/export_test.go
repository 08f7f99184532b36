package api

import (
	"context"
	"time"
)

// SetDecodeHook calls hook (or nothing, when nil) before every decode with
// the decode budget in use.
func SetDecodeHook(hook func(inUse int64)) { testHookDecode = hook }

// SetDecodeBudget replaces the process's decode budget for a test and
// returns what puts the default back.
func SetDecodeBudget(size int64, wait time.Duration) (restore func()) {
	old := decodeGate
	decodeGate = newGate(size, wait)
	return func() { decodeGate = old }
}

// HoldDecodeBudget takes n bytes of the decode budget until release.
func HoldDecodeBudget(n int64) (release func(), err error) {
	g := decodeGate
	if err := g.acquire(context.Background(), n); err != nil {
		return nil, err
	}
	return func() { g.release(n) }, nil
}

// DecodeCost is the budget a photo would take, or the error it is refused
// with.
func DecodeCost(data []byte) (int64, error) {
	p, err := inspect(data)
	return p.cost, err
}
