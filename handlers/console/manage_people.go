package console

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"deputylink/handlers/shared"
	"deputylink/models"
	"deputylink/wechat"

	"github.com/gin-gonic/gin"
)

// The management of staff and invites (docs/ARCHITECTURE.md#roles): the
// county office (admin) manages everyone; a township user the clerks and
// heads of its own township's stations (models.ListManagedStaff). A new
// member gets a one-time invite whose temporary official-account QR code
// is shown on screen for them to scan; a console password is optional.
// Every change is audited by the models.

// The staff pages' templates.
const (
	tplManageStaff    = "manage_staff.html"
	tplManageStaffOne = "manage_staff_one.html"
)

// Where the staff pages live.
const manageStaffPath = pagesBase + "/manage/staff"

// managePeoplePages registers the management of staff and invites, codes
// and boards, and the notification outbox.
func (h *Handlers) managePeoplePages(manage *gin.RouterGroup) {
	manage.GET("/staff", h.manageStaffPage)
	manage.POST("/staff", h.manageStaffCreate)
	manage.GET("/staff/:id", h.manageStaffOnePage)
	manage.POST("/staff/:id/invite", h.manageStaffReinvite)
	manage.POST("/staff/:id/deactivate", h.manageStaffActive(false))
	manage.POST("/staff/:id/reactivate", h.manageStaffActive(true))
	manage.POST("/staff/:id/unbind", h.manageStaffUnbind)
	manage.POST("/staff/:id/password", h.manageStaffPassword)
	manage.POST("/staff/:id/password/clear", h.manageStaffPasswordClear)
	h.manageCodePages(manage)
	h.manageOutboxPages(manage)
}

// StaffPagePath is the address of a staff member's management page.
func StaffPagePath(id uint64) string { return manageStaffPath + "/" + strconv.FormatUint(id, 10) }

// stationOption is a station in a picker, grouped by township.
type stationOption struct {
	Value, Label, District string
	Checked                bool
}

// staffListData is what the staff list shows.
type staffListData struct {
	Rows []models.StaffRow
	// The filter.
	Q, Role, Station string
	Inactive         bool
	// All is the county office (may create township users and admins).
	All       bool
	Roles     []option
	NewRoles  []option
	Stations  []stationOption
	Districts []option
	// Form holds what was typed into the create form after a refusal;
	// Open keeps the form open.
	Form map[string]string
	Open bool
}

var staffFormFields = []string{"name", "role", "township", "days"}

func (h *Handlers) manageStaffPage(c *gin.Context) {
	h.showStaffList(c, http.StatusOK, page{Notice: noticeOf(c)}, map[string]string{}, nil)
}

// showStaffList renders the list and the create form (form and picked are
// what was typed, after a refused create).
func (h *Handlers) showStaffList(c *gin.Context, status int, p page, form map[string]string, picked map[string]bool) {
	ctx := c.Request.Context()
	sc := manageScope(c)
	d := staffListData{Q: strings.TrimSpace(c.Query("q")), Role: c.Query("role"), Station: c.Query("station_id"),
		Inactive: c.Query("inactive") == "1", All: sc.All, Form: form, Open: p.Error != ""}
	f := models.StaffFilter{Q: d.Q, Role: models.StaffRole(d.Role), Inactive: d.Inactive}
	if !f.Role.Valid() {
		f.Role, d.Role = "", ""
	}
	if id, ok := models.ParseID(d.Station); ok {
		f.StationID = id
	} else {
		d.Station = ""
	}
	rows, err := models.ListManagedStaff(ctx, h.DB, sc, f, h.Now())
	if err != nil {
		h.renderErr(c, err)
		return
	}
	d.Rows = rows
	stations, err := models.ScopeStations(ctx, h.DB, sc)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	for _, st := range stations {
		v := strconv.FormatUint(st.ID, 10)
		d.Stations = append(d.Stations, stationOption{Value: v, Label: st.Name, District: st.District, Checked: picked[v]})
	}
	d.Roles = []option{{"", "全部角色"}}
	roles := []models.StaffRole{models.RoleClerk, models.RoleHead}
	if sc.All {
		roles = append(roles, models.RoleTownship, models.RoleAdmin)
		districts, err := models.Districts(ctx, h.DB)
		if err != nil {
			h.renderErr(c, err)
			return
		}
		for _, dn := range districts {
			d.Districts = append(d.Districts, option{dn, dn})
		}
	}
	for _, r := range roles {
		d.Roles = append(d.Roles, option{string(r), r.Label()})
		d.NewRoles = append(d.NewRoles, option{string(r), r.Label()})
	}
	if form["role"] == "" {
		form["role"] = string(models.RoleClerk)
	}
	if form["days"] == "" {
		form["days"] = "7"
	}
	p.Title, p.Nav, p.Data = "工作人员", "manage", d
	h.render(c, status, tplManageStaff, p)
}

