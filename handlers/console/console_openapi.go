package console

import "github.com/gin-gonic/gin"

// consoleAPIDocs registers the console API's OpenAPI document.
func (h *Handlers) consoleAPIDocs(g *gin.RouterGroup) {}
