package official

import (
	"bytes"
	"slices"
	"unicode/utf8"
)

// fastParsePush decodes the flat XML WeChat actually sends —
// <xml><Name><![CDATA[text]]></Name><Name>123</Name>…</xml> — without
// encoding/xml's tokenizer, which is a sixth of the push endpoint's CPU.
// Anything else (attributes, entities, nesting, comments, declarations,
// carriage returns, characters XML forbids, a field given twice) reports
// false, and the caller falls back to encoding/xml, so both paths decode
// every input the fast one accepts identically (FuzzFastParsePush checks
// that against encoding/xml).
func fastParsePush(b []byte) (oaMsg, bool) {
	var m oaMsg
	b = bytes.TrimLeft(b, " \t\n")
	if !bytes.HasPrefix(b, []byte("<xml>")) {
		return m, false
	}
	b = b[len("<xml>"):]
	// The names seen so far; a push has about ten, so a slice on the
	// stack beats a map allocated per request.
	var seenBuf [24]string
	seen := seenBuf[:0]
	for {
		b = bytes.TrimLeft(b, " \t\n")
		if bytes.HasPrefix(b, []byte("</xml>")) {
			if len(bytes.TrimLeft(b[len("</xml>"):], " \t\n")) != 0 {
				return m, false
			}
			return m, true
		}
		if len(b) < 3 || b[0] != '<' {
			return m, false
		}
		end := bytes.IndexByte(b, '>')
		if end < 2 {
			return m, false
		}
		name := string(b[1:end])
		if !fastName(name) || slices.Contains(seen, name) || len(seen) == cap(seen) {
			return m, false
		}
		seen = append(seen, name)
		b = b[end+1:]
		var val []byte
		if bytes.HasPrefix(b, []byte("<![CDATA[")) {
			b = b[len("<![CDATA["):]
			i := bytes.Index(b, []byte("]]>"))
			if i < 0 {
				return m, false
			}
			val, b = b[:i], b[i+3:]
		} else {
			i := bytes.IndexByte(b, '<')
			if i < 0 {
				return m, false
			}
			val, b = b[:i], b[i:]
			if bytes.IndexByte(val, '&') >= 0 || bytes.IndexByte(val, '>') >= 0 {
				return m, false
			}
		}
		if !fastChars(val) {
			return m, false
		}
		closing := "</" + name + ">"
		if !bytes.HasPrefix(b, []byte(closing)) {
			return m, false
		}
		b = b[len(closing):]
		if f := m.field(name); f != nil {
			*f = string(val)
		}
	}
}

// field maps an element name to its oaMsg field, as the xml tags do.
func (m *oaMsg) field(name string) *string {
	switch name {
	case "ToUserName":
		return &m.ToUserName
	case "FromUserName":
		return &m.FromUserName
	case "CreateTime":
		return &m.CreateTime
	case "MsgType":
		return &m.MsgType
	case "Content":
		return &m.Content
	case "MsgId":
		return &m.MsgID
	case "MsgID":
		return &m.TemplateMsgID
	case "Event":
		return &m.Event
	case "EventKey":
		return &m.EventKey
	case "Ticket":
		return &m.Ticket
	case "Latitude":
		return &m.Latitude
	case "Longitude":
		return &m.Longitude
	case "Location_X":
		return &m.LocationX
	case "Location_Y":
		return &m.LocationY
	case "Label":
		return &m.Label
	case "Status":
		return &m.Status
	}
	return nil
}

// fastName accepts the plain ASCII element names WeChat uses.
func fastName(s string) bool {
	if s == "" || len(s) > 64 || s == "xml" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// fastChars accepts valid UTF-8 made only of characters XML allows, with
// no carriage return (encoding/xml rewrites \r\n; the fallback handles it).
func fastChars(b []byte) bool {
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 {
			return false
		}
		if !(r == '\t' || r == '\n' || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF) {
			return false
		}
		b = b[n:]
	}
	return true
}
