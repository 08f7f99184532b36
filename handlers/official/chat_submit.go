package official

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"deputylink/models"
)

func chatSummary(st *chatState) string {
	var b strings.Builder
	b.WriteString("请确认您要反映的内容：\n")
	b.WriteString("类别：" + st.CatName + "\n")
	for _, f := range models.CategoryFieldsOf(st.Category) {
		if v := st.Extra[f.Key]; v != "" {
			b.WriteString(f.Label + "：" + v + "\n")
		}
	}
	if st.Place != "" {
		b.WriteString("地点：" + st.Place + "\n")
	}
	if st.Station != "" {
		b.WriteString("办理单位：" + st.Station + "\n")
	}
	b.WriteString("内容：" + models.Shorten(st.Content, chatSummaryRunes, "…") + "\n\n回复1提交，回复0取消。")
	return b.String()
}

// chatVoter returns the voter of an official-account openid, created (as a
// follower: only followers can send messages) when needed.
func (o *oaServer) chatVoter(ctx context.Context, openid string) (models.Voter, error) {
	v, err := models.FindVoterByOAOpenID(ctx, o.h.DB, openid)
	if !errors.Is(err, models.ErrVoterNotFound) {
		return v, err
	}
	if err := models.SetVoterFollowing(ctx, o.h.DB, openid, true, o.h.Now()); err != nil {
		return models.Voter{}, err
	}
	return models.FindVoterByOAOpenID(ctx, o.h.DB, openid)
}

// chatSubmit files the opinion and ends the conversation.
func (o *oaServer) chatSubmit(ctx context.Context, openid string, st *chatState) (oaReply, error) {
	v, err := o.chatVoter(ctx, openid)
	if err != nil {
		return oaReply{}, err
	}
	in := models.FileInput{
		VoterID: v.ID, Category: st.Category, Content: st.Content, Extra: st.Extra, Code: st.Code,
		CommunityID: st.CommunityID, Lat: st.Lat, Lng: st.Lng,
		Source: models.SourceChat, IdempotencyKey: "chat:" + st.ID,
	}
	op, err := o.h.FileOpinion(ctx, in)
	var ve *models.ValidationError
	var ce *models.CodedError
	switch {
	case errors.As(err, &ve):
		return textReply(chatNotFiled(ve.Msg)), nil
	case errors.As(err, &ce) && !errors.Is(err, models.ErrConflict):
		return textReply(chatNotFiled(ce.Msg)), nil
	case err != nil:
		return oaReply{}, err
	}
	view, err := models.GetVoterOpinion(ctx, o.h.DB, v.ID, op.ID, o.h.Location)
	if err != nil {
		return oaReply{}, err
	}
	if err := o.endChat(ctx, openid); err != nil {
		// Filed: the next "1" would only replay the same filing.
		return oaReply{}, err
	}
	return textReply(fmt.Sprintf("提交成功！\n受理编号：%s\n已转给%s办理，一般2个工作日内受理。\n\n回复“进度”查看办理进度，或%s",
		view.TrackingNo, view.Station.Name, o.mpLink(o.myPage(), "在小程序中查看"))), nil
}

// chatNotFiled says why a filing was refused and how to go on.
func chatNotFiled(why string) string {
	return "提交没有成功：" + strings.TrimRight(why, "。.！!") + "。\n请回复“取消”，再重新开始。"
}
