package api

import (
	_ "embed" // the OpenAPI document is embedded
	"net/http"

	"github.com/gin-gonic/gin"
)

// openAPIDoc describes every /api/v1 endpoint (OpenAPI 3.1);
// openapi_test.go fails when a registered route is missing from it.
//
//go:embed openapi.json
var openAPIDoc []byte

// OpenAPI returns the embedded OpenAPI document.
func OpenAPI() []byte { return openAPIDoc }

func (h *Handlers) openAPI(c *gin.Context) {
	c.Header("Cache-Control", "public, max-age=300")
	c.Data(http.StatusOK, "application/json; charset=utf-8", openAPIDoc)
}
