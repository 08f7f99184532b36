package console

import (
	"bytes"
	"embed"
	"encoding/base64"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"deputylink/handlers/shared"
	"deputylink/models"

	"github.com/gin-gonic/gin"
)

// The console's pages: server-rendered html/template pages in the WeUI look
// (static/weui.min.css, vendored from the npm registry), one template file
// per page under templates/pages, each filling the blocks "title" and
// "content" of templates/layout.html. A page's template name is a constant
// beside its handler. The pages share the JSON API's sessions (auth.go):
// the cookie carries the session, and every form posts the session's CSRF
// token in the field csrfField.

//go:embed templates/layout.html templates/pages/*.html
var pageFiles embed.FS

//go:embed static
var staticFiles embed.FS

const (
	// csrfField is the hidden form field that carries the CSRF token.
	csrfField = "csrf"
	// pagesBase is where the pages live.
	pagesBase = "/console"
	// staticBase is where the embedded assets are served.
	staticBase = pagesBase + "/static"

	// signInPath is the sign-in page (password, or the desk's QR code);
	// webAuthPath starts WeChat's web authorization (signin.go).
	signInPath  = pagesBase + "/login"
	webAuthPath = pagesBase + "/auth/wechat"

	tplError = "error.html"
)

// pageTemplates holds every page parsed with the layout, by file name.
var pageTemplates = func() map[string]*template.Template {
	names, err := fs.Glob(pageFiles, "templates/pages/*.html")
	if err != nil {
		panic(err)
	}
	out := make(map[string]*template.Template, len(names))
	for _, n := range names {
		base := n[strings.LastIndexByte(n, '/')+1:]
		out[base] = template.Must(template.New("layout.html").Funcs(pageFuncs).
			ParseFS(pageFiles, "templates/layout.html", n))
	}
	return out
}()

// page is what every page template receives.
type page struct {
	// Title is the page's title, shown in the header and the browser tab.
	Title string
	// Nav names the current tab of the top menu ("opinions", "desk", …).
	Nav string
	// Staff is the signed-in member; nil on the sign-in pages and for a
	// deputy signed in on their own.
	Staff *ConsoleStaffView
	// Deputy is the signed-in deputy (deputy_pages.go), nil if none.
	Deputy *deputyWho
	// CSRF is the token every form posts in csrfField.
	CSRF string
	// InWeChat is true inside WeChat's browser.
	InWeChat bool
	// Notice is a one-line confirmation after an action ("已受理").
	Notice string
	// Error is a message shown above the form after a refused action.
	Error string
	// Data is the page's own content.
	Data any
}

// render writes page tpl with status.
func (h *Handlers) render(c *gin.Context, status int, tpl string, p page) {
	t, ok := pageTemplates[tpl]
	if !ok {
		shared.RespondErr(c, errors.New("console: no page template "+tpl))
		return
	}
	if p.Staff == nil {
		if s, ok := c.Get(ctxConsoleStaff); ok {
			v := consoleStaffView(s.(models.Staff))
			p.Staff = &v
		}
	}
	if p.Deputy == nil {
		if d, ok := c.Get(ctxConsoleDeputy); ok {
			dep := d.(models.Deputy)
			p.Deputy = &deputyWho{ID: dep.ID, Name: dep.Name}
		}
	}
	if p.CSRF == "" {
		p.CSRF = consoleSessionOf(c).csrf
	}
	p.InWeChat = inWeChat(c)
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", p); err != nil {
		shared.Logger(c).ErrorContext(c.Request.Context(), "Console page failed to render", "tpl", tpl, "err", err)
		shared.RespondErr(c, err)
		return
	}
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// renderErr answers a page request that failed with the error page: the
// status and the Chinese message of the one error map (shared.ErrorOf).
func (h *Handlers) renderErr(c *gin.Context, err error) {
	status, d := shared.ErrorOf(c, err)
	if status == http.StatusNotFound {
		// Another station's item is as absent as a missing one.
		d.Message = "没有找到这一项，或者您没有查看它的权限"
	}
	h.render(c, status, tplError, page{Title: "出错了", Data: d})
	c.Abort()
}

// ctxManageScope holds the management scope (requireManage).
const ctxManageScope = "console_manage_scope"

// requireManage admits the county office and township users to the
// management pages (models.ManageScopeOf); a clerk or a head gets the 403
// page.
func (h *Handlers) requireManage(c *gin.Context) {
	sc, err := models.ManageScopeOf(consoleStaff(c))
	if err != nil {
		h.renderErr(c, err)
		return
	}
	c.Set(ctxManageScope, sc)
	c.Next()
}

// manageScope is the scope requireManage admitted.
func manageScope(c *gin.Context) models.ManageScope {
	v, _ := c.Get(ctxManageScope)
	sc, _ := v.(models.ManageScope)
	return sc
}

// inWeChat reports whether the request comes from WeChat's built-in browser.
func inWeChat(c *gin.Context) bool {
	return strings.Contains(c.GetHeader("User-Agent"), "MicroMessenger")
}