// manageStaffCreate creates a member with an invite and shows their page,
// with the invite's QR code to scan.
func (h *Handlers) manageStaffCreate(c *gin.Context) {
	ctx := c.Request.Context()
	form := map[string]string{}
	for _, k := range staffFormFields {
		form[k] = c.PostForm(k)
	}
	picked := map[string]bool{}
	var ids []uint64
	var bad error
	for _, s := range c.PostFormArray("station_ids") {
		id, ok := models.ParseID(s)
		if !ok {
			bad = models.Invalid("station_ids", "所选的联络站不存在")
			continue
		}
		picked[s] = true
		ids = append(ids, id)
	}
	ttl, err := inviteDays(form["days"])
	if bad == nil {
		bad = err
	}
	var s models.Staff
	var code models.Code
	err = bad
	if err == nil {
		s, code, err = models.InviteStaff(ctx, h.DB, manageScope(c), models.NewStaff{
			Name: form["name"], Role: models.StaffRole(form["role"]), StationIDs: ids, Township: form["township"], TTL: ttl,
		}, h.Now())
	}
	if err != nil {
		h.refusedForm(c, err, func(status int, msg string) {
			h.showStaffList(c, status, page{Error: msg}, form, picked)
		})
		return
	}
	notice := "已添加" + s.Name + "，请本人用微信扫描下方的邀请二维码"
	if _, err := h.inviteQR(ctx, code.Code, *code.ExpiresAt); err != nil {
		shared.Logger(c).WarnContext(ctx, "Invite QR code failed", "staff", s.ID, "err", err)
		notice = "已添加" + s.Name + "，但邀请二维码暂时无法生成"
	}
	seeOther(c, StaffPagePath(s.ID), notice)
}

// refusedForm answers a refused form post: the form again with the Chinese
// message (a missing or out-of-scope record as a bad choice), or the error
// page for a failure that is not the user's.
func (h *Handlers) refusedForm(c *gin.Context, err error, show func(status int, msg string)) {
	status, d := shared.ErrorOf(c, err)
	if status >= 500 || errors.Is(err, errCSRF) {
		h.renderErr(c, err)
		return
	}
	if status == http.StatusNotFound {
		status = http.StatusBadRequest
	}
	show(status, d.Message)
}

