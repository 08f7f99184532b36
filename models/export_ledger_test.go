package models_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"deputylink/models"
	"deputylink/models/modelstest"

	"github.com/xuri/excelize/v2"
	"gorm.io/gorm"
)

var ledgerLoc = time.FixedZone("CST", 8*3600)

// seedLedger files n opinions straight into the table, one every step
// from start, alternating between the stations, some accepted and replied
// (late), some rated.
func seedLedger(t testing.TB, db *gorm.DB, stations []uint64, n int, start time.Time, step time.Duration) {
	t.Helper()
	if err := db.Transaction(func(tx *gorm.DB) error {
		seedLedgerTx(t, tx, stations, n, start, step)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func seedLedgerTx(t testing.TB, db *gorm.DB, stations []uint64, n int, start time.Time, step time.Duration) {
	var cat models.Category
	if err := db.Order("id").First(&cat).Error; err != nil {
		t.Fatal(err)
	}
	v := models.Voter{PhoneMasked: "139****5678"}
	if err := db.Create(&v).Error; err != nil {
		t.Fatal(err)
	}
	ops := make([]models.Opinion, 0, 1000)
	var ratings []models.OpinionRating
	flush := func() {
		if len(ops) == 0 {
			return
		}
		if err := db.CreateInBatches(&ops, 500).Error; err != nil {
			t.Fatal(err)
		}
		for i, o := range ops {
			if i%3 == 0 && o.RepliedAt != nil {
				ratings = append(ratings, models.OpinionRating{OpinionID: o.ID, Round: 1, Stage: models.StageReply,
					VoterID: v.ID, StationID: o.StationID, Score: models.ScoreSatisfied, CreatedAt: *o.RepliedAt})
			}
		}
		ops = ops[:0]
	}
	for i := range n {
		at := start.Add(time.Duration(i) * step).UTC()
		o := models.Opinion{
			TrackingNo: fmt.Sprintf("YJ%s-%06d", at.Format("20060102"), i), VoterID: v.ID, Source: models.SourceMiniProgram,
			CategoryID: cat.ID, Content: fmt.Sprintf("第%d条意见：小区门口路灯坏了，晚上出行不便，请尽快修复。", i),
			StationID: stations[i%len(stations)], RouteRule: "code", RouteReason: "扫码", Status: models.OpinionSubmitted,
			Round: 1, AcceptDays: 2, ReplyDays: 15, AcceptStartAt: at, AcceptDueAt: at.Add(48 * time.Hour),
			ReplyStartAt: at, ReplyDueAt: at.Add(15 * 24 * time.Hour), Version: 1, CreatedAt: at, UpdatedAt: at,
		}
		if i%2 == 0 {
			acc, rep := at.Add(24*time.Hour), at.Add(20*24*time.Hour)
			o.Status, o.AcceptedAt, o.RepliedAt, o.ReplyText = models.OpinionReplied, &acc, &rep, "已协调修复。"
		}
		if i%5 == 0 {
			o.VoterID, o.Source, o.ContactName, o.ContactPhoneMasked = 0, models.SourcePhone, "李大姐", "138****0000"
		}
		ops = append(ops, o)
		if len(ops) == cap(ops) {
			flush()
		}
	}
	flush()
	if len(ratings) > 0 {
		if err := db.CreateInBatches(&ratings, 200).Error; err != nil {
			t.Fatal(err)
		}
	}
}

func readLedger(t testing.TB, file []byte) [][]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetList()[0])
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// Ensure the opinions ledger of a period holds exactly the database's
// opinions filed in it (local dates), under Chinese headers, with times
// written the Chinese way and phones masked; a clerk's ledger holds their
// station's only and another station is refused.
func TestExportOpinionsLedger(t *testing.T) {
	db := demoDB(t)
	ctx := context.Background()
	var east, west models.Station
	db.Where("name = ?", "东门社区代表联络站").First(&east)
	db.Where("name = ?", "西街社区代表联络站").First(&west)
	// Every 7 hours from 25 October to mid-December (local).
	seedLedger(t, db, []uint64{east.ID, west.ID}, 260, time.Date(2026, 10, 25, 3, 0, 0, 0, ledgerLoc), 7*time.Hour)
	now := time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC)
	q := models.ExportQuery{Kind: models.ExportOpinions, Scope: models.StaffScope{All: true}, From: "2026-11-01", To: "2026-11-30", Loc: ledgerLoc, Now: now}
	var buf bytes.Buffer
	n, err := models.WriteExport(ctx, db, q, &buf)
	if err != nil {
		t.Fatal(err)
	}
	rows := readLedger(t, buf.Bytes())
	if !slices.Equal(rows[0], models.ExportHeaders(models.ExportOpinions)) || rows[0][0] != "编号" || rows[0][1] != "提交时间" {
		t.Fatalf("headers = %v", rows[0])
	}
	var want []models.Opinion
	from, to := time.Date(2026, 11, 1, 0, 0, 0, 0, ledgerLoc), time.Date(2026, 12, 1, 0, 0, 0, 0, ledgerLoc)
	db.Where("created_at >= ? AND created_at < ?", from.UTC(), to.UTC()).Order("id").Find(&want)
	if len(want) == 0 || n != len(want) || len(rows)-1 != len(want) {
		t.Fatalf("ledger has %d rows (reported %d), database %d", len(rows)-1, n, len(want))
	}
	col := func(name string) int { return slices.Index(rows[0], name) }
	for i, o := range want {
		r := rows[i+1]
		filed := o.CreatedAt.In(ledgerLoc)
		if r[0] != o.TrackingNo || r[col("内容")] != o.Content || r[col("状态")] != o.Status.Label() ||
			r[col("提交时间")] != fmt.Sprintf("%d年%d月%d日 %s", filed.Year(), filed.Month(), filed.Day(), filed.Format("15:04")) {
			t.Fatalf("row %d = %v, opinion %+v", i+1, r, o)
		}
		wantStation := map[uint64]string{east.ID: east.Name, west.ID: west.Name}[o.StationID]
		if r[col("联络站")] != wantStation {
			t.Fatalf("row %d station %q", i+1, r[col("联络站")])
		}
		phone := r[col("联系电话")]
		if phone != "139****5678" && phone != "138****0000" {
			t.Fatalf("row %d phone %q", i+1, phone)
		}
		if o.RepliedAt != nil && r[col("是否超期")] != "答复超期" {
			t.Fatalf("row %d replied late but %q", i+1, r[col("是否超期")])
		}
	}
	// A clerk of the east station: only its rows; the west station refused.
	clerk := models.StaffScope{StationIDs: []uint64{east.ID}}
	q.Scope = clerk
	buf.Reset()
	n, err = models.WriteExport(ctx, db, q, &buf)
	if err != nil {
		t.Fatal(err)
	}
	eastRows := readLedger(t, buf.Bytes())
	for _, r := range eastRows[1:] {
		if r[col("联络站")] != east.Name {
			t.Fatalf("clerk's ledger has %v", r)
		}
	}
	if n == 0 || n >= len(want) {
		t.Fatalf("clerk's ledger has %d of %d rows", n, len(want))
	}
	q.StationID = west.ID
	if _, err := models.WriteExport(ctx, db, q, io.Discard); !errors.Is(err, models.ErrExportStation) {
		t.Fatalf("clerk exporting the west station: %v", err)
	}
	q.StationID, q.From = 0, "2026-12-01"
	if _, err := models.WriteExport(ctx, db, q, io.Discard); !errors.Is(err, models.ErrInvalid) {
		t.Fatalf("from after to: %v", err)
	}
}

// Ensure the bookings and reception ledgers hold their period's rows under
// Chinese headers.
func TestExportBookingsAndReceptions(t *testing.T) {
	db := modelstest.NewDB(t)
	ctx := context.Background()
	if _, err := models.LoadDemo(ctx, db); err != nil {
		t.Fatal(err)
	}
	var st models.Station
	db.Where("name = ?", "东门社区代表联络站").First(&st)
	var dep models.Deputy
	db.Where("station_id = ?", st.ID).First(&dep)
	v := models.Voter{PhoneMasked: "139****1111"}
	db.Create(&v)
	day := models.ReceptionDay{StationID: st.ID, Date: "2026-11-20", Period: "2026-11", Status: models.DayClosed,
		StartsAt: time.Date(2026, 11, 20, 1, 0, 0, 0, time.UTC), EndsAt: time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)}
	if err := db.Create(&day).Error; err != nil {
		t.Fatal(err)
	}
	slot := models.Slot{DayID: day.ID, Seq: 1, StationID: st.ID, StartAt: day.StartsAt, EndAt: day.StartsAt.Add(30 * time.Minute), Capacity: 5, Confirmed: 1}
	if err := db.Create(&slot).Error; err != nil {
		t.Fatal(err)
	}
	in := day.StartsAt.Add(5 * time.Minute)
	b := models.Booking{VoterID: v.ID, SlotID: slot.ID, DayID: day.ID, StationID: st.ID, Date: day.Date, Status: models.BookingCheckedIn,
		Topic: "反映小区停车难", CheckinCode: "1234", CheckedInAt: &in, CreatedAt: day.StartsAt.Add(-48 * time.Hour)}
	if err := db.Create(&b).Error; err != nil {
		t.Fatal(err)
	}
	rec := models.ReceptionRecord{DayID: day.ID, DeputyID: dep.ID, StationID: st.ID, Date: day.Date, VotersReceived: 3, CheckedIn: 1, WalkIns: 2}
	if err := db.Create(&rec).Error; err != nil {
		t.Fatal(err)
	}
	q := models.ExportQuery{Kind: models.ExportBookings, Scope: models.StaffScope{StationIDs: []uint64{st.ID}}, From: "2026-11-01", To: "2026-11-30", Loc: ledgerLoc}
	var buf bytes.Buffer
	if _, err := models.WriteExport(ctx, db, q, &buf); err != nil {
		t.Fatal(err)
	}
	rows := readLedger(t, buf.Bytes())
	want := []string{"2026年11月20日", "09:00～09:30", st.Name, "已签到", "139****1111", "反映小区停车难", "2026年11月18日 09:00", "2026年11月20日 09:05"}
	if len(rows) != 2 || rows[0][0] != "接待日期" || !slices.Equal(rows[1][:len(want)], want) {
		t.Fatalf("bookings ledger = %v", rows)
	}
	q.Kind = models.ExportReceptions
	buf.Reset()
	if _, err := models.WriteExport(ctx, db, q, &buf); err != nil {
		t.Fatal(err)
	}
	rows = readLedger(t, buf.Bytes())
	want = []string{"2026年11月20日", st.Name, dep.Name, dep.Level.Label(), "3", "1", "2", "0"}
	if len(rows) != 2 || rows[0][4] != "接待群众（人次）" || !slices.Equal(rows[1], want) {
		t.Fatalf("receptions ledger = %v", rows)
	}
	q.From, q.To = "2026-12-01", "2026-12-31"
	buf.Reset()
	if n, err := models.WriteExport(ctx, db, q, &buf); err != nil || n != 0 || len(readLedger(t, buf.Bytes())) != 1 {
		t.Fatalf("December: %d rows, %v", n, err)
	}
}