// requirePage is requireConsoleStaff for pages: the session comes from the
// cookie only; without one the browser is sent to sign in (inside WeChat,
// straight to web authorization) and comes back to the same address; a
// form post must carry the session's CSRF token. A deputy's session
// without a staff member (deputy_pages.go) may only sign out: a staff page
// sends them to their own pages.
func (h *Handlers) requirePage(c *gin.Context) {
	staff, _, ok := h.pageSession(c)
	if !ok {
		return
	}
	if staff.ID == 0 {
		switch {
		case c.FullPath() == logoutPath:
			c.Next()
		case c.Request.Method == http.MethodGet:
			c.Redirect(http.StatusSeeOther, MePath)
			c.Abort()
		default:
			h.renderErr(c, errNotStaff)
		}
		return
	}
	if !h.departmentGate(c, staff) {
		return
	}
	c.Next()
}

// pageSession opens the cookie session of a page request, checks a form
// post's CSRF token and keeps who is signed in (a staff member, a deputy,
// or both) in the context. It reports whether the request may go on; when
// not, it has answered.
func (h *Handlers) pageSession(c *gin.Context) (models.Staff, models.Deputy, bool) {
	token, err := c.Cookie(ConsoleCookie)
	if err != nil || token == "" || len(token) > consoleTokenMaxLen {
		h.toSignIn(c)
		return models.Staff{}, models.Deputy{}, false
	}
	s, key, staff, dep, err := h.openSession(c, token)
	if errors.Is(err, models.ErrUnauthorized) {
		h.toSignIn(c)
		return models.Staff{}, models.Deputy{}, false
	}
	if err != nil {
		h.renderErr(c, err)
		return models.Staff{}, models.Deputy{}, false
	}
	if unsafeMethod(c.Request.Method) && !csrfMatches(c.PostForm(csrfField), s.CSRF) &&
		!csrfMatches(c.GetHeader(ConsoleCSRFHeader), s.CSRF) {
		h.renderErr(c, errCSRF)
		return models.Staff{}, models.Deputy{}, false
	}
	if staff.ID != 0 {
		c.Set(ctxConsoleStaff, staff)
	}
	if dep.ID != 0 {
		c.Set(ctxConsoleDeputy, dep)
	}
	c.Set(ctxConsoleSession, consoleAuth{key: key, csrf: s.CSRF, viaCookie: true})
	return staff, dep, true
}

// toSignIn sends a browser without a session to the sign-in page, with the
// address it asked for as next (a GET only: a form post cannot be resumed).
func (h *Handlers) toSignIn(c *gin.Context) {
	next := pagesBase + "/"
	if c.Request.Method == http.MethodGet {
		next = c.Request.URL.RequestURI()
	}
	target := signInPath
	if inWeChat(c) {
		target = webAuthPath
	}
	c.Redirect(http.StatusSeeOther, target+"?next="+url.QueryEscape(next))
	c.Abort()
}

// safeNext keeps a post-sign-in address on the console: anything else
// (another host, a scheme, "//evil") becomes the console's home.
func safeNext(next string) string {
	if !strings.HasPrefix(next, pagesBase+"/") && next != pagesBase {
		return pagesBase + "/"
	}
	if strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return pagesBase + "/"
	}
	return next
}

// seeOther answers a form post by sending the browser to path with a notice
// (post/redirect/get: a reload does not post again).
func seeOther(c *gin.Context, path, notice string) {
	if notice != "" {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		path += sep + "ok=" + url.QueryEscape(notice)
	}
	c.Redirect(http.StatusSeeOther, path)
}

// noticeOf is the confirmation a redirect carried (seeOther), kept short
// and plain: it is shown as text, never as markup.
func noticeOf(c *gin.Context) string {
	return models.Shorten(models.CleanLine(c.Query("ok")), 40, "…")
}

// pageFuncs are the helpers the page templates may call.
var pageFuncs = template.FuncMap{
	"field": func() string { return csrfField },
	"static": func(name string) string {
		return staticBase + "/" + name
	},
}

// securityHeaders are sent with every console response: only our own
// assets and WeChat's JS-SDK script may run, no other site may frame the
// console, and no address of ours leaks to other sites.
func securityHeaders(c *gin.Context) {
	hd := c.Writer.Header()
	hd.Set("Content-Security-Policy", "default-src 'self'; script-src 'self' https://res.wx.qq.com https://res2.wx.qq.com; "+
		"style-src 'self'; img-src 'self' data: https://mp.weixin.qq.com; connect-src 'self'; "+
		"frame-ancestors 'none'; form-action 'self' https://open.weixin.qq.com; base-uri 'none'; object-src 'none'")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "same-origin")
	c.Next()
}

// serveStatic serves the embedded assets; they change only with the
// binary, so browsers may keep them for a day.
func serveStatic() gin.HandlerFunc {
	sub, _ := fs.Sub(staticFiles, "static")
	fsrv := http.StripPrefix(staticBase, http.FileServer(http.FS(sub)))
	return func(c *gin.Context) {
		c.Header("Cache-Control", "public, max-age=86400")
		fsrv.ServeHTTP(c.Writer, c.Request)
	}
}

// screenQR draws an official-account QR code for the screen as a data:
// address, from the content WeChat gave with its ticket: the browser at a
// desk needs no way to mp.weixin.qq.com, and the page no third-party image.
func screenQR(content string) (template.URL, error) {
	png, err := QRCodePNG(content, 440)
	if err != nil {
		return "", err
	}
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)), nil
}

// localTime writes t the Chinese way in the console's time zone.
func (h *Handlers) localTime(t time.Time) string { return models.DateTimeText(t, h.Location) }
