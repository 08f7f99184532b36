package handlers

import (
	"bytes"
	"html/template"
	"net/http"
	"regexp"

	"deputylink/models/reviews"

	"github.com/gin-gonic/gin"
)

// SlipLinks configures GET /b/<code>, where a printed slip's link
// (reviews.SlipLink) points. WeChat's 扫一扫 opens the mini-program's
// ballot page for such a link once the mini-program's QR rule is live
// (扫普通链接二维码打开小程序, docs/OPERATIONS.md); the server itself only
// ever answers a page saying how to vote, for a link opened anywhere
// else, and the rule's verification file.
type SlipLinks struct {
	// VerifyName is the verification file WeChat hands out for the QR
	// rule (DEPUTYLINK_MP_QR_VERIFY_FILE, <letters and digits>.txt),
	// served at /b/<VerifyName> as VerifyContent; anything else serves
	// nothing.
	VerifyName, VerifyContent string
	// MPName is the mini-program's name the page tells voters to look
	// for (DEPUTYLINK_MP_NAME); empty: defaultMPName.
	MPName string
}

// defaultMPName is the mini-program's title (miniprogram/app.json), named
// when DEPUTYLINK_MP_NAME is not set.
const defaultMPName = "人大代表联络站"

// mpQRVerifyName is the only shape of name the QR rule's verification file
// may have (config checks DEPUTYLINK_MP_QR_VERIFY_FILE the same way); a
// slip's code never has a dot, so the two cannot meet.
var mpQRVerifyName = regexp.MustCompile(`^[A-Za-z0-9]{1,64}\.txt$`)

// slipLinkRoute is the route of a slip's link; the access log keeps this
// pattern, never the code.
const slipLinkRoute = reviews.SlipPath + ":code"

// slipLinkTmpl is the page behind a slip's link: one self-contained page
// in large type (no script, no image, no link, nothing fetched), which
// names no code and reads nothing: the slip's code stays on paper and in
// the mini-program.
var slipLinkTmpl = template.Must(template.New("slip").Parse(`<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<title>述职评议票</title>
<style>
body{margin:0;padding:32px 22px;font-family:-apple-system,"PingFang SC","Microsoft YaHei","WenQuanYi Micro Hei",sans-serif;background:#f7f7f7;color:#111;line-height:1.7}
main{max-width:34em;margin:0 auto;background:#fff;border-radius:12px;padding:28px 22px}
h1{font-size:30px;margin:0 0 18px;color:#b4231f}
.big{font-size:24px;margin:0 0 20px}
.more{font-size:20px;color:#444;margin:0}
</style>
</head>
<body>
<main>
<h1>述职评议票</h1>
<p class="big" id="how">这是一张述职评议票。请用微信“扫一扫”扫描票上的二维码，在“{{.}}”小程序中匿名评议。每张票只能用一次。</p>
<p class="more" id="more">如果用微信扫码后仍然看到这一页，请在微信里搜索“{{.}}”小程序，打开后点“扫码”扫描这张票，或者输入票上的评议票号。</p>
</main>
</body>
</html>
`))

// slipLink answers GET /b/:code: the QR rule's verification file under
// its name, else the page behind a slip's link, the same for every code
// (rendered once here): 200 for what has a slip code's shape, 404 for
// what cannot be one. It touches neither the database nor Redis, so a
// scan outside WeChat learns nothing about a slip, and costs nothing.
func slipLink(s SlipLinks) gin.HandlerFunc {
	name := s.MPName
	if name == "" {
		name = defaultMPName
	}
	var buf bytes.Buffer
	if err := slipLinkTmpl.Execute(&buf, name); err != nil {
		panic("slip link page: " + err.Error()) // a fixed template into a buffer cannot fail
	}
	page := buf.Bytes()
	verify := gin.HandlerFunc(nil)
	if mpQRVerifyName.MatchString(s.VerifyName) {
		verify = serveOAVerify(s.VerifyContent)
	}
	return func(c *gin.Context) {
		if verify != nil && c.Param("code") == s.VerifyName {
			verify(c)
			return
		}
		h := c.Writer.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Robots-Tag", "noindex")
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
		status := http.StatusOK
		if _, ok := reviews.NormalizeSlipCode(c.Param("code")); !ok {
			status = http.StatusNotFound
		}
		c.Data(status, "text/html; charset=utf-8", page)
	}
}
