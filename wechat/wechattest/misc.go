package wechattest

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

type qrReq struct {
	ExpireSeconds *int64 `json:"expire_seconds"`
	ActionName    string `json:"action_name"`
	ActionInfo    struct {
		Scene struct {
			SceneStr string `json:"scene_str"`
			SceneID  int64  `json:"scene_id"`
		} `json:"scene"`
	} `json:"action_info"`
}

// handleQRCreate is POST /cgi-bin/qrcode/create. Limits are the documented
// ones (temporary ≤ 2,592,000 s, default 30 s; scene_str 1..64; temporary
// scene_id 32-bit non-zero; permanent scene_id 1..100000). WeChat does not
// document the errcode for a broken limit: this fake answers 40097 "invalid
// args". Success carries no errcode/errmsg (the SDK treats any errmsg as an
// error).
func (s *Server) handleQRCreate(_ *http.Request, _ url.Values, body []byte, _ string) reply {
	var req qrReq
	if !decodeJSON(body, &req) {
		return errReply(47001, "")
	}
	sc := req.ActionInfo.Scene
	permanent := strings.HasPrefix(req.ActionName, "QR_LIMIT_")
	var expire int64
	if !permanent {
		expire = 30
		if req.ExpireSeconds != nil && *req.ExpireSeconds != 0 {
			expire = *req.ExpireSeconds
		}
		if expire < 0 || expire > 2592000 {
			return errReply(40097, "invalid args hint: expire_seconds")
		}
	}
	switch req.ActionName {
	case "QR_STR_SCENE", "QR_LIMIT_STR_SCENE":
		if n := len(sc.SceneStr); n < 1 || n > 64 {
			return errReply(40097, "invalid args hint: scene_str")
		}
		sc.SceneID = 0
	case "QR_SCENE":
		if sc.SceneID == 0 || sc.SceneID > math.MaxUint32 || sc.SceneID < math.MinInt32 {
			return errReply(40097, "invalid args hint: scene_id")
		}
		sc.SceneStr = ""
	case "QR_LIMIT_SCENE":
		if sc.SceneID < 1 || sc.SceneID > 100000 {
			return errReply(40097, "invalid args hint: scene_id")
		}
		sc.SceneStr = ""
	default:
		return errReply(40097, "invalid args hint: action_name")
	}
	id := randomToken(16)
	qrURL := "http://weixin.qq.com/q/" + id
	// Real tickets are standard base64 (with '+', '/', '='), hence escaping.
	ticket := base64.StdEncoding.EncodeToString(append([]byte{0xfb, 0xff}, []byte(qrURL)...))
	s.mu.Lock()
	s.st.tickets[ticket] = len(s.st.qrcodes)
	s.st.qrcodes = append(s.st.qrcodes, QRCode{
		Ticket: ticket, URL: qrURL, ActionName: req.ActionName, SceneStr: sc.SceneStr,
		SceneID: sc.SceneID, ExpireSeconds: expire, At: time.Now(),
	})
	s.mu.Unlock()
	out := map[string]any{"ticket": ticket, "url": qrURL}
	if !permanent {
		out["expire_seconds"] = expire
	}
	return jsonReply(out)
}

// handleShowQR is GET /cgi-bin/showqrcode?ticket= (mp.weixin.qq.com in
// reality; served here for demos).
func (s *Server) handleShowQR(_ *http.Request, q url.Values, _ []byte, _ string) reply {
	t := q.Get("ticket")
	s.mu.Lock()
	_, ok := s.st.tickets[t]
	s.mu.Unlock()
	if !ok {
		return reply{status: http.StatusNotFound, contentType: "text/plain", body: []byte("invalid ticket")}
	}
	return reply{contentType: "image/jpeg", body: codeImage(t)}
}

const wxaSceneChars = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!#$&'()*+,/:;=?@-._~"

type wxaReq struct {
	Scene      string `json:"scene"`
	Page       string `json:"page"`
	CheckPath  *bool  `json:"check_path"`
	EnvVersion string `json:"env_version"`
	Width      int    `json:"width"`
}

