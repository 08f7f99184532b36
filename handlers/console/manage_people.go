package console

import "github.com/gin-gonic/gin"

// managePeoplePages registers the management of staff and invites, codes and boards, and
// the notification outbox.
func (h *Handlers) managePeoplePages(manage *gin.RouterGroup) {}
