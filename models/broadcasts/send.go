package broadcasts

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"deputylink/models"

	"gorm.io/gorm"
)

// Sending: an article goes out at once, to the active deputies of its
// audience, in one transaction with its recipient rows and their notices.

// Limits of an article.
const (
	titleMin = 2
	titleMax = 100
	bodyMax  = 20000
	placeMax = 100
	// MaxStations is how many stations one article may be sent to (the
	// rest of the county is "all").
	MaxStations = 50
)

// AuditSend is the audit action of a sent broadcast.
const AuditSend = "broadcast.send"

// Create sends an article at once: in one transaction it writes the
// broadcast, one recipient row per active deputy of the audience, and a
// template notice through the outbox (models.QueueBroadcastNotices) for
// each bound deputy under the weekly cap. A validation error names the
// field; nothing is written on any error.
func Create(ctx context.Context, db *gorm.DB, sc models.ManageScope, in NewBroadcast, cfg models.NotifyConfig, now time.Time) (Sent, error) {
	if !sc.All && sc.Township == "" {
		return Sent{}, models.ErrManageForbidden
	}
	b, err := in.normalize(sc, now)
	if err != nil {
		return Sent{}, err
	}
	var sent Sent
	err = models.RunTx(ctx, db, func(tx *gorm.DB) error {
		sent = Sent{}
		ids, err := audienceIDs(ctx, tx, sc, &b)
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			return ErrNoRecipients
		}
		// Lock the recipients in id order: a second article sent to some of
		// them at once waits here, then counts this one against the cap.
		var deps []models.Deputy
		for chunk := range slices.Chunk(ids, 500) {
			var part []models.Deputy
			if err := models.LockingUpdate(tx).Select("id", "oa_openid").Where("id IN ?", chunk).Order("id").Find(&part).Error; err != nil {
				return models.Translate(err)
			}
			deps = append(deps, part...)
		}
		b.ID = 0
		b.CreatedByStaffID = sc.Actor.ID
		b.SentAt = ptr(now.UTC())
		b.CreatedAt, b.UpdatedAt = now.UTC(), now.UTC()
		if err := tx.Create(&b).Error; err != nil {
			return models.Translate(err)
		}
		outcome, err := models.QueueBroadcastNotices(ctx, tx, b, deps, cfg, now)
		if err != nil {
			return err
		}
		rows := make([]models.BroadcastRecipient, len(deps))
		for i, d := range deps {
			rows[i] = models.BroadcastRecipient{BroadcastID: b.ID, DeputyID: d.ID}
			switch outcome[d.ID] {
			case models.NoticeQueued:
				rows[i].NotifiedAt = ptr(now.UTC())
				sent.Notified++
			case models.NoticeCapped:
				rows[i].Capped = true
				sent.Capped++
			case models.NoticeUnbound:
				sent.Unbound++
			}
		}
		if err := tx.CreateInBatches(rows, 200).Error; err != nil {
			return models.Translate(err)
		}
		sent.Broadcast, sent.Recipients = b, len(rows)
		note := models.Shorten(b.Kind.Label()+"：《"+b.Title+"》，发送"+strconv.Itoa(len(rows))+"位代表", 1000, "…")
		return models.Audit(ctx, tx, now, sc.Actor, AuditSend, "broadcast", b.ID, "", "", note)
	})
	if err != nil {
		return Sent{}, err
	}
	return sent, nil
}

