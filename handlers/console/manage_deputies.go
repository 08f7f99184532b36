package console

import "github.com/gin-gonic/gin"

// manageDeputyPages registers the management of deputies.
func (h *Handlers) manageDeputyPages(manage *gin.RouterGroup) {}