// inviteDays reads the invite's validity in days (1–30).
func inviteDays(s string) (time.Duration, error) {
	if s == "" {
		return models.DefaultInviteTTL, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 || n > 30 {
		return 0, models.Invalid("days", "邀请有效期应为1到30天")
	}
	return time.Duration(n) * 24 * time.Hour, nil
}

// inviteQR makes the temporary official-account QR code of an invite (its
// scene is the invite code, as the official account's bindStaff expects),
// living as long as the invite, and keeps its content on the invite.
func (h *Handlers) inviteQR(ctx context.Context, code string, expires time.Time) (string, error) {
	if h.WebAuth == nil {
		return "", errNoWebAuth
	}
	life := min(expires.Sub(h.Now()).Round(time.Second), wechat.MaxQRExpire)
	t, err := h.WebAuth.QRTicket(ctx, code, max(life, time.Second), false)
	if err != nil {
		return "", err
	}
	if t.URL == "" {
		return "", errors.New("invite QR: WeChat returned no url")
	}
	if err := models.SetInviteQR(ctx, h.DB, code, t.URL); err != nil {
		return "", err
	}
	return t.URL, nil
}

// staffOneData is what a member's page shows.
type staffOneData struct {
	S models.StaffRow
	// QR is the pending invite's QR code; QRNote says why there is none.
	QR      template.URL
	QRNote  string
	Expires string
	// Self is the signed-in member's own page (no deactivation).
	Self bool
	// Username is what was typed into the login form after a refusal.
	Username string
}

func (h *Handlers) manageStaffOnePage(c *gin.Context) {
	id, ok := h.pageID(c, "id")
	if !ok {
		return
	}
	h.showStaffOne(c, id, http.StatusOK, page{Notice: noticeOf(c)}, "")
}

func (h *Handlers) showStaffOne(c *gin.Context, id uint64, status int, p page, username string) {
	ctx := c.Request.Context()
	s, err := models.GetManagedStaff(ctx, h.DB, manageScope(c), id, h.Now())
	if err != nil {
		h.renderErr(c, err)
		return
	}
	d := staffOneData{S: s, Self: consoleStaff(c).ID == s.ID, Username: username}
	if inv := s.Invite; inv != nil && s.Active {
		d.Expires = h.localTime(inv.ExpiresAt)
		qr := inv.QRURL
		if qr == "" {
			qr, err = h.inviteQR(ctx, inv.Code, inv.ExpiresAt)
			if err != nil {
				shared.Logger(c).WarnContext(ctx, "Invite QR code failed", "staff", s.ID, "err", err)
			}
		}
		if qr != "" {
			d.QR, err = screenQR(qr)
		}
		if d.QR == "" || err != nil {
			d.QR, d.QRNote = "", "邀请二维码暂时无法生成（公众号不可用），请稍后刷新本页，或为其设置控制台密码。"
		}
	}
	p.Title, p.Nav, p.Data = s.Name, "manage", d
	h.render(c, status, tplManageStaffOne, p)
}

// staffAction runs a member action and answers with their page and a notice.
func (h *Handlers) staffAction(c *gin.Context, run func(ctx context.Context, id uint64) (string, error)) {
	id, ok := h.pageID(c, "id")
	if !ok {
		return
	}
	notice, err := run(c.Request.Context(), id)
	if err != nil {
		if errors.Is(err, models.ErrNotFound) {
			h.renderErr(c, err)
			return
		}
		h.refusedForm(c, err, func(status int, msg string) {
			h.showStaffOne(c, id, status, page{Error: msg}, c.PostForm("username"))
		})
		return
	}
	seeOther(c, StaffPagePath(id), notice)
}

func (h *Handlers) manageStaffReinvite(c *gin.Context) {
	h.staffAction(c, func(ctx context.Context, id uint64) (string, error) {
		ttl, err := inviteDays(c.PostForm("days"))
		if err != nil {
			return "", err
		}
		code, err := models.ReissueStaffInvite(ctx, h.DB, manageScope(c), id, ttl, h.Now())
		if err != nil {
			return "", err
		}
		if _, err := h.inviteQR(ctx, code.Code, *code.ExpiresAt); err != nil {
			shared.Logger(c).WarnContext(ctx, "Invite QR code failed", "staff", id, "err", err)
			return "已重新生成邀请，但二维码暂时无法生成", nil
		}
		return "已重新生成邀请二维码，旧的邀请已作废", nil
	})
}

func (h *Handlers) manageStaffActive(active bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		h.staffAction(c, func(ctx context.Context, id uint64) (string, error) {
			if err := models.SetStaffActive(ctx, h.DB, manageScope(c), id, active, h.Now()); err != nil {
				return "", err
			}
			if active {
				return "已启用", nil
			}
			return "已停用，此人不能再登录工作台", nil
		})
	}
}

func (h *Handlers) manageStaffUnbind(c *gin.Context) {
	h.staffAction(c, func(ctx context.Context, id uint64) (string, error) {
		return "已解除微信绑定", models.UnbindStaffWeChat(ctx, h.DB, manageScope(c), id, h.Now())
	})
}

func (h *Handlers) manageStaffPassword(c *gin.Context) {
	h.staffAction(c, func(ctx context.Context, id uint64) (string, error) {
		if pw, again := c.PostForm("password"), c.PostForm("password2"); pw != again {
			return "", models.Invalid("password2", "两次输入的密码不一致")
		}
		err := models.SetManagedStaffLogin(ctx, h.DB, manageScope(c), id, c.PostForm("username"), c.PostForm("password"), h.Now())
		return "已设置控制台密码", err
	})
}

func (h *Handlers) manageStaffPasswordClear(c *gin.Context) {
	h.staffAction(c, func(ctx context.Context, id uint64) (string, error) {
		return "已清除控制台密码，此人只能用微信登录", models.ClearStaffPassword(ctx, h.DB, manageScope(c), id, h.Now())
	})
}
