package official

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"deputylink/models"
)

// chatProgress lists the voter's latest items with their status, across
// the voter rows linked by the same unionid (official account and
// mini-program).
func (o *oaServer) chatProgress(ctx context.Context, openid string) (oaReply, error) {
	none := textReply("您还没有反映过意见建议。回复“我要反映”即可开始。")
	v, err := models.FindVoterByOAOpenID(ctx, o.h.DB, openid)
	if errors.Is(err, models.ErrVoterNotFound) {
		return none, nil
	}
	if err != nil {
		return oaReply{}, err
	}
	ids := []uint64{v.ID}
	if v.UnionID != nil && *v.UnionID != "" {
		var more []uint64
		if err := o.h.DB.WithContext(ctx).Model(&models.Voter{}).Where("unionid = ? AND id <> ?", *v.UnionID, v.ID).
			Order("id").Limit(10).Pluck("id", &more).Error; err != nil {
			return oaReply{}, err
		}
		ids = append(ids, more...)
	}
	var items []models.OpinionView
	for _, id := range ids {
		got, _, err := models.ListVoterOpinions(ctx, o.h.DB, id, 0, chatProgressMax, o.h.Location)
		if err != nil {
			return oaReply{}, err
		}
		items = append(items, got...)
	}
	if len(items) == 0 {
		return none, nil
	}
	slices.SortFunc(items, func(a, b models.OpinionView) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return cmpUint(b.ID, a.ID)
	})
	items = items[:min(len(items), chatProgressMax)]
	var b strings.Builder
	b.WriteString("您最近反映的意见建议：")
	for i, it := range items {
		fmt.Fprintf(&b, "\n\n%d. %s｜%s\n%s提交｜%s\n%s", i+1, it.TrackingNo, it.StatusLabel,
			models.DateText(it.CreatedAt, o.h.Location), it.CategoryName,
			models.Shorten(strings.Join(strings.Fields(it.Content), " "), 20, "…"))
		if it.Station.Name != "" {
			b.WriteString("\n办理：" + it.Station.Name)
		}
	}
	b.WriteString("\n\n" + o.mpLink(o.myPage(), "查看详情和答复"))
	return textReply(b.String()), nil
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
