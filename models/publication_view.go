package models

import (
	"context"
	"math"
	"strconv"
	"time"

	"gorm.io/gorm"
)

// PublicResult is a published summary as anyone may read it: the staff's
// text, the station, category and dates, and the approved photos. It holds
// nothing that identifies the person behind the item (no voter id, name,
// phone, place or tracking number).
type PublicResult struct {
	ID          uint64        `json:"id"`
	Station     NameRef       `json:"station"`
	Category    NameRef       `json:"category"`
	Summary     string        `json:"summary"`
	Result      string        `json:"result"`
	FiledOn     string        `json:"filed_on"`
	ClosedOn    string        `json:"closed_on"`
	WorkingDays int           `json:"working_days"`
	PublishedOn string        `json:"published_on"`
	Photos      []ResultPhoto `json:"photos"`
}

// ResultPhoto is an approved photo of a published result.
type ResultPhoto struct {
	ID  uint64 `json:"id"`
	URL string `json:"url"`
}

// PublicResultPhotoPath is the public address of a result's photo (served
// by the mini-program API only while the result is published).
func PublicResultPhotoPath(id, photoID uint64) string {
	return "/api/v1/results/" + strconv.FormatUint(id, 10) + "/photos/" + strconv.FormatUint(photoID, 10)
}

// PublicResultQuery filters the published results; BeforeID pages
// (results with a smaller id), Limit defaults to 20.
type PublicResultQuery struct {
	StationID, CategoryID, BeforeID uint64
	Limit                           int
}

// ListPublicResults lists the published results, newest first (by first
// publication), and the BeforeID of the next page (0 on the last).
func ListPublicResults(ctx context.Context, db *gorm.DB, q PublicResultQuery, loc *time.Location) ([]PublicResult, uint64, error) {
	if q.Limit <= 0 {
		q.Limit = 20
	}
	tx := db.WithContext(ctx).Where("withdrawn_at IS NULL")
	if q.StationID != 0 {
		tx = tx.Where("station_id = ?", q.StationID)
	}
	if q.CategoryID != 0 {
		tx = tx.Where("category_id = ?", q.CategoryID)
	}
	if q.BeforeID != 0 {
		tx = tx.Where("id < ?", q.BeforeID)
	}
	var rows []OpinionPublication
	if err := tx.Order("id DESC").Limit(q.Limit + 1).Find(&rows).Error; err != nil {
		return nil, 0, translate(err)
	}
	var next uint64
	if len(rows) > q.Limit {
		rows = rows[:q.Limit]
		next = rows[len(rows)-1].ID
	}
	out, err := publicResults(db.WithContext(ctx), rows, loc)
	return out, next, err
}

// GetPublicResult loads published result id; a withdrawn or unknown one is
// ErrResultNotFound.
func GetPublicResult(ctx context.Context, db *gorm.DB, id uint64, loc *time.Location) (PublicResult, error) {
	p, err := livePublication(db.WithContext(ctx), id)
	if err != nil {
		return PublicResult{}, err
	}
	out, err := publicResults(db.WithContext(ctx), []OpinionPublication{p}, loc)
	if err != nil {
		return PublicResult{}, err
	}
	return out[0], nil
}

// PublicResultPhoto returns photo photoID of published result id as an
// Upload to serve: only a photo approved for it, only while it is
// published; anything else is ErrResultPhotoAbsent.
func PublicResultPhoto(ctx context.Context, db *gorm.DB, id, photoID uint64) (Upload, error) {
	db = db.WithContext(ctx)
	p, err := livePublication(db, id)
	if err != nil {
		return Upload{}, ErrResultPhotoAbsent
	}
	approved := false
	for _, x := range p.Photos() {
		approved = approved || x == photoID
	}
	if !approved {
		return Upload{}, ErrResultPhotoAbsent
	}
	var ph OpinionPhoto
	if err := db.Where("id = ? AND opinion_id = ?", photoID, p.OpinionID).First(&ph).Error; err != nil {
		return Upload{}, notFoundAs(err, ErrResultPhotoAbsent)
	}
	return photoUpload(db, ph)
}

func livePublication(db *gorm.DB, id uint64) (OpinionPublication, error) {
	var p OpinionPublication
	if err := db.Where("id = ? AND withdrawn_at IS NULL", id).First(&p).Error; err != nil {
		return OpinionPublication{}, notFoundAs(err, ErrResultNotFound)
	}
	return p, nil
}

