package console

import "github.com/gin-gonic/gin"

// dashboardPages registers the dashboard.
func (h *Handlers) dashboardPages(signedIn *gin.RouterGroup) {}
