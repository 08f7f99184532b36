package console

import (
	_ "embed" // the OpenAPI document is embedded
	"net/http"

	"github.com/gin-gonic/gin"
)

// consoleOpenAPIDoc describes every /console/api endpoint (OpenAPI 3.1),
// apart from the mini-program's document (/api/v1/openapi.json), which
// stays the contract the mini-program is tested against;
// console_openapi_test.go fails when a registered route is missing from it
// or it describes one the router does not have.
//
//go:embed openapi.json
var consoleOpenAPIDoc []byte

// OpenAPI returns the embedded OpenAPI document of the console's API.
func OpenAPI() []byte { return consoleOpenAPIDoc }

// consoleAPIDocs serves the console API's OpenAPI document at
// /console/openapi.json. It needs no sign-in, like the mini-program's: it
// describes endpoints and shapes, no data, and a developer writing a
// client has no console session yet. Every endpoint it describes checks
// the session itself.
func (h *Handlers) consoleAPIDocs(g *gin.RouterGroup) {
	g.GET("/openapi.json", func(c *gin.Context) {
		c.Header("Cache-Control", "public, max-age=300")
		c.Data(http.StatusOK, "application/json; charset=utf-8", consoleOpenAPIDoc)
	})
}
