// Package console is the staff's face, /console: the console's sign-in and
// sessions, the opinion workflow, the reception desk (check-in, walk-ins,
// rosters), the office's administration (holidays, reception rules) and the
// printable notice boards.
package console

import (
	"context"
	"net/http"
	"time"

	"deputylink/handlers/shared"
	"deputylink/models"
	"deputylink/models/reviews"
	"deputylink/wechat"

	"github.com/gin-gonic/gin"
)

// Handlers holds the dependencies of the console's handlers.
type Handlers struct {
	*shared.Base
	Config
}

// Config is what only the console needs.
type Config struct {
	// WebAuth is the official account's web authorization, JS-SDK and
	// QR codes; nil turns the WeChat sign-ins and the scanner off.
	WebAuth WebAuth
	// Sealer opens sealed phone numbers for a deliberate reveal and seals
	// the phone numbers staff enter.
	Sealer *models.Sealer
	// Ballots keys the deputies' ballots on departments (reviews.NewKeyer
	// over the data key); nil refuses them in Chinese.
	Ballots *reviews.Keyer
}

// WebAuth is what the console needs from the official account;
// *wechat.Client implements it.
type WebAuth interface {
	// AuthorizeURL is WeChat's web-authorization address (scope
	// snsapi_base) that comes back to redirectURI with a code and state.
	AuthorizeURL(redirectURI, state string) string
	// OAuthOpenID exchanges a web-authorization code for the openid.
	OAuthOpenID(ctx context.Context, code string) (string, error)
	// JSConfig signs the JS-SDK configuration of the page at pageURL.
	JSConfig(ctx context.Context, pageURL string) (wechat.JSConfig, error)
	// QRTicket makes a parametric QR code of the official account.
	QRTicket(ctx context.Context, scene string, expire time.Duration, permanent bool) (wechat.Ticket, error)
}

// Mount registers the staff console on g (/console): its pages, their
// assets under /static, and the JSON API under /api.
func Mount(g *gin.RouterGroup, b *shared.Base, cfg Config) {
	h := &Handlers{Base: b, Config: cfg}
	g.Use(securityHeaders)
	g.GET("/static/*file", serveStatic())
	pages := g.Group("", consoleNoStore)
	signedIn := pages.Group("", h.requirePage)
	signedIn.GET("/", func(c *gin.Context) { c.Redirect(http.StatusSeeOther, pagesBase+"/opinions") })
	h.signInPages(pages, signedIn)
	h.deputyPages(pages)
	h.opinionPages(signedIn)
	h.deskPages(signedIn)
	h.recordsPages(signedIn)
	// The office's desk: management (county admin, township users), Excel,
	// the dashboard; the departments' pages; the console API's document.
	manage := signedIn.Group("/manage", h.requireManage)
	h.managePlacesPages(manage)
	h.manageDeputyPages(manage)
	h.managePeoplePages(manage)
	h.excelPages(signedIn, manage)
	h.dashboardPages(signedIn)
	h.departmentPages(pages, signedIn)
	h.evaluationPages(signedIn.Group("/eval", h.requireManage))
	h.reviewPages(signedIn.Group("/reviews", h.requireManage))
	h.consoleAPIDocs(g)
	api := g.Group("/api", consoleNoStore)
	api.POST("/login", h.LimitIP("console_login", consoleLoginLimit), h.consoleLogin)
	auth := api.Group("", h.requireConsoleStaff)
	auth.POST("/logout", h.consoleLogout)
	auth.GET("/me", h.consoleMe)
	h.consoleOpinionRoutes(auth)
	h.consoleDeskRoutes(auth)
	h.consoleAdminRoutes(auth)
	h.consoleReviewRoutes(auth)
}

// consoleNoStore keeps staff data out of shared and browser caches.
func consoleNoStore(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.Next()
}
