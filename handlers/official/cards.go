package official

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"deputylink/models"
)

// The Chinese cards the bot answers a scanned code with, and their cache: a
// printed board is scanned by a crowd at once, and the card of a code is the
// same for everyone, so it is built from the database at most once per TTL.

// oaCardKind says what a scanned code turned out to be.
type oaCardKind int

const (
	oaCardUnknown oaCardKind = iota // unknown or malformed
	oaCardRevoked
	oaCardInvite // a staff invite: never cached beyond its kind
	// oaCardDeputyInvite is a deputy's binding invite (deputy_bind.go).
	oaCardDeputyInvite
	oaCardShown // a deputy or station card
)

// oaCard is a rendered card. The text is kept in three parts so a long list
// of deputies is shortened, never the links at the end.
type oaCard struct {
	kind             oaCardKind
	head, list, tail string
	// full is text("") and sum a short digest of it, set when a shown
	// card is cached: the fast scan path stores a reference to the card
	// (see oaCardRef) instead of its text.
	full, sum string
}

// sealed returns the card with full and sum set.
func (c oaCard) sealed() oaCard {
	if c.kind == oaCardShown {
		c.full = c.text("")
		h := sha256.Sum256([]byte(c.full))
		c.sum = hex.EncodeToString(h[:8])
	}
	return c
}

// text joins the card under prefix and fits it into a text reply.
func (c oaCard) text(prefix string) string {
	fixed := len(prefix) + len(c.head) + len(c.tail)
	list := c.list
	if fixed+len(list) > oaTextLimit {
		list = clipBytes(list, max(0, oaTextLimit-fixed-len("…")))
		if list != "" {
			list += "…"
		}
	}
	return clipBytes(prefix+c.head+list+c.tail, oaTextLimit)
}

// clipBytes cuts s to at most n bytes on a rune boundary.
func clipBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// loadCard builds the card of a normalized code from the database.
func (o *oaServer) loadCard(ctx context.Context, code string) (oaCard, error) {
	c, err := models.FindCode(ctx, o.h.DB, code)
	switch {
	case errors.Is(err, models.ErrCodeNotFound):
		return oaCard{kind: oaCardUnknown}, nil
	case err != nil:
		return oaCard{}, err
	case c.Kind == models.CodeStaffInvite:
		return oaCard{kind: oaCardInvite}, nil
	case c.Kind == models.CodeDeputyInvite:
		return oaCard{kind: oaCardDeputyInvite}, nil
	case c.Revoked:
		return oaCard{kind: oaCardRevoked}, nil
	}
	v, err := models.ResolveCode(ctx, o.h.DB, code)
	if errors.Is(err, models.ErrCodeNotFound) {
		return oaCard{kind: oaCardUnknown}, nil
	}
	if err != nil {
		return oaCard{}, err
	}
	if v.Station == nil {
		return oaCard{kind: oaCardUnknown}, nil
	}
	next, ok, err := models.NextReceptionDate(ctx, o.h.DB, v.Station.ID, o.h.Now(), o.h.Location)
	if err != nil {
		return oaCard{}, err
	}
	nextLine := "下次接待日：近期暂无安排，请留意通知"
	if ok {
		nextLine = "下次接待日：" + receptionDateText(next, o.h.Location)
	}
	if v.Kind == models.CodeDeputy && v.Deputy != nil {
		return o.deputyCard(v, nextLine), nil
	}
	return o.stationCard(v, nextLine), nil
}

func (o *oaServer) deputyCard(v models.CodeView, nextLine string) oaCard {
	d, st := v.Deputy, v.Station
	var b strings.Builder
	fmt.Fprintf(&b, "【人大代表】%s\n%s", d.Name, d.LevelLabel)
	if d.Group != "" {
		b.WriteString("｜" + d.Group)
	}
	fmt.Fprintf(&b, "\n联络站：%s\n", st.Name)
	if st.Address != "" {
		fmt.Fprintf(&b, "地址：%s\n", st.Address)
	}
	b.WriteString(nextLine)
	tail := "\n\n" + o.mpLink(o.cfg.BookPage+"?deputy="+strconv.FormatUint(d.ID, 10), "预约接待") +
		"\n" + o.mpLink(o.cfg.FilePage+"?code="+v.Code, "向代表反映意见建议")
	return oaCard{kind: oaCardShown, head: b.String(), tail: tail}
}

func (o *oaServer) stationCard(v models.CodeView, nextLine string) oaCard {
	st := v.Station
	var b strings.Builder
	if v.Notice != "" {
		b.WriteString(v.Notice + "\n\n")
	}
	fmt.Fprintf(&b, "【%s】%s\n", st.KindLabel, st.Name)
	if st.Address != "" {
		fmt.Fprintf(&b, "地址：%s\n", st.Address)
	}
	if st.OpenHours != "" {
		fmt.Fprintf(&b, "开放时间：%s\n", st.OpenHours)
	}
	if st.Phone != "" {
		fmt.Fprintf(&b, "电话：%s\n", st.Phone)
	}
	b.WriteString(nextLine + "\n在站代表：")
	var list strings.Builder
	if len(st.Deputies) == 0 {
		list.WriteString("暂无")
	}
	for i, d := range st.Deputies {
		if i > 0 {
			list.WriteString("、")
		}
		fmt.Fprintf(&list, "%s（%s）", d.Name, d.LevelLabel)
	}
	tail := "\n\n" + o.mpLink(o.cfg.BookPage+"?station="+strconv.FormatUint(st.ID, 10), "预约接待") +
		"\n" + o.mpLink(o.cfg.FilePage+"?code="+v.Code, "反映意见建议")
	return oaCard{kind: oaCardShown, head: b.String(), list: list.String(), tail: tail}
}

