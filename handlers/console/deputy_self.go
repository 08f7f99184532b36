package console

import (
	"errors"
	"net/http"

	"deputylink/handlers/shared"
	"deputylink/models"
	"deputylink/models/records"

	"github.com/gin-gonic/gin"
)

// The deputy's own self-assessment (代表自评) for this year's evaluation,
// on their pages: the form of the office's eval_self.html, saved with
// records.SubmitSelfAssessment while the evaluation is open.

// meSelfPath is the deputy's self-assessment page.
const meSelfPath = MePath + "/self"

// meSelfIntro heads the deputy's form.
const meSelfIntro = "请如实填写本年度的履职情况。考评结束前，您可以随时修改。"

// meSelfEvaluation is the year's evaluation the signed-in deputy belongs
// to, with their sheet; ok is false when the page answered already (no
// evaluation this year: the 404 page says so).
func (h *Handlers) meSelfEvaluation(c *gin.Context) (records.Sheet, bool) {
	dep := consoleDeputy(c)
	ctx := c.Request.Context()
	ev, ok, err := records.EvaluationOfDeputy(ctx, h.DB, dep.ID, h.Now().In(h.Location).Year())
	if err == nil && !ok {
		// Not the generic "not found" page: nothing is hidden here.
		_, d := shared.ErrorOf(c, errNoSelfAssessment)
		h.render(c, http.StatusNotFound, tplError, page{Title: "我的自评", Nav: "me", Data: d})
		c.Abort()
		return records.Sheet{}, false
	}
	if err != nil {
		h.renderErr(c, err)
		return records.Sheet{}, false
	}
	sheet, err := records.EvaluationSheet(ctx, h.DB, ev.ID, dep.ID)
	if err != nil {
		h.renderErr(c, err)
		return records.Sheet{}, false
	}
	return sheet, true
}

// errNoSelfAssessment answers a deputy whose congress runs no evaluation
// this year (deputies above the county level, or none created yet).
var errNoSelfAssessment = models.Coded(models.ErrNotFound, "no_evaluation", "今年还没有需要您填写自评的考评")

func (h *Handlers) pageMeSelf(c *gin.Context) {
	sheet, ok := h.meSelfEvaluation(c)
	if !ok {
		return
	}
	text, grade := "", ""
	if sheet.Self != nil {
		text, grade = sheet.Self.Text, sheet.Self.Grade
	}
	h.renderMeSelf(c, http.StatusOK, "", sheet, text, grade, "")
}

func (h *Handlers) renderMeSelf(c *gin.Context, status int, msg string, sheet records.Sheet, text, grade, bad string) {
	open := sheet.Evaluation.Status == models.EvaluationOpen
	if !open && msg == "" {
		msg = "这次考评已经结束，自评不能再修改。"
	}
	f := evalSelfData{Name: sheet.Deputy.Name, EvalTitle: sheet.Evaluation.Title(), Intro: meSelfIntro, Text: text, Grade: grade,
		Action: meSelfPath, BackHref: MePath, BackLabel: "返回我的履职", Grades: records.SelfGrades, Bad: bad, Max: records.MaxSelfAssessment}
	h.render(c, status, tplEvalSelf, page{Title: "我的自评", Nav: "me", Notice: noticeOf(c), Error: msg, Data: f})
}

func (h *Handlers) pageMeSelfSave(c *gin.Context) {
	sheet, ok := h.meSelfEvaluation(c)
	if !ok {
		return
	}
	text, grade := c.PostForm("text"), c.PostForm("grade")
	_, err := records.SubmitSelfAssessment(c.Request.Context(), h.DB, consoleDeputy(c).ID, sheet.Evaluation.ID, text, grade, h.Now())
	if err != nil {
		status, e := shared.ErrorOf(c, err)
		if status == http.StatusNotFound || status >= 500 {
			h.renderErr(c, err)
			return
		}
		var ve *models.ValidationError
		bad := ""
		if errors.As(err, &ve) {
			bad = ve.Field
		}
		h.renderMeSelf(c, status, e.Message, sheet, text, grade, bad)
		return
	}
	seeOther(c, meSelfPath, "已保存您的自评")
}
