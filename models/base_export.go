package models

import (
	"time"

	"gorm.io/gorm"
)

// The shared base's helpers that the domain sub-packages (models/records)
// use: the same rules as inside models, under exported names.

// Translate maps a database error to the models sentinels (see translate).
func Translate(err error) error { return translate(err) }

// NotFoundAs is err, or coded when err is "record not found" (see notFoundAs).
func NotFoundAs(err, coded error) error { return notFoundAs(err, coded) }

// LockingUpdate adds SELECT … FOR UPDATE where the dialect has it.
func LockingUpdate(db *gorm.DB) *gorm.DB { return lockingUpdate(db) }

// LockFind is a locking Find that reports whether a row was found.
func LockFind(tx *gorm.DB, dest any, query any, args ...any) (bool, error) {
	return lockFind(tx, dest, query, args...)
}

// UniqueIDs drops zeros and repeats, keeping the order.
func UniqueIDs(ids []uint64) []uint64 { return uniqueIDs(ids) }

// OrLoc defaults a nil location to China Standard Time (no DST).
func OrLoc(loc *time.Location) *time.Location { return orLoc(loc) }

// Median is the median of values: the middle one, or the mean of the two
// middle ones (to one decimal); 0 for none. It is the figures' median
// (weightedMedian), for the monthly 履职通报's comparisons.
func Median(values []int) float64 {
	w := make([]weighted, len(values))
	for i, v := range values {
		w[i] = weighted{v: float64(v), n: 1}
	}
	return weightedMedian(w)
}
