package api

import (
	"errors"
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"

	"deputylink/handlers/shared"
	"deputylink/models"
	"deputylink/models/records"

	"github.com/gin-gonic/gin"
)

func (h *Handlers) getCode(c *gin.Context) {
	v, err := models.ResolveCode(c.Request.Context(), h.DB, c.Param("code"))
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

func (h *Handlers) getDeputy(c *gin.Context) {
	id, ok := shared.ParseID(c, "id")
	if !ok {
		return
	}
	v, err := models.GetDeputy(c.Request.Context(), h.DB, id)
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	year := h.Now().In(h.Location).Year()
	counts, err := records.PublicActivitySummary(c.Request.Context(), h.DB, id, year)
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	revs, err := h.deputyReviews(c, id)
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	c.JSON(http.StatusOK, deputyResource{DeputyView: v, Activities: records.ActivitySummary{Year: year, Counts: counts}, Reviews: revs})
}

// deputyResource is a deputy with the public summary of their record this
// year: the approved activities by type, so voters who scan a board see
// what their deputy did, and the published results of the reviews they
// were put to (述职评议), newest first.
type deputyResource struct {
	models.DeputyView
	Activities records.ActivitySummary `json:"activities"`
	Reviews    []DeputyReviewResult    `json:"reviews"`
}

// getDeputyPhoto serves a deputy's photo uploaded on the console
// (models.DeputyPhotoPath); its address changes with the photo, so it may
// be kept for a day.
func (h *Handlers) getDeputyPhoto(c *gin.Context) {
	id, ok := shared.ParseID(c, "id")
	if !ok {
		return
	}
	if h.DataDir == "" {
		shared.RespondErr(c, errNoDeputyPhoto)
		return
	}
	f, err := os.Open(shared.DeputyPhotoFile(h.DataDir, id))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			shared.RespondErr(c, errNoDeputyPhoto)
			return
		}
		shared.RespondErr(c, err)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	c.Header("Content-Type", "image/jpeg")
	c.Header("Cache-Control", "public, max-age=86400")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Content-Disposition", "inline")
	http.ServeContent(c.Writer, c.Request, "", st.ModTime(), f)
}

// errNoDeputyPhoto is a deputy without an uploaded photo.
var errNoDeputyPhoto = models.Coded(models.ErrNotFound, "photo_not_found", "这位代表还没有上传照片")

func (h *Handlers) getStation(c *gin.Context) {
	id, ok := shared.ParseID(c, "id")
	if !ok {
		return
	}
	v, err := models.GetStation(c.Request.Context(), h.DB, id)
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

// listStations lists stations, nearest first when lat and lng are given.
// The cursor is an opaque offset into the (stable) order.
func (h *Handlers) listStations(c *gin.Context) {
	q := models.StationQuery{Limit: 20}
	latS, lngS := c.Query("lat"), c.Query("lng")
	if latS != "" || lngS != "" {
		lat, err := parseCoord(latS)
		if err != nil {
			shared.RespondErr(c, models.Invalid("lat", "纬度必须是 -90 到 90 之间的数字"))
			return
		}
		lng, err := parseCoord(lngS)
		if err != nil {
			shared.RespondErr(c, models.Invalid("lng", "经度必须是 -180 到 180 之间的数字"))
			return
		}
		if err := models.ValidatePoint(lat, lng); err != nil {
			shared.RespondErr(c, err)
			return
		}
		q.Near = &models.Point{Lat: lat, Lng: lng}
	}
	if k := c.Query("kind"); k != "" {
		if !models.StationKind(k).Valid() {
			shared.RespondErr(c, models.Invalid("kind", "类型只能是代表之家、代表联络站或基层立法联系点"))
			return
		}
		q.Kind = models.StationKind(k)
	}
	if s := c.Query("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100 {
			shared.RespondErr(c, models.Invalid("limit", "每页数量必须在 1 到 100 之间"))
			return
		}
		q.Limit = n
	}
	if s := c.Query("cursor"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			shared.RespondErr(c, models.Invalid("cursor", "翻页参数不正确"))
			return
		}
		q.Offset = n
	}
	items, more, err := models.ListStations(c.Request.Context(), h.DB, q)
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	out := shared.List[models.StationView]{Items: items}
	if more {
		out.NextCursor = strconv.Itoa(q.Offset + len(items))
	}
	c.JSON(http.StatusOK, out)
}

func parseCoord(s string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0, err
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, strconv.ErrSyntax
	}
	return f, nil
}
