package official

import (
	"errors"

	"deputylink/handlers/shared"

	"github.com/prometheus/client_golang/prometheus"
)

// pushBatchSizes is the histogram of the push endpoint's Redis batch sizes:
// near 1 when traffic is light, growing with the crowd.
func pushBatchSizes(h *shared.Base) prometheus.Observer {
	hist := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "deputylink_wechat_push_redis_batch_size",
		Help:    "Pushes whose Redis commands went out in one pipeline.",
		Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256},
	})
	if err := h.Registry.Register(hist); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if o, ok := are.ExistingCollector.(prometheus.Histogram); ok {
				return o
			}
		}
		h.Log.Warn("push batch metric not registered", "err", err)
	}
	return hist
}