// handleWXACode is POST /wxa/getwxacodeunlimit: a JPEG (Content-Type exactly
// "image/jpeg", which the SDK requires) or a JSON error: 40169 bad scene,
// 41030 bad page or, with check_path (default true), a page missing from the
// published set.
func (s *Server) handleWXACode(_ *http.Request, _ url.Values, body []byte, _ string) reply {
	var req wxaReq
	if !decodeJSON(body, &req) {
		return errReply(47001, "")
	}
	if req.Scene == "" || len(req.Scene) > 32 || strings.Trim(req.Scene, wxaSceneChars) != "" {
		return errReply(40169, "")
	}
	switch req.EnvVersion {
	case "", "release", "trial", "develop":
	default:
		return errReply(40097, "invalid args hint: env_version")
	}
	if strings.HasPrefix(req.Page, "/") || strings.ContainsAny(req.Page, "?#") {
		return errReply(41030, "")
	}
	checkPath := req.CheckPath == nil || *req.CheckPath
	s.mu.Lock()
	missing := checkPath && req.Page != "" && s.st.published != nil && !s.st.published[req.Page]
	s.mu.Unlock()
	if missing {
		return errReply(41030, "")
	}
	return reply{contentType: "image/jpeg", body: codeImage(req.Scene + "|" + req.Page)}
}

// codeImage draws a small deterministic 25×25-module pattern seeded by key
// and encodes it as a real JPEG.
func codeImage(key string) []byte {
	const modules, px, margin = 25, 8, 16
	size := modules*px + 2*margin
	img := image.NewGray(image.Rect(0, 0, size, size))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	seed := sha256.Sum256([]byte(key))
	for y := 0; y < modules; y++ {
		for x := 0; x < modules; x++ {
			bit := y*modules + x
			h := seed[(bit/8)%len(seed)] ^ byte(bit*31)
			if (h>>(bit%8))&1 == 0 {
				continue
			}
			for dy := 0; dy < px; dy++ {
				for dx := 0; dx < px; dx++ {
					img.SetGray(margin+x*px+dx, margin+y*px+dy, color.Gray{})
				}
			}
		}
	}
	var buf bytes.Buffer
	_ = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 75})
	return buf.Bytes()
}

// handleCode2Session is GET /sns/jscode2session (appid+secret, no token).
// Codes are single-use (40163 on reuse); unknown codes answer 40029.
func (s *Server) handleCode2Session(_ *http.Request, q url.Values, _ []byte, _ string) reply {
	if q.Get("grant_type") != "authorization_code" {
		return errReply(40002, "")
	}
	code := q.Get("js_code")
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.st.apps[q.Get("appid")]
	switch {
	case a == nil:
		return errReply(40013, "")
	case q.Get("secret") != a.secret:
		return errReply(40125, "")
	case code == "":
		return errReply(41008, "")
	case s.st.usedCodes[code]:
		return errReply(40163, "")
	}
	lc, ok := s.st.loginCodes[code]
	if !ok {
		rest, isTest := strings.CutPrefix(code, "test:")
		if !isTest || !openidRe.MatchString(rest) {
			return errReply(40029, "")
		}
		lc = loginCode{openid: rest}
	}
	s.st.usedCodes[code] = true
	out := map[string]any{"openid": lc.openid, "session_key": randomToken(16)}
	if lc.unionid != "" {
		out["unionid"] = lc.unionid
	}
	return jsonReply(out)
}

// handlePhone is POST /wxa/business/getuserphonenumber {"code"}; codes are
// single-use; unknown or used codes answer 40029.
func (s *Server) handlePhone(_ *http.Request, _ url.Values, body []byte, appID string) reply {
	var req struct {
		Code string `json:"code"`
	}
	if !decodeJSON(body, &req) || req.Code == "" {
		return errReply(47001, "")
	}
	s.mu.Lock()
	phone, ok := s.st.phoneCodes[req.Code]
	delete(s.st.phoneCodes, req.Code)
	s.mu.Unlock()
	if !ok {
		return errReply(40029, "")
	}
	pure, cc := phone, "86"
	if rest, found := strings.CutPrefix(phone, "+86"); found {
		pure = rest
	}
	return okReply(map[string]any{"phone_info": map[string]any{
		"phoneNumber": pure, "purePhoneNumber": pure, "countryCode": cc,
		"watermark": map[string]any{"timestamp": time.Now().Unix(), "appid": appID},
	}})
}

