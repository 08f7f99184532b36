package shared

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"deputylink/models"

	"github.com/gin-gonic/gin"
)

// ParseID reads a positive integer path parameter; a bad one is a 400.
func ParseID(c *gin.Context, name string) (uint64, bool) {
	id, err := strconv.ParseUint(c.Param(name), 10, 64)
	if err != nil || id == 0 {
		RespondErr(c, models.Invalid(name, "编号格式不正确"))
		return 0, false
	}
	return id, true
}

// BodyError turns a JSON binding failure into a user error.
func BodyError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return models.Coded(models.ErrInvalid, "body_too_large", "提交的内容太大")
	}
	return models.Coded(models.ErrInvalid, "invalid_json", "请求内容格式不正确")
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
