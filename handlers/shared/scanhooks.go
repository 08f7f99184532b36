package shared

import (
	"context"
	"strings"
	"sync"
)

// ScanHook answers a scan of one of our temporary official-account QR codes
// whose scene starts with the hook's prefix (a desk's sign-in code, a
// reception desk's attendance code): openid is the scanner, rest the scene
// after the prefix. reply is the text the scanner reads in the chat.
type ScanHook func(ctx context.Context, openid, rest string) (reply string, err error)

// scanHooks is the faces' registry of ScanHooks: the console registers
// them, the official account's push handler calls them, and neither face
// imports the other.
type scanHooks struct {
	mu    sync.RWMutex
	hooks map[string]ScanHook
}

// OnScan registers f for scenes that start with prefix (which must hold a
// character no board code has, such as ':').
func (b *Base) OnScan(prefix string, f ScanHook) {
	b.scans.mu.Lock()
	defer b.scans.mu.Unlock()
	if b.scans.hooks == nil {
		b.scans.hooks = map[string]ScanHook{}
	}
	b.scans.hooks[prefix] = f
}

// ScanHookFor finds the hook of a scanned scene and the rest of the scene.
func (b *Base) ScanHookFor(scene string) (ScanHook, string, bool) {
	b.scans.mu.RLock()
	defer b.scans.mu.RUnlock()
	for p, f := range b.scans.hooks {
		if rest, ok := strings.CutPrefix(scene, p); ok {
			return f, rest, true
		}
	}
	return nil, "", false
}