type menuButton struct {
	Type       string       `json:"type"`
	Name       string       `json:"name"`
	SubButtons []menuButton `json:"sub_button"`
}

// handleMenuCreate is POST /cgi-bin/menu/create: 1..3 buttons (40016), at
// most 5 sub-buttons (40023), names ≤ 60 bytes (40018), a type for leaves
// (40017).
func (s *Server) handleMenuCreate(_ *http.Request, _ url.Values, body []byte, _ string) reply {
	var req struct {
		Button json.RawMessage `json:"button"`
	}
	var parsed struct {
		Button []menuButton `json:"button"`
	}
	if !decodeJSON(body, &req) || !decodeJSON(body, &parsed) {
		return errReply(47001, "")
	}
	if n := len(parsed.Button); n < 1 || n > 3 {
		return errReply(40016, "invalid button size")
	}
	for _, b := range parsed.Button {
		if len(b.SubButtons) > 5 {
			return errReply(40023, "invalid sub button size")
		}
		for _, leaf := range append([]menuButton{b}, b.SubButtons...) {
			if leaf.Name == "" || len(leaf.Name) > 60 || !utf8.ValidString(leaf.Name) {
				return errReply(40018, "invalid button name size")
			}
		}
		for _, sb := range b.SubButtons {
			if sb.Type == "" {
				return errReply(40017, "invalid button type")
			}
		}
		if len(b.SubButtons) == 0 && b.Type == "" {
			return errReply(40017, "invalid button type")
		}
	}
	s.mu.Lock()
	s.st.menu = req.Button
	s.st.menuID++
	s.mu.Unlock()
	return okReply(nil)
}

// handleMenuGet is GET /cgi-bin/menu/get (46003 when no menu).
func (s *Server) handleMenuGet(_ *http.Request, _ url.Values, _ []byte, _ string) reply {
	s.mu.Lock()
	m, id := s.st.menu, s.st.menuID
	s.mu.Unlock()
	if m == nil {
		return errReply(46003, "")
	}
	return jsonReply(map[string]any{"menu": map[string]any{"button": m, "menuid": id}})
}

// handleSelfMenu is GET /cgi-bin/get_current_selfmenu_info (simplified).
func (s *Server) handleSelfMenu(_ *http.Request, _ url.Values, _ []byte, _ string) reply {
	s.mu.Lock()
	m := s.st.menu
	s.mu.Unlock()
	if m == nil {
		return jsonReply(map[string]any{"is_menu_open": 0})
	}
	return jsonReply(map[string]any{"is_menu_open": 1, "selfmenu_info": map[string]any{"button": m}})
}

// handleMenuDelete is /cgi-bin/menu/delete.
func (s *Server) handleMenuDelete(_ *http.Request, _ url.Values, _ []byte, _ string) reply {
	s.mu.Lock()
	s.st.menu = nil
	s.mu.Unlock()
	return okReply(nil)
}

// handleUserInfo is GET /cgi-bin/user/info?openid=.
func (s *Server) handleUserInfo(_ *http.Request, q url.Values, _ []byte, _ string) reply {
	openid := q.Get("openid")
	if !openidRe.MatchString(openid) {
		return errReply(40003, "")
	}
	s.mu.Lock()
	followed := s.st.followAll || s.st.followers[openid]
	unionid := s.st.unionIDs[openid]
	s.mu.Unlock()
	out := map[string]any{"subscribe": 0, "openid": openid}
	if followed {
		out["subscribe"] = 1
		out["subscribe_time"] = time.Now().Unix()
		out["language"] = "zh_CN"
	}
	if unionid != "" {
		out["unionid"] = unionid
	}
	return jsonReply(out)
}