// mpLink is a mini-program link in a text reply, or a pointer to the menu
// when no mini-program is configured.
func (o *oaServer) mpLink(path, label string) string {
	if o.cfg.MPAppID == "" {
		return label + "：请点击下方菜单进入"
	}
	return `<a data-miniprogram-appid="` + attrEscape(o.cfg.MPAppID) + `" data-miniprogram-path="` +
		attrEscape(path) + `">` + label + `</a>`
}

func attrEscape(s string) string {
	return strings.NewReplacer(`&`, "&amp;", `"`, "&quot;", `<`, "&lt;", `>`, "&gt;").Replace(s)
}

var weekdays = [...]string{"日", "一", "二", "三", "四", "五", "六"}

// receptionDateText renders a reception day's date (YYYY-MM-DD, a local
// calendar date) the Chinese way with its weekday: "12月10日（星期四）".
func receptionDateText(date string, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	t, err := time.ParseInLocation(models.DateLayout, date, loc)
	if err != nil {
		return date
	}
	return models.DateText(t, loc) + "（星期" + weekdays[t.Weekday()] + "）"
}

// oaCardCache keeps cards for a short TTL. Concurrent misses of one code
// wait for a single load. An expired card is still served for up to
// oaCardStale while one background load refreshes it, so a crowd never waits
// on the database (which on SQLite may be busy recording the scan queue)
// once a code has been seen. The map is bounded: past oaCardMax entries it
// is emptied (a county has a few thousand codes at most).
type oaCardCache struct {
	ttl  time.Duration
	load func(context.Context, string) (oaCard, error)
	mu   sync.Mutex
	m    map[string]*oaCardEntry
}

type oaCardEntry struct {
	ready      chan struct{}
	card       oaCard
	err        error
	expires    time.Time // zero while loading
	refreshing bool
}

const (
	oaCardMax   = 20000
	oaCardStale = 5 * time.Minute
	// oaCardLoadTimeout bounds a background refresh.
	oaCardLoadTimeout = 5 * time.Second
)

func newOACardCache(ttl time.Duration, load func(context.Context, string) (oaCard, error)) *oaCardCache {
	sealedLoad := func(ctx context.Context, code string) (oaCard, error) {
		c, err := load(ctx, code)
		return c.sealed(), err
	}
	return &oaCardCache{ttl: ttl, load: sealedLoad, m: map[string]*oaCardEntry{}}
}

// usable returns the entry's card if it is loaded and fresh or stale enough
// to serve, starting a refresh of a stale one. Call with cc.mu held.
func (cc *oaCardCache) usable(code string, e *oaCardEntry, now time.Time) (oaCard, bool) {
	if e == nil || e.expires.IsZero() || !now.Before(e.expires.Add(oaCardStale)) {
		return oaCard{}, false
	}
	if !now.Before(e.expires) && !e.refreshing {
		e.refreshing = true
		go cc.refresh(code, e)
	}
	return e.card, true // written before expires was set, never after
}

// peek returns a loaded card without waiting or loading.
func (cc *oaCardCache) peek(code string) (oaCard, bool) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return cc.usable(code, cc.m[code], time.Now())
}

func (cc *oaCardCache) refresh(code string, old *oaCardEntry) {
	ctx, cancel := context.WithTimeout(context.Background(), oaCardLoadTimeout)
	defer cancel()
	card, err := cc.load(ctx, code)
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if err != nil {
		old.refreshing = false // the next request tries again
		return
	}
	if cc.m[code] == old {
		e := &oaCardEntry{ready: make(chan struct{}), card: card, expires: time.Now().Add(cc.ttl)}
		close(e.ready)
		cc.m[code] = e
	}
}

// get returns the code's card, loading it if it has none to serve.
func (cc *oaCardCache) get(ctx context.Context, code string) (oaCard, error) {
	now := time.Now()
	cc.mu.Lock()
	e := cc.m[code]
	if c, ok := cc.usable(code, e, now); ok {
		cc.mu.Unlock()
		return c, nil
	}
	if e != nil && e.expires.IsZero() {
		cc.mu.Unlock()
		select {
		case <-e.ready:
		case <-ctx.Done():
			return oaCard{}, ctx.Err()
		}
		return e.card, e.err
	}
	if len(cc.m) >= oaCardMax {
		clear(cc.m)
	}
	e = &oaCardEntry{ready: make(chan struct{})}
	cc.m[code] = e
	cc.mu.Unlock()

	card, err := cc.load(ctx, code)
	cc.mu.Lock()
	e.card, e.err = card, err
	if err != nil {
		if cc.m[code] == e {
			delete(cc.m, code)
		}
	} else {
		e.expires = time.Now().Add(cc.ttl)
	}
	close(e.ready)
	cc.mu.Unlock()
	return card, err
}
