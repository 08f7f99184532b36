package shared

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"deputylink/models"

	"github.com/gin-gonic/gin"
)

// ParseID reads an id path parameter: 1 to models.MaxID (models.ParseID);
// anything else (0, -1, 2^63, letters) is a 400 naming the parameter.
func ParseID(c *gin.Context, name string) (uint64, bool) {
	id, ok := models.ParseID(c.Param(name))
	if !ok {
		RespondErr(c, models.Invalid(name, "编号格式不正确"))
		return 0, false
	}
	return id, true
}

// QueryID reads an optional id query parameter like ParseID: 0 when it is
// absent, a 400 naming it when it cannot be an id.
func QueryID(c *gin.Context, name string) (uint64, bool) {
	s := c.Query(name)
	if s == "" {
		return 0, true
	}
	id, ok := models.ParseID(s)
	if !ok {
		RespondErr(c, models.Invalid(name, FieldLabel(name)+"格式不正确"))
		return 0, false
	}
	return id, true
}

// BodyError turns a failure to read a body into a user error.
func BodyError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return models.Coded(models.ErrInvalid, "body_too_large", "提交的内容太大")
	}
	return errBadBody
}

// QueryLimit reads an optional ?limit= between 1 and most.
func QueryLimit(c *gin.Context, dst *int, most int) bool {
	s := c.Query("limit")
	if s == "" {
		return true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > most {
		RespondErr(c, models.Invalid("limit", fmt.Sprintf("每页数量必须在 1 到 %d 之间", most)))
		return false
	}
	*dst = n
	return true
}

// BearerToken reads "Authorization: Bearer <token>"; the scheme's name is
// case-insensitive (RFC 9110), so "bearer" and "BEARER" work too.
func BearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