// normalize cleans the input and checks what needs no database; the
// broadcast it returns has no id or recipients yet.
func (in NewBroadcast) normalize(sc models.ManageScope, now time.Time) (models.Broadcast, error) {
	b := models.Broadcast{
		Kind: in.Kind, Title: models.CleanLine(in.Title), Body: models.CleanText(in.Body),
		Audience: in.Audience, Township: sc.Township,
	}
	if sc.All {
		b.Township = ""
	}
	switch b.Kind {
	case models.BroadcastNews, models.BroadcastLaw, models.BroadcastTraining:
	default:
		return b, models.Invalid("kind", "请选择类别：工作动态、法律知识或培训通知")
	}
	if n := utf8.RuneCountInString(b.Title); n < titleMin || n > titleMax {
		return b, models.Invalid("title", "标题应为2至100个字")
	}
	if b.Body == "" {
		return b, models.Invalid("body", "请填写正文")
	}
	if utf8.RuneCountInString(b.Body) > bodyMax {
		return b, models.Invalid("body", "正文不能超过20000字，较长的材料请作为附件上传")
	}
	if a := in.Attachment; a != nil {
		name := models.CleanFileName(a.Name)
		switch {
		case a.Kind != models.ReplyFilePDF && a.Kind != models.ReplyFilePhoto:
			return b, models.Invalid("attachment", "附件只能是PDF文件或图片")
		case name == "" || a.Size <= 0 || !strings.HasPrefix(a.Path, AttachmentDir+"/") || strings.Contains(a.Path, "..") || len(a.Path) > 255:
			return b, models.Invalid("attachment", "附件没有保存成功，请重新上传")
		}
		b.AttachmentPath, b.AttachmentName, b.AttachmentSize = a.Path, models.Shorten(name, 100, ""), a.Size
	}
	if b.Kind == models.BroadcastTraining {
		place := models.CleanLine(in.SessionPlace)
		until := in.SignupUntil
		if until.IsZero() {
			until = in.SessionAt
		}
		switch {
		case in.SessionAt.IsZero():
			return b, models.Invalid("session_at", "请填写培训时间")
		case !in.SessionAt.After(now):
			return b, models.Invalid("session_at", "培训时间应晚于现在")
		case place == "":
			return b, models.Invalid("session_place", "请填写培训地点")
		case utf8.RuneCountInString(place) > placeMax:
			return b, models.Invalid("session_place", "培训地点不能超过100个字")
		case !until.After(now):
			return b, models.Invalid("signup_until", "报名截止时间应晚于现在")
		case until.After(in.SessionAt):
			return b, models.Invalid("signup_until", "报名截止时间不能晚于培训开始时间")
		}
		b.SessionAt, b.SessionPlace, b.SignupUntil = ptr(in.SessionAt.UTC()), place, ptr(until.UTC())
	}
	switch b.Audience {
	case models.AudienceAll:
	case models.AudienceGroup:
		if !models.ValidID(in.GroupID) {
			return b, models.Invalid("group_id", "请选择代表小组")
		}
		b.AudienceIDs = strconv.FormatUint(in.GroupID, 10)
	case models.AudienceStations:
		ids := models.UniqueIDs(in.StationIDs)
		switch {
		case len(ids) == 0:
			return b, models.Invalid("station_ids", "请选择联络站")
		case len(ids) > MaxStations:
			return b, models.Invalid("station_ids", "一次最多选择50个联络站，发给更多代表请选择“全体代表”")
		}
		parts := make([]string, len(ids))
		for i, id := range ids {
			if !models.ValidID(id) {
				return b, models.Invalid("station_ids", "请选择联络站")
			}
			parts[i] = strconv.FormatUint(id, 10)
		}
		b.AudienceIDs = strings.Join(parts, ",")
	default:
		return b, models.Invalid("audience", "请选择发送对象：全体代表、代表小组或联络站")
	}
	return b, nil
}

// audienceIDs are the ids of the active deputies b goes to, in id order,
// checked against the scope.
func audienceIDs(ctx context.Context, tx *gorm.DB, sc models.ManageScope, b *models.Broadcast) ([]uint64, error) {
	active := tx.Table("deputies").Where("deputies.status = ?", models.DeputyActive)
	switch b.Audience {
	case models.AudienceGroup:
		gid, _ := strconv.ParseUint(b.AudienceIDs, 10, 64)
		g, err := models.GetGroup(ctx, tx, sc, gid)
		if errors.Is(err, models.ErrGroupNotFound) {
			return nil, models.Invalid("group_id", "没有找到这个代表小组，请重新选择")
		}
		if err != nil {
			return nil, err
		}
		var ids []uint64
		for _, m := range g.Members {
			if m.Status == models.DeputyActive {
				ids = append(ids, m.ID)
			}
		}
		slices.Sort(ids)
		return ids, nil
	case models.AudienceStations:
		ids := splitIDs(b.AudienceIDs)
		var sts []models.Station
		if err := tx.Where("id IN ?", ids).Find(&sts).Error; err != nil {
			return nil, models.Translate(err)
		}
		if len(sts) != len(ids) {
			return nil, models.Invalid("station_ids", "所选联络站不存在，请重新选择")
		}
		for _, st := range sts {
			if !sc.AllowsStation(st) {
				return nil, models.Invalid("station_ids", "只能选择本乡镇（街道）的联络站")
			}
		}
		active = active.Where("deputies.station_id IN ? OR deputies.id IN (?)", ids,
			tx.Table("deputy_stations").Select("deputy_id").Where("station_id IN ?", ids))
	default:
		active = inScope(tx, active, sc)
	}
	var ids []uint64
	if err := active.Order("deputies.id").Pluck("deputies.id", &ids).Error; err != nil {
		return nil, models.Translate(err)
	}
	return ids, nil
}

// inScope keeps the deputies of a township office's scope: those who serve
// in its township (their primary station or another of their stations lies
// in it), of any level, as its deputy groups hold them; the county office
// keeps everyone.
func inScope(tx, q *gorm.DB, sc models.ManageScope) *gorm.DB {
	if sc.All {
		return q
	}
	inTown := tx.Table("stations").Select("id").Where("district = ?", sc.Township)
	return q.Where("deputies.station_id IN (?) OR deputies.id IN (?)", inTown,
		tx.Table("deputy_stations").Select("deputy_id").Where("station_id IN (?)", inTown))
}

// splitIDs reads AudienceIDs.
func splitIDs(s string) []uint64 {
	var out []uint64
	for _, p := range strings.Split(s, ",") {
		if id, err := strconv.ParseUint(p, 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out
}

func ptr[T any](v T) *T { return &v }
