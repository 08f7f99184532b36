// Package console is the staff's face, /console: the console's sign-in and
// sessions, the opinion workflow, the reception desk (check-in, walk-ins,
// rosters), the office's administration (holidays, reception rules) and the
// printable notice boards.
package console

import (
	"deputylink/handlers/shared"

	"github.com/gin-gonic/gin"
)

// Handlers holds the dependencies of the console's handlers.
type Handlers struct {
	*shared.Base
}

// Mount registers the staff console's JSON API on g (/console) under /api.
func Mount(g *gin.RouterGroup, b *shared.Base) {
	h := &Handlers{Base: b}
	api := g.Group("/api", consoleNoStore)
	api.POST("/login", h.LimitIP("console_login", consoleLoginLimit), h.consoleLogin)
	auth := api.Group("", h.requireConsoleStaff)
	auth.POST("/logout", h.consoleLogout)
	auth.GET("/me", h.consoleMe)
	h.consoleOpinionRoutes(auth)
	h.consoleDeskRoutes(auth)
	h.consoleAdminRoutes(auth)
}

// consoleNoStore keeps staff data out of shared and browser caches.
func consoleNoStore(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.Next()
}
