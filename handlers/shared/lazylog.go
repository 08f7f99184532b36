package shared

import (
	"context"
	"log/slog"
)

// LazyWith is l.With(attrs()...), except that attrs is called, and the
// attributes formatted, only when a record is actually logged. Loggers
// made for every request (its id) or every push (the voter's hash) are
// rarely used, and slog's handlers pre-format With's attributes at once:
// on the push endpoint that was a measurable share of the CPU.
func LazyWith(l *slog.Logger, attrs func() []any) *slog.Logger {
	return slog.New(&lazyHandler{next: l.Handler(), attrs: attrs})
}

type lazyHandler struct {
	next  slog.Handler
	attrs func() []any
}

// resolved is next with the deferred attributes added.
func (h *lazyHandler) resolved() slog.Handler {
	var as []slog.Attr
	args := h.attrs()
	r := slog.Record{}
	r.Add(args...)
	r.Attrs(func(a slog.Attr) bool { as = append(as, a); return true })
	return h.next.WithAttrs(as)
}

func (h *lazyHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

func (h *lazyHandler) Handle(ctx context.Context, r slog.Record) error {
	return h.resolved().Handle(ctx, r)
}

func (h *lazyHandler) WithAttrs(as []slog.Attr) slog.Handler {
	if len(as) == 0 {
		return h
	}
	return h.resolved().WithAttrs(as)
}

func (h *lazyHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return h.resolved().WithGroup(name)
}
