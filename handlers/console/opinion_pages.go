package console

import "github.com/gin-gonic/gin"

// opinionPages registers the inbox, the item and its actions, and the
// entry of opinions received offline.
func (h *Handlers) opinionPages(signedIn *gin.RouterGroup) {}