// publicResults names the rows' stations and categories.
func publicResults(db *gorm.DB, rows []OpinionPublication, loc *time.Location) ([]PublicResult, error) {
	out := make([]PublicResult, 0, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	var sids, cids []uint64
	for _, r := range rows {
		sids, cids = append(sids, r.StationID), append(cids, r.CategoryID)
	}
	stations, err := namesOf(db, &Station{}, sids)
	if err != nil {
		return nil, err
	}
	cats, err := namesOf(db, &Category{}, cids)
	if err != nil {
		return nil, err
	}
	loc = orLoc(loc)
	for _, r := range rows {
		v := PublicResult{ID: r.ID, Station: NameRef{ID: r.StationID, Name: stations[r.StationID]},
			Category: NameRef{ID: r.CategoryID, Name: cats[r.CategoryID]}, Summary: r.Summary, Result: r.Result,
			FiledOn: r.FiledOn, ClosedOn: r.ClosedOn, WorkingDays: r.WorkingDays,
			PublishedOn: localDate(r.PublishedAt, loc), Photos: []ResultPhoto{}}
		for _, ph := range r.Photos() {
			v.Photos = append(v.Photos, ResultPhoto{ID: ph, URL: PublicResultPhotoPath(r.ID, ph)})
		}
		out = append(out, v)
	}
	return out, nil
}

// namesOf maps the ids of a table with a name column to the names.
func namesOf(db *gorm.DB, model any, ids []uint64) (map[uint64]string, error) {
	var refs []NameRef
	if err := db.Model(model).Select("id", "name").Where("id IN ?", ids).Find(&refs).Error; err != nil {
		return nil, translate(err)
	}
	out := make(map[uint64]string, len(refs))
	for _, r := range refs {
		out[r.ID] = r.Name
	}
	return out, nil
}

// StaffPublication is a summary on the console's list of public results.
type StaffPublication struct {
	OpinionPublication
	TrackingNo, StationName string
}

// ListStaffPublications lists the summaries of the items in sc, published
// and withdrawn, newest first, at most limit (default 50) before id
// beforeID (0: from the newest), and the beforeID of the next page.
func ListStaffPublications(ctx context.Context, db *gorm.DB, sc StaffScope, beforeID uint64, limit int) ([]StaffPublication, uint64, error) {
	if limit <= 0 {
		limit = 50
	}
	db = db.WithContext(ctx)
	tx := db.Model(&OpinionPublication{})
	if !sc.All {
		if len(sc.StationIDs) == 0 {
			return nil, 0, nil
		}
		tx = tx.Where("station_id IN ?", sc.StationIDs)
	}
	if beforeID != 0 {
		tx = tx.Where("id < ?", beforeID)
	}
	var rows []OpinionPublication
	if err := tx.Order("id DESC").Limit(limit + 1).Find(&rows).Error; err != nil {
		return nil, 0, translate(err)
	}
	var next uint64
	if len(rows) > limit {
		rows = rows[:limit]
		next = rows[len(rows)-1].ID
	}
	if len(rows) == 0 {
		return nil, 0, nil
	}
	var sids, oids []uint64
	for _, r := range rows {
		sids, oids = append(sids, r.StationID), append(oids, r.OpinionID)
	}
	stations, err := namesOf(db, &Station{}, sids)
	if err != nil {
		return nil, 0, err
	}
	var nos []struct {
		ID         uint64
		TrackingNo string
	}
	if err := db.Model(&Opinion{}).Select("id", "tracking_no").Where("id IN ?", oids).Find(&nos).Error; err != nil {
		return nil, 0, translate(err)
	}
	tracking := map[uint64]string{}
	for _, n := range nos {
		tracking[n.ID] = n.TrackingNo
	}
	out := make([]StaffPublication, 0, len(rows))
	for _, r := range rows {
		out = append(out, StaffPublication{OpinionPublication: r, TrackingNo: tracking[r.OpinionID], StationName: stations[r.StationID]})
	}
	return out, next, nil
}

// The public figures (docs/ARCHITECTURE.md#public-results).
const (
	// ResultStatsMonths is their window: the months up to today.
	ResultStatsMonths = 12
	// DefaultResultsMinSample is the fewest items a station's rates are
	// shown for; under it only the counts are.
	DefaultResultsMinSample = 20
)

// ResultWindow is the window of the public figures at now: from the day
// after the same date ResultStatsMonths months ago to today (local dates,
// both included).
func ResultWindow(now time.Time, loc *time.Location) (from, to string) {
	l := now.In(orLoc(loc))
	today := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, l.Location())
	return today.AddDate(0, -ResultStatsMonths, 1).Format(DateLayout), today.Format(DateLayout)
}

// ResultStats are the public figures of the stations.
type ResultStats struct {
	Months    int           `json:"months"`
	From      string        `json:"from"`
	To        string        `json:"to"`
	MinSample int           `json:"min_sample"`
	Items     []StationStat `json:"items"`
}

// StationStat is one station's public figures. The rates are percents
// with one decimal, nil under the minimum sample; the median is nil
// without any answered item.
type StationStat struct {
	StationID         uint64   `json:"station_id"`
	StationName       string   `json:"station_name"`
	Filed             int      `json:"filed"`
	Answered          int      `json:"answered"`
	Solved            int      `json:"solved"`
	MedianWorkingDays *float64 `json:"median_working_days"`
	AnsweredRate      *float64 `json:"answered_rate"`
	SolvedRate        *float64 `json:"solved_rate"`
}

// ResultStatsOf shapes the public figures from what ComputeFigures counted
// for the window (every station, f.From to f.To): filed, answered and
// solved items and the median working days to reply per station, most
// items first; the office's own queue is not a station and is left out.
// stationID (0: all) keeps one station; an unknown one is
// ErrStationNotFound.
func ResultStatsOf(f Figures, minSample int, stationID uint64) (ResultStats, error) {
	if minSample <= 0 {
		minSample = DefaultResultsMinSample
	}
	out := ResultStats{Months: ResultStatsMonths, From: f.From, To: f.To, MinSample: minSample, Items: []StationStat{}}
	rate := func(n, of int) *float64 {
		if of < minSample || of == 0 {
			return nil
		}
		r := math.Round(float64(n)*1000/float64(of)) / 10
		return &r
	}
	for _, s := range f.Stations {
		if s.StationID == officeStation || (stationID != 0 && s.StationID != stationID) {
			continue
		}
		st := StationStat{StationID: s.StationID, StationName: s.Name, Filed: s.Opinions, Answered: s.Answered, Solved: s.Solved,
			AnsweredRate: rate(s.Answered, s.Opinions), SolvedRate: rate(s.Solved, s.Opinions)}
		if s.Reply.N > 0 {
			d := s.Reply.Days
			st.MedianWorkingDays = &d
		}
		out.Items = append(out.Items, st)
	}
	if stationID != 0 && len(out.Items) == 0 {
		return ResultStats{}, ErrStationNotFound
	}
	return out, nil
}
