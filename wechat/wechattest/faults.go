package wechattest

import (
	"encoding/json"
	"maps"
	"math/rand/v2"
	"slices"
	"time"
)

// FailRate makes each non-token call fail with errcode -1 ("system error")
// with probability p, drawn from the seedable RNG (see Seed).
func (s *Server) FailRate(p float64) {
	s.mu.Lock()
	s.st.failRate = p
	s.mu.Unlock()
}

// Seed reseeds the fault RNG so a FailRate run is reproducible.
func (s *Server) Seed(n int64) {
	s.mu.Lock()
	s.st.rng = rand.New(rand.NewPCG(uint64(n), 0x9e3779b97f4a7c15))
	s.mu.Unlock()
}

// FailNext queues errcodes answered, in order, by the next calls to path
// (e.g. "/cgi-bin/message/template/send"), before any other check.
func (s *Server) FailNext(path string, errcodes ...int) {
	s.mu.Lock()
	p := normPath(path)
	s.st.failNext[p] = append(s.st.failNext[p], errcodes...)
	s.mu.Unlock()
}

// HTTPStatusNext makes the next call to path answer the given HTTP status
// (with an HTML body, as WeChat's gateway does). Calls queue.
func (s *Server) HTTPStatusNext(path string, status int) {
	s.mu.Lock()
	p := normPath(path)
	s.st.statusNext[p] = append(s.st.statusNext[p], status)
	s.mu.Unlock()
}

// SetLatency delays every answer (token calls included) by d.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	s.st.latency = d
	s.mu.Unlock()
}

// SetCallLimit bounds the calls kept per path (0, the default, keeps all),
// for a long-running standalone fake: past the limit the oldest half is
// dropped. Deliveries are always kept.
func (s *Server) SetCallLimit(n int) {
	s.mu.Lock()
	s.st.callLimit = n
	s.mu.Unlock()
}

// Calls returns the recorded calls to path, oldest first.
func (s *Server) Calls(path string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.st.calls[normPath(path)])
}

// CallCount returns how many calls path received.
func (s *Server) CallCount(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.st.calls[normPath(path)])
}

// Templates returns delivered template messages (de-duplicated resends by
// client_msg_id are not repeated).
func (s *Server) Templates() []TemplateDelivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.st.templatesOut)
	for i := range out {
		out[i].Data = maps.Clone(out[i].Data)
	}
	return out
}

// Subscribes returns delivered subscribe messages.
func (s *Server) Subscribes() []SubscribeDelivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.st.subscribesOut)
	for i := range out {
		out[i].Data = maps.Clone(out[i].Data)
	}
	return out
}

// Customs returns delivered customer-service messages.
func (s *Server) Customs() []CustomDelivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.st.customsOut)
}

// QRCodes returns the OA QR codes created so far.
func (s *Server) QRCodes() []QRCode {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.st.qrcodes)
}

// TicketScene returns the scene_str (or decimal scene_id) of a QR ticket, to
// simulate the SCAN/subscribe push a scan produces.
func (s *Server) TicketScene(ticket string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.st.tickets[ticket]
	if !ok {
		return "", false
	}
	q := s.st.qrcodes[i]
	if q.SceneStr != "" {
		return q.SceneStr, true
	}
	b, _ := json.Marshal(q.SceneID)
	return string(b), true
}

// Menu returns the stored menu's "button" JSON (nil if none).
func (s *Server) Menu() json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.st.menu)
}
