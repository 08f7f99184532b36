package wechattest

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// SetDeliveryLog makes the fake write one line to w for every message it
// delivers (template, subscribe and customer-service messages), so that a
// developer running the server against it sees each notice as it goes out;
// nil turns it off. Lines are written while the fake holds its lock, so
// they come in delivery order.
func (s *Server) SetDeliveryLog(w io.Writer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deliveryLog = w
}

// logDelivery writes one delivery line; the caller holds s.mu.
func (s *Server) logDelivery(kind, to, template, link string, data map[string]string, text string) {
	if s.deliveryLog == nil {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %-9s to %s", time.Now().Format("15:04:05"), kind, to)
	if template != "" {
		fmt.Fprintf(&b, " template %s", template)
	}
	if link != "" {
		fmt.Fprintf(&b, " opens %s", link)
	}
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "\n    %s: %s", k, data[k])
	}
	if text != "" {
		fmt.Fprintf(&b, "\n    %s", strings.ReplaceAll(text, "\n", "\n    "))
	}
	b.WriteByte('\n')
	_, _ = io.WriteString(s.deliveryLog, b.String())
}
