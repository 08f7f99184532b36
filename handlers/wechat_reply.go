package handlers

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
	var b strings.Builder
	b.Grow(len(enc) + 200)
	b.WriteString("<xml><Encrypt>")
	writeCDATA(&b, enc)
	b.WriteString("</Encrypt><MsgSignature>")
	writeCDATA(&b, sig)
	b.WriteString("</MsgSignature><TimeStamp>")
	b.WriteString(req.timestamp)
	b.WriteString("</TimeStamp><Nonce>")
	writeCDATA(&b, req.nonce)
	b.WriteString("</Nonce></xml>")
	c.Data(http.StatusOK, "text/xml; charset=utf-8", []byte(b.String()))
}

// textReplyXML builds a passive text reply as WeChat documents it.
func textReplyXML(to, from string, at int64, content string) []byte {
	var b strings.Builder
	b.Grow(len(content) + 200)
	b.WriteString("<xml><ToUserName>")
	writeCDATA(&b, to)
	b.WriteString("</ToUserName><FromUserName>")
	writeCDATA(&b, from)
	b.WriteString("</FromUserName><CreateTime>")
	b.WriteString(strconv.FormatInt(at, 10))
	b.WriteString("</CreateTime><MsgType><![CDATA[text]]></MsgType><Content>")
	writeCDATA(&b, content)
	b.WriteString("</Content></xml>")
	return []byte(b.String())
}

// writeCDATA writes s as CDATA, splitting any "]]>" and dropping characters
// XML 1.0 does not allow, so the reply always parses. Clean runs are copied
// whole: the Encrypt value of every safe-mode reply passes through here.
func writeCDATA(b *strings.Builder, s string) {
	b.WriteString("<![CDATA[")
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ']' && strings.HasPrefix(s[i:], "]]>"):
			b.WriteString(s[start:i])
			b.WriteString("]]]]><![CDATA[>")
			i += 3
			start = i
		case c >= 0x20 && c < utf8.RuneSelf, c == '\t', c == '\n', c == '\r':
			i++
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			if !xmlChar(r) || r == utf8.RuneError && n == 1 {
				b.WriteString(s[start:i])
				start = i + n
			}
			i += n
		}
	}
	b.WriteString(s[start:])
	b.WriteString("]]>")
}

func xmlChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}