// peakHeap samples the heap in use while fn runs.
func peakHeap(fn func()) uint64 {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	})
	fn()
	close(done)
	wg.Wait()
	return peak.Load()
}

// benchLedger is a county-year of 50,000 opinions, shared by the
// benchmarks of one run.
func benchLedger(b *testing.B) (*gorm.DB, models.ExportQuery) {
	b.Helper()
	db := demoDB(b)
	var ids []uint64
	db.Model(&models.Station{}).Order("id").Pluck("id", &ids)
	start := time.Now()
	seedLedger(b, db, ids, 50000, time.Date(2026, 1, 1, 1, 0, 0, 0, ledgerLoc), 10*time.Minute)
	b.Logf("seeded 50,000 opinions in %v", time.Since(start))
	return db, models.ExportQuery{Kind: models.ExportOpinions, Scope: models.StaffScope{All: true},
		From: "2026-01-01", To: "2026-12-31", Loc: ledgerLoc, Now: time.Date(2027, 1, 5, 0, 0, 0, 0, time.UTC)}
}

func benchExport(b *testing.B, write func(context.Context, *gorm.DB, models.ExportQuery, io.Writer) (int, error)) {
	db, q := benchLedger(b)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var rows int
	var peak uint64
	var size countingWriter
	b.ResetTimer()
	for b.Loop() {
		size = 0
		p := peakHeap(func() {
			var err error
			if rows, err = write(context.Background(), db, q, &size); err != nil {
				b.Fatal(err)
			}
		})
		peak = max(peak, p)
	}
	b.StopTimer()
	// The same export of one month (about a twelfth of the rows): bounded
	// memory shows as a peak that does not grow with the rows.
	month := q
	month.To = "2026-01-31"
	runtime.GC()
	monthPeak := peakHeap(func() {
		if _, err := write(context.Background(), db, month, io.Discard); err != nil {
			b.Fatal(err)
		}
	})
	b.ReportMetric(float64(monthPeak-min(monthPeak, before.HeapInuse))/(1<<20), "month-peak-heap-MB")
	if rows != 50000 {
		b.Fatalf("%d rows", rows)
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(peak-min(peak, before.HeapInuse))/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(size)/(1<<20), "file-MB")
}

