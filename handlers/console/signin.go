package console

import "github.com/gin-gonic/gin"

// signInPages registers the sign-in pages: the password form, the desk's
// QR code, WeChat's web authorization, and signing out.
func (h *Handlers) signInPages(pages, signedIn *gin.RouterGroup) {}
