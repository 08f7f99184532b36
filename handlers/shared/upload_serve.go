package shared

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"deputylink/models"

	"github.com/gin-gonic/gin"
)

// ErrNoUploads answers an upload or a photo on a server without a data
// directory.
var ErrNoUploads = models.Coded(ErrUnavailable, "uploads_unavailable", "暂时无法上传照片")

// ServeUpload writes a stored upload. The caller has checked the reader may
// see it (the owner here; the handling station's staff in the console).
func (h *Base) ServeUpload(c *gin.Context, u models.Upload) {
	if h.DataDir == "" {
		RespondErr(c, ErrNoUploads)
		return
	}
	root := filepath.Join(h.DataDir, "uploads")
	full := filepath.Join(h.DataDir, filepath.FromSlash(u.Path))
	if rel, err := filepath.Rel(root, full); err != nil || strings.HasPrefix(rel, "..") || filepath.IsAbs(rel) {
		RespondErr(c, models.ErrUploadNotFound)
		return
	}
	f, err := os.Open(full)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			RespondErr(c, models.ErrUploadNotFound)
			return
		}
		RespondErr(c, err)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		RespondErr(c, err)
		return
	}
	ctype := u.ContentType
	if ctype == "" {
		ctype = "image/jpeg"
		if strings.HasSuffix(u.Path, ".png") {
			ctype = "image/png"
		}
	}
	c.Header("Content-Type", ctype)
	c.Header("Cache-Control", "private, max-age=86400")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Content-Disposition", "inline")
	if u.SHA256 != "" {
		c.Header("ETag", `"`+u.SHA256+`"`)
	}
	http.ServeContent(c.Writer, c.Request, "", st.ModTime(), f)
}
