package models

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"

	"gorm.io/gorm"
)

// WriteExportCSV writes the rows of WriteExport as CSV: the baseline the
// export benchmark compares excelize with (same queries, same cells).
func WriteExportCSV(ctx context.Context, db *gorm.DB, q ExportQuery, w io.Writer) (int, error) {
	if err := q.Check(); err != nil {
		return 0, err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(ExportHeaders(q.Kind)); err != nil {
		return 0, err
	}
	rec := make([]string, len(ExportHeaders(q.Kind)))
	n, err := exportRows(db.WithContext(ctx), q, func(vals []any) error {
		for i, v := range vals {
			rec[i] = fmt.Sprint(v)
		}
		return cw.Write(rec)
	})
	cw.Flush()
	if err == nil {
		err = cw.Error()
	}
	return n, err
}
