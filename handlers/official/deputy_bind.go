package official

import (
	"context"
	"errors"
	"fmt"

	"deputylink/models"
)

// oaDeputyBoundText is the reply to a deputy's successful binding.
const oaDeputyBoundText = "%s代表，您已绑定本公众号。\n今后可在公众号菜单“代表履职”中查看您的履职档案、登记履职活动；接待日签到、工作提醒也会通过本公众号送达。"

// bindDeputy binds the scanner to the deputy a deputy invite was made for
// (models.BindDeputyInvite) and answers in Chinese. A rescan of the same
// invite by the deputy it bound confirms again; any refusal says why.
func (o *oaServer) bindDeputy(ctx context.Context, m *oaMsg, code string) (oaReply, error) {
	dep, err := models.BindDeputyInvite(ctx, o.h.DB, code, m.FromUserName, o.h.Now())
	if errors.Is(err, models.ErrInviteUsed) {
		if c, e1 := models.FindCode(ctx, o.h.DB, code); e1 == nil {
			if d, e2 := models.ActiveDeputyByOAOpenID(ctx, o.h.DB, m.FromUserName); e2 == nil && d.ID == c.TargetID {
				dep, err = d, nil
			}
		}
	}
	if err != nil {
		var ce *models.CodedError
		var ve *models.ValidationError
		switch {
		case errors.As(err, &ce):
			return textReply("绑定没有成功：" + ce.Msg), nil
		case errors.As(err, &ve):
			return textReply("绑定没有成功：" + ve.Msg), nil
		}
		return oaReply{}, err
	}
	return textReply(fmt.Sprintf(oaDeputyBoundText, dep.Name)), nil
}