type countingWriter int64

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}

// BenchmarkExportOpinions50k writes a county-year's ledger, 50,000 rows,
// as .xlsx (docs/BENCHMARKS.md#excel-export).
func BenchmarkExportOpinions50k(b *testing.B) { benchExport(b, models.WriteExport) }

// BenchmarkExportOpinions50kCSV is the baseline: the same rows as CSV.
func BenchmarkExportOpinions50kCSV(b *testing.B) { benchExport(b, models.WriteExportCSV) }

// Ensure a county-year's ledger, 50,000 rows, exports whole and reads back
// as 50,000 data rows. Its speed and memory are measured by
// BenchmarkExportOpinions50k (docs/BENCHMARKS.md#excel-export), not here:
// a timed test fails on a busy machine, not on slow code.
// TestExportEveryRow checks that an export writes every row of a ledger
// and that the file reads back with all of them, across many read batches
// (exportBatch) and a partial last one. The county-year size (50,000 rows)
// is the benchmarks' (BenchmarkExportOpinions50k), where its time is
// measured; DEPUTYLINK_EXPORT_50K=1 runs this test at that size too.
func TestExportEveryRow(t *testing.T) {
	n := 5*1000 + 500 // 5 full batches of exportBatch and a partial one
	if os.Getenv("DEPUTYLINK_EXPORT_50K") != "" {
		n = 50000
	}
	db := demoDB(t)
	var ids []uint64
	db.Model(&models.Station{}).Order("id").Pluck("id", &ids)
	seedLedger(t, db, ids, n, time.Date(2026, 1, 1, 1, 0, 0, 0, ledgerLoc), 10*time.Minute)
	q := models.ExportQuery{Kind: models.ExportOpinions, Scope: models.StaffScope{All: true}, From: "2026-01-01", To: "2026-12-31", Loc: ledgerLoc}
	var buf bytes.Buffer
	wrote, err := models.WriteExport(context.Background(), db, q, &buf)
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetName(0))
	if err != nil {
		t.Fatal(err)
	}
	if wrote != n || len(rows) != n+1 {
		t.Fatalf("wrote %d rows, the file holds %d data rows; want %d", wrote, len(rows)-1, n)
	}
}
