package official

import (
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"deputylink/wechat"

	"github.com/gin-gonic/gin"
)

// Passive replies, written by hand as WeChat documents them: in plain mode
// the text message, in safe mode that message encrypted into an envelope.

// respond writes the reply: "success" for none, the text message in plain
// mode, and in safe mode the message encrypted with the request's random,
// timestamp and nonce.
func (o *oaServer) respond(c *gin.Context, req oaRequest, m *oaMsg, r oaReply) {
	if r.Type != oaReplyText || r.Content == "" {
		c.String(http.StatusOK, oaSuccess)
		return
	}
	x := textReplyXML(m.FromUserName, m.ToUserName, r.At, r.Content)
	if !req.aes {
		c.Data(http.StatusOK, "text/xml; charset=utf-8", x)
		return
	}
	enc, sig, err := wechat.EncryptReply(req.random, x, o.cfg.AppID, o.cfg.AESKey, o.cfg.Token, req.timestamp, req.nonce)
	if err != nil {
		o.ignore(c, "reply not encrypted", err)
		return
	}
	b := make([]byte, 0, len(enc)+len(sig)+len(req.timestamp)+len(req.nonce)+128)
	// enc is base64 and sig hex: neither needs appendCDATA's scan.
	b = append(b, "<xml><Encrypt><![CDATA["...)
	b = append(b, enc...)
	b = append(b, "]]></Encrypt><MsgSignature><![CDATA["...)
	b = append(b, sig...)
	b = append(b, "]]></MsgSignature><TimeStamp>"...)
	b = append(b, req.timestamp...)
	b = append(b, "</TimeStamp><Nonce>"...)
	b = appendCDATA(b, req.nonce)
	b = append(b, "</Nonce></xml>"...)
	c.Data(http.StatusOK, "text/xml; charset=utf-8", b)
}

// textReplyXML builds a passive text reply as WeChat documents it.
func textReplyXML(to, from string, at int64, content string) []byte {
	b := make([]byte, 0, len(to)+len(from)+len(content)+160)
	b = append(b, "<xml><ToUserName>"...)
	b = appendCDATA(b, to)
	b = append(b, "</ToUserName><FromUserName>"...)
	b = appendCDATA(b, from)
	b = append(b, "</FromUserName><CreateTime>"...)
	b = strconv.AppendInt(b, at, 10)
	b = append(b, "</CreateTime><MsgType><![CDATA[text]]></MsgType><Content>"...)
	b = appendCDATA(b, content)
	b = append(b, "</Content></xml>"...)
	return b
}

// appendCDATA appends s as CDATA, splitting any "]]>" and dropping
// characters XML 1.0 does not allow, so the reply always parses. Clean runs
// are copied whole.
func appendCDATA(b []byte, s string) []byte {
	b = append(b, "<![CDATA["...)
	if cdataClean(s) {
		// The usual case (a card is a kilobyte of Chinese): no rune by
		// rune decoding.
		b = append(b, s...)
		return append(b, "]]>"...)
	}
	return appendCDATABody(b, s)
}

// appendCDATABody is appendCDATA's rune by rune path, for text that needs
// cleaning, after the opening "<![CDATA[".
func appendCDATABody(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ']' && strings.HasPrefix(s[i:], "]]>"):
			b = append(b, s[start:i]...)
			b = append(b, "]]]]><![CDATA[>"...)
			i += 3
			start = i
		case c >= 0x20 && c < utf8.RuneSelf, c == '\t', c == '\n', c == '\r':
			i++
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			if !xmlChar(r) || r == utf8.RuneError && n == 1 {
				b = append(b, s[start:i]...)
				start = i + n
			}
			i += n
		}
	}
	b = append(b, s[start:]...)
	return append(b, "]]>"...)
}

// cdataClean reports whether s can go into CDATA as it is: valid UTF-8
// (so no surrogates), no "]]>", and none of the characters XML 1.0 lacks
// that valid UTF-8 can carry: controls other than tab, LF and CR, U+FFFE
// and U+FFFF (EF BF BE and EF BF BF).
func cdataClean(s string) bool {
	if !utf8.ValidString(s) || strings.Contains(s, "]]>") {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 && c != '\t' && c != '\n' && c != '\r':
			return false
		case c == 0xEF && i+2 < len(s) && s[i+1] == 0xBF && s[i+2] >= 0xBE:
			return false
		}
	}
	return true
}

func xmlChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}
