package console

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"time"

	"deputylink/handlers/shared"
	"deputylink/models"
	"deputylink/wechat"

	"github.com/gin-gonic/gin"
)

// The county office's page of department contacts: who of each department
// is bound, an invite QR code on screen for a new contact (scanned with
// WeChat, it binds them: deptInviteScan), and removing a contact. Admins
// only: departments are the county's.

// errDeptAdminOnly refuses the contacts page to anyone but the county office.
var errDeptAdminOnly = models.Coded(models.ErrForbidden, "admin_only", "只有人大常委会办公室的管理员可以管理承办部门联系人")

// deptContactsData is the contacts page.
type deptContactsData struct {
	Departments []option
	Groups      []deptContactGroup
	Form        map[string]string
}

type deptContactGroup struct {
	Department string
	Contacts   []deptContactRow
}

type deptContactRow struct {
	ID          uint64
	Name, Since string
	Bound       bool
}

// deptInviteData is the page that shows a new invite's QR code.
type deptInviteData struct {
	Name, Department, Expires string
	QR                        template.URL
}

func (h *Handlers) requireAdminPage(c *gin.Context) bool {
	if consoleStaff(c).Role != models.RoleAdmin {
		h.renderErr(c, errDeptAdminOnly)
		return false
	}
	return true
}

func (h *Handlers) pageDeptContacts(c *gin.Context) {
	if !h.requireAdminPage(c) {
		return
	}
	h.showDeptContacts(c, http.StatusOK, page{Notice: noticeOf(c)}, map[string]string{"department_id": c.Query("department_id")})
}

func (h *Handlers) showDeptContacts(c *gin.Context, status int, p page, form map[string]string) {
	ctx := c.Request.Context()
	depts, err := models.ListDepartments(ctx, h.DB)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	contacts, err := models.ListDepartmentContacts(ctx, h.DB, 0)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	d := deptContactsData{Form: form}
	for _, x := range depts {
		d.Departments = append(d.Departments, option{strconv.FormatUint(x.ID, 10), x.Name})
		g := deptContactGroup{Department: x.Name}
		for _, ct := range contacts {
			if ct.DepartmentID == x.ID {
				g.Contacts = append(g.Contacts, deptContactRow{ID: ct.ID, Name: ct.Name, Bound: ct.Bound,
					Since: models.DateText(ct.CreatedAt, h.Location)})
			}
		}
		d.Groups = append(d.Groups, g)
	}
	p.Title, p.Nav, p.Data = "承办部门联系人", "manage", d
	h.render(c, status, tplDeptContacts, p)
}

// pageDeptInvite creates a contact and their invite and shows its QR code.
// Without the official account no invite is made.
func (h *Handlers) pageDeptInvite(c *gin.Context) {
	if !h.requireAdminPage(c) {
		return
	}
	ctx := c.Request.Context()
	form := map[string]string{"department_id": c.PostForm("department_id"), "name": c.PostForm("name")}
	refuse := func(err error) {
		status, d := shared.ErrorOf(c, err)
		if status >= 500 && !errors.Is(err, errNoInviteQR) || errors.Is(err, errCSRF) {
			h.renderErr(c, err)
			return
		}
		h.showDeptContacts(c, status, page{Error: d.Message}, form)
	}
	deptID, ok := models.ParseID(form["department_id"])
	if !ok {
		refuse(models.Invalid("department_id", "请选择承办单位"))
		return
	}
	if h.WebAuth == nil {
		refuse(errNoInviteQR)
		return
	}
	now := h.Now()
	staff, code, err := models.CreateDepartmentInvite(ctx, h.DB, staffActor(consoleStaff(c)), deptID, form["name"], deptInviteTTL, now)
	if err != nil {
		refuse(err)
		return
	}
	qr, err := h.deptInviteQR(ctx, code, now)
	if err != nil {
		if cerr := models.CancelStaffInvite(context.WithoutCancel(ctx), h.DB, code.Code, now); cerr != nil {
			shared.Logger(c).ErrorContext(ctx, "Withdrawing a department invite failed", "staff_id", staff.ID, "err", cerr)
		}
		refuse(errNoInviteQR)
		return
	}
	dept := ""
	if depts, err := models.ListDepartments(ctx, h.DB); err == nil {
		for _, d := range depts {
			if d.ID == deptID {
				dept = d.Name
			}
		}
	}
	h.render(c, http.StatusOK, tplDeptInvite, page{Title: "邀请承办部门联系人", Nav: "manage",
		Notice: "已生成邀请二维码", Data: deptInviteData{Name: staff.Name, Department: dept, QR: qr,
			Expires: models.DateTimeText(*code.ExpiresAt, h.Location)}})
}

// errNoInviteQR answers an invite when the official account cannot make
// its QR code.
var errNoInviteQR = models.Coded(shared.ErrUnavailable, "wechat_unavailable", "公众号暂时不可用，无法生成邀请二维码，请稍后再试")

// deptInviteQR makes the invite's temporary QR code (scene "dept:<code>"),
// living as long as the invite.
func (h *Handlers) deptInviteQR(ctx context.Context, code models.Code, now time.Time) (template.URL, error) {
	expire := min(code.ExpiresAt.Sub(now).Round(time.Second), wechat.MaxQRExpire)
	t, err := h.WebAuth.QRTicket(ctx, deptScenePrefix+code.Code, max(expire, time.Second), false)
	if err != nil {
		return "", err
	}
	return screenQR(t.URL)
}

func (h *Handlers) pageDeptDeactivate(c *gin.Context) {
	if !h.requireAdminPage(c) {
		return
	}
	id, ok := models.ParseID(c.Param("id"))
	if !ok {
		h.renderErr(c, models.ErrDepartmentContactNotFound)
		return
	}
	if err := models.DeactivateDepartmentContact(c.Request.Context(), h.DB, staffActor(consoleStaff(c)), id, h.Now()); err != nil {
		h.renderErr(c, err)
		return
	}
	seeOther(c, deptContactsPath, "已移除联系人")
}

// deptInviteScan binds the scanner of a department invite's QR code and
// tells them what they can do now.
func (h *Handlers) deptInviteScan(ctx context.Context, openid, rest string) (string, error) {
	staff, dept, err := models.BindDepartmentInvite(ctx, h.DB, rest, openid, h.Now())
	if errors.Is(err, models.ErrInviteUsed) {
		// A rescan by the person already bound: confirm again.
		if s, e := models.ActiveStaffByOAOpenID(ctx, h.DB, openid); e == nil && models.IsDepartmentContact(s) {
			return fmt.Sprintf("%s，您已绑定为承办部门联系人。转办给贵单位的群众意见会通过本公众号提醒您。", s.Name), nil
		}
	}
	if err != nil {
		var ce *models.CodedError
		var ve *models.ValidationError
		switch {
		case errors.As(err, &ce):
			return "绑定没有成功：" + ce.Msg, nil
		case errors.As(err, &ve):
			return "绑定没有成功：" + ve.Msg, nil
		}
		return "", err
	}
	return fmt.Sprintf("绑定成功！\n%s，您已绑定为%s的联系人。\n转办给贵单位的群众意见会通过本公众号提醒您，点开提醒即可查看和答复。",
		staff.Name, dept.Name), nil
}
