package models

// Chinese words for the codes that end up in what people read: route rules
// in routing reasons and audit notes, how staff were told, where an
// opinion came from, rating stages (scores: ScoreLabel). Text a person reads names
// things by these, never by the code.

// RuleLabel is the Chinese name of a route rule (Rule*), e.g. "扫描代表二维码".
func RuleLabel(rule string) string {
	switch rule {
	case RuleCodeDeputy:
		return "扫描代表二维码"
	case RuleCodeRetiredDeputy:
		return "扫描已离任代表的二维码"
	case RuleCodeStation:
		return "扫描联络站二维码"
	case RuleCategory:
		return "按意见类别分派"
	case RuleChosenStation:
		return "群众选择的联络站"
	case RuleCommunity:
		return "所在村（社区）的联络站"
	case RuleNearest:
		return "距离最近的联络站"
	case RuleOffice:
		return "人大常委会办公室统一受理"
	case RuleStaffReassign:
		return "工作人员改派"
	case RuleStaffEntry:
		return "联络站工作人员登记"
	}
	return "其他方式"
}

// viaText says, for an audit note, who was told of an event (Via*); want
// is who should have been, e.g. "站长", so a fallback reads as one.
func viaText(via, want string) string {
	switch via {
	case ViaHandler:
		return "已通知承办人"
	case ViaStation:
		return "已通知联络站工作人员"
	case ViaHead:
		return "已通知站长"
	case ViaAdmins:
		if want == "" || want == "管理员" {
			return "已通知管理员"
		}
		return want + "未绑定微信，已通知管理员"
	case ViaVoter:
		return "已通知群众"
	}
	return "无人绑定微信，仅在控制台提示"
}

// sourceLabel names where an opinion was filed (Source*).
func sourceLabel(source string) string {
	switch source {
	case SourceMiniProgram:
		return "小程序"
	case SourceChat:
		return "公众号"
	case SourceLetter:
		return "来信"
	case SourceMailbox:
		return "意见箱"
	case SourcePhone:
		return "电话"
	case SourceReception:
		return "接待日现场"
	case SourceVisit:
		return "入户走访"
	}
	return "其他渠道"
}

// SourceLabel is sourceLabel for the pages: "来信", "小程序", ….
func SourceLabel(source string) string { return sourceLabel(source) }

// ResultLabel names a score given to "解决了吗？" (stage result): the same
// scores as the reply's, in that question's words.
func ResultLabel(score string) string {
	switch score {
	case ScoreSatisfied:
		return "解决了"
	case ScoreBasically:
		return "部分解决"
	case ScoreUnsatisfied:
		return "没解决"
	}
	return score
}

// StageScoreLabel names a score in the words of its stage's question.
func StageScoreLabel(stage, score string) string {
	if stage == StageResult {
		return ResultLabel(score)
	}
	return ScoreLabel(score)
}

// stageLabel names a rating stage (Stage*).
func stageLabel(stage string) string {
	switch stage {
	case StageReply:
		return "答复"
	case StageResult:
		return "办理结果"
	}
	return "办理"
}
