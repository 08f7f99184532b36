package official

import (
	"bytes"
	"slices"
	"unicode/utf8"
)

// fastParsePush decodes the flat XML WeChat actually sends —
// <xml><Name><![CDATA[text]]></Name><Name>123</Name>…</xml> — without
// encoding/xml's tokenizer, which is a sixth of the push endpoint's CPU
// (fastParseEnvelope does the same for a safe-mode push's envelope).
// Anything else (attributes, entities, nesting, comments, declarations,
// carriage returns, characters XML forbids, a field given twice) reports
// false, and the caller falls back to encoding/xml, so both paths decode
// every input the fast one accepts identically (FuzzFastParsePush checks
// that against encoding/xml).
func fastParsePush(b []byte) (oaMsg, bool) {
	var m oaMsg
	ok := fastParseFlat(b, m.field)
	return m, ok
}

// fastParseEnvelope is fastParsePush for the envelope of a safe-mode
// push (FuzzFastParseEnvelope checks it against encoding/xml).
func fastParseEnvelope(b []byte) (oaEnvelope, bool) {
	var env oaEnvelope
	ok := fastParseFlat(b, env.field)
	return env, ok
}

// field maps an element name to its oaEnvelope field.
func (e *oaEnvelope) field(name []byte) *string {
	switch string(name) { // no copy: the compiler compares the bytes
	case "ToUserName":
		return &e.ToUserName
	case "Encrypt":
		return &e.Encrypt
	}
	return nil
}

// fastParseFlat is the parser of fastParsePush: it stores each element's
// text in field(name), when that is not nil.
func fastParseFlat(b []byte, field func([]byte) *string) bool {
	b = bytes.TrimLeft(b, " \t\n")
	if !bytes.HasPrefix(b, []byte("<xml>")) {
		return false
	}
	b = b[len("<xml>"):]
	// The names seen so far; a push has about ten, so a slice on the
	// stack beats a map allocated per request.
	var seenBuf [24][]byte
	seen := seenBuf[:0]
	for {
		b = bytes.TrimLeft(b, " \t\n")
		if bytes.HasPrefix(b, []byte("</xml>")) {
			return len(bytes.TrimLeft(b[len("</xml>"):], " \t\n")) == 0
		}
		if len(b) < 3 || b[0] != '<' {
			return false
		}
		end := bytes.IndexByte(b, '>')
		if end < 2 {
			return false
		}
		name := b[1:end]
		if !fastName(name) || len(seen) == cap(seen) || slices.ContainsFunc(seen, func(s []byte) bool { return bytes.Equal(s, name) }) {
			return false
		}
		seen = append(seen, name)
		b = b[end+1:]
		var val []byte
		if bytes.HasPrefix(b, []byte("<![CDATA[")) {
			b = b[len("<![CDATA["):]
			i := bytes.Index(b, []byte("]]>"))
			if i < 0 {
				return false
			}
			val, b = b[:i], b[i+3:]
		} else {
			i := bytes.IndexByte(b, '<')
			if i < 0 {
				return false
			}
			val, b = b[:i], b[i:]
			if bytes.IndexByte(val, '&') >= 0 || bytes.IndexByte(val, '>') >= 0 {
				return false
			}
		}
		if !fastChars(val) {
			return false
		}
		// The closing tag, "</" name ">".
		if len(b) < len(name)+3 || b[0] != '<' || b[1] != '/' || !bytes.Equal(b[2:2+len(name)], name) || b[2+len(name)] != '>' {
			return false
		}
		b = b[len(name)+3:]
		if f := field(name); f != nil {
			*f = string(val)
		}
	}
}

// field maps an element name to its oaMsg field, as the xml tags do.
func (m *oaMsg) field(name []byte) *string {
	switch string(name) { // no copy: the compiler compares the bytes
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
func fastName(s []byte) bool {
	if len(s) == 0 || len(s) > 64 || string(s) == "xml" {
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
