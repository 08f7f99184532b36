package reviews

import (
	"context"
	"time"

	"deputylink/models"

	"gorm.io/gorm"
)

// What the organiser's forms need beside the rules: who may be put to a
// review (the new-review form's choices) and the paper counts entered so
// far (the paper form's values).

// Candidate is one deputy or department the new-review form offers.
type Candidate struct {
	ID   uint64
	Name string
	// Note tells two of the same name apart: a deputy's station.
	Note string
}

// Candidates are the subjects a scope may put to a review of kind: for a
// review of deputies, the serving deputies of the organiser's level whose
// primary station is in its scope (county and township deputies are the
// directly elected ones); for a review of departments, every department.
func Candidates(ctx context.Context, db *gorm.DB, sc models.ManageScope, kind models.ReviewKind) ([]Candidate, error) {
	if kind == models.ReviewOfDepartments {
		deps, err := models.ListDepartments(ctx, db)
		if err != nil {
			return nil, err
		}
		out := make([]Candidate, 0, len(deps))
		for _, d := range deps {
			out = append(out, Candidate{ID: d.ID, Name: d.Name})
		}
		return out, nil
	}
	picks, err := models.ScopeDeputies(ctx, db, sc)
	if err != nil {
		return nil, err
	}
	level, _, ok := organiserOf(sc)
	if !ok {
		return nil, models.ErrNotOrganiser
	}
	var out []Candidate
	for _, p := range picks {
		if p.Level == level {
			out = append(out, Candidate{ID: p.ID, Name: p.Name, Note: p.Station})
		}
	}
	return out, nil
}

// Organises reports whether sc is r's organiser, who alone prints its
// slips, enters its paper ballots and closes it; the county office
// oversees the townships' reviews without these.
func Organises(sc models.ManageScope, r models.Review) bool { return organises(sc, r) }

// OrganiserName is who organises r, as the pages name it.
func OrganiserName(r models.Review) string {
	if r.Level == models.LevelTownship {
		return r.Township + "人大主席团"
	}
	return "县人大常委会"
}

// PaperCounts are the paper counts entered so far on a review the scope
// organises (Get's refusals otherwise).
func PaperCounts(ctx context.Context, db *gorm.DB, sc models.ManageScope, id uint64, now time.Time) ([]models.ReviewPaperCount, error) {
	v, err := Get(ctx, db, sc, id, now)
	if err != nil {
		return nil, err
	}
	var rows []models.ReviewPaperCount
	err = db.WithContext(ctx).Where("review_id = ?", v.Review.ID).
		Order("subject_id, dimension, rating").Find(&rows).Error
	return rows, models.Translate(err)
}
