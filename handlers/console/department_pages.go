package console

import "github.com/gin-gonic/gin"

// departmentPages registers the departments' pages and the transfer slip.
func (h *Handlers) departmentPages(pages, signedIn *gin.RouterGroup) {}
