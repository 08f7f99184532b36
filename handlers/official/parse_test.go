package official

import (
	"encoding/xml"
	"testing"
)

var parseSeeds = []string{
	"<xml><ToUserName><![CDATA[gh_x]]></ToUserName><FromUserName><![CDATA[oAbc]]></FromUserName><CreateTime>1409735668</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[abcdteT]]></Content><MsgId>6054768590064713728</MsgId></xml>",
	"<xml>\n<ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>\n<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>\n<CreateTime>1409735668</CreateTime>\n<MsgType><![CDATA[event]]></MsgType>\n<Event><![CDATA[SCAN]]></Event>\n<EventKey><![CDATA[KKDRS88A]]></EventKey>\n<Ticket><![CDATA[t]]></Ticket>\n</xml>",
	"<xml><FromUserName>o1</FromUserName><MsgID>123</MsgID><Status><![CDATA[success]]></Status><Unknown>x</Unknown></xml>",
	"<xml><Content><![CDATA[a]]]]><![CDATA[>b]]></Content></xml>",
	"<xml><Content>a&amp;b</Content></xml>",
	"<xml><Content><![CDATA[\x02]]></Content></xml>",
	"<xml><Content><![CDATA[a\r\nb]]></Content></xml>",
	"<xml><Content>1</Content><Content>2</Content></xml>",
	"<xml><A><B>x</B></A></xml>",
	"<?xml version=\"1.0\"?><xml><MsgType>text</MsgType></xml>",
	"<xml><Location_X>30.27</Location_X><Location_Y>120.15</Location_Y><Label><![CDATA[东门路]]></Label></xml>",
	"<xml><Content><![CDATA[路灯坏了😀]]></Content></xml> ",
}

// Ensure every input the fast parser accepts decodes exactly as
// encoding/xml decodes it.
func FuzzFastParsePush(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fast, ok := fastParsePush(b)
		if !ok {
			return
		}
		var slow oaMsg
		if err := xml.Unmarshal(b, &slow); err != nil {
			t.Fatalf("fast parser accepted what encoding/xml refuses (%v): %q", err, b)
		}
		slow.XMLName = xml.Name{}
		if fast != slow {
			t.Fatalf("fast %+v != encoding/xml %+v for %q", fast, slow, b)
		}
	})
}

// Ensure every envelope the fast parser accepts decodes exactly as
// encoding/xml decodes it (the pushes' seeds and safe-mode envelopes).
func FuzzFastParseEnvelope(f *testing.F) {
	for _, s := range append(parseSeeds,
		"<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><Encrypt><![CDATA[hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=]]></Encrypt></xml>",
		"<xml><ToUserName><![CDATA[gh]]></ToUserName><FromUserName><![CDATA[o1]]></FromUserName><Encrypt><![CDATA[abc]]></Encrypt></xml>",
		"<xml><Encrypt>a&amp;b</Encrypt></xml>",
		"<xml><Encrypt>1</Encrypt><Encrypt>2</Encrypt></xml>",
	) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fast, ok := fastParseEnvelope(b)
		if !ok {
			return
		}
		var slow oaEnvelope
		if err := xml.Unmarshal(b, &slow); err != nil {
			t.Fatalf("fast parser accepted what encoding/xml refuses (%v): %q", err, b)
		}
		slow.XMLName = xml.Name{}
		if fast != slow {
			t.Fatalf("fast %+v != encoding/xml %+v for %q", fast, slow, b)
		}
	})
}

func TestFastParsePushTakesWeChatShape(t *testing.T) {
	m, ok := fastParsePush([]byte(parseSeeds[1]))
	if !ok || m.Event != "SCAN" || m.EventKey != "KKDRS88A" || m.FromUserName != "oyORnuP8q7ou2gfYjqLzSIWZf0rs" || m.CreateTime != "1409735668" {
		t.Fatalf("ok=%v m=%+v", ok, m)
	}
	for _, s := range parseSeeds[4:10] {
		if _, ok := fastParsePush([]byte(s)); ok {
			t.Errorf("fast path took %q; it must fall back", s)
		}
	}
}
