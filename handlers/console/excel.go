package console

import "github.com/gin-gonic/gin"

// excelPages registers the Excel imports (manage) and exports (signedIn).
func (h *Handlers) excelPages(signedIn, manage *gin.RouterGroup) {}
