package models_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"deputylink/config"
	"deputylink/models"
	"deputylink/models/modelstest"

	"gorm.io/gorm"
)

// The helper process of TestOneTimeConsentSpentOnceAcrossProcesses reads
// these variables; without them TestConsentRaceHelperProcess skips.
const (
	envConsentRaceDB   = "DEPUTYLINK_CONSENT_RACE_DB"
	envConsentRaceName = "DEPUTYLINK_CONSENT_RACE_NAME"
)

// consentRaceVoters is how many voters the two processes race over, each
// with one one-time consent for the reply template.
const consentRaceVoters = 80

var consentRaceCfg = models.NotifyConfig{Opinion: config.OpinionNotify{
	Result: config.TemplateSpec{ID: "tplRaceResult"},
}}

// TestOneTimeConsentSpentOnceAcrossProcesses runs two OS processes (this
// test binary again, TestConsentRaceHelperProcess) against one database:
// MariaDB/MySQL when DEPUTYLINK_TEST_MYSQL is set, else one SQLite file.
// Every voter holds exactly one one-time consent for the reply template.
// Released at the same moment, both processes walk the same voters in the
// same order and enqueue a reply notice for each, each under its own dedupe
// key, so only the consent rule can stop a second row. Each consent must be
// spent exactly once: one subscribe row per voter, and no consent left.
func TestOneTimeConsentSpentOnceAcrossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two processes")
	}
	dbURL := modelstest.URL(t)
	db := modelstest.Open(t, dbURL)
	ctx, now := t.Context(), time.Now()
	openids := make([]string, consentRaceVoters)
	for i := range openids {
		openids[i] = fmt.Sprintf("oRace%03d", i)
		v := models.Voter{MPOpenID: &openids[i]}
		if err := db.Create(&v).Error; err != nil {
			t.Fatal(err)
		}
		if err := models.GrantConsents(ctx, db, openids[i], []string{"tplRaceResult"}, now); err != nil {
			t.Fatal(err)
		}
	}

	type child struct {
		cmd   *exec.Cmd
		mu    sync.Mutex // guards out
		stdin io.WriteCloser
		out   *bytes.Buffer
		errs  bytes.Buffer // stderr, written by exec's own goroutine
		ready chan struct{}
		read  chan struct{} // closed when stdout is read to the end
	}
	var children []*child
	for _, name := range []string{"a", "b"} {
		c := &child{cmd: exec.Command(os.Args[0], "-test.run=^TestConsentRaceHelperProcess$", "-test.count=1"),
			out: &bytes.Buffer{}, ready: make(chan struct{}), read: make(chan struct{})}
		c.cmd.Env = append(os.Environ(), envConsentRaceDB+"="+dbURL, envConsentRaceName+"="+name)
		c.cmd.Stderr = &c.errs
		var err error
		if c.stdin, err = c.cmd.StdinPipe(); err != nil {
			t.Fatal(err)
		}
		stdout, err := c.cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() {
			defer close(c.read)
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				c.mu.Lock()
				c.out.WriteString(sc.Text() + "\n")
				c.mu.Unlock()
				if sc.Text() == "ready" {
					close(c.ready)
				}
			}
		}()
		t.Cleanup(func() {
			if c.cmd.ProcessState == nil {
				_ = c.cmd.Process.Kill()
				_ = c.cmd.Wait()
			}
		})
		children = append(children, c)
	}
	for i, c := range children {
		select {
		case <-c.ready:
		case <-time.After(60 * time.Second):
			c.mu.Lock()
			defer c.mu.Unlock()
			t.Fatalf("process %d not ready:\n%s", i, c.out.String())
		}
	}
	for _, c := range children { // release both at once
		if _, err := io.WriteString(c.stdin, "go\n"); err != nil {
			t.Fatal(err)
		}
	}
	queued := 0
	for i, c := range children {
		<-c.read
		if err := c.cmd.Wait(); err != nil {
			t.Fatalf("process %d: %v\n%s%s", i, err, c.out.String(), c.errs.String())
		}
		out := c.out.String()
		_, after, ok := strings.Cut(out, "queued=")
		n, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(after, "\n", 2)[0]))
		if !ok || err != nil {
			t.Fatalf("process %d said:\n%s", i, out)
		}
		t.Logf("process %d queued %d notices", i, n)
		queued += n
	}

	var rows []models.Notification
	if err := db.Where("channel = ?", models.ChannelSubscribe).Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	per := map[string]int{}
	for _, r := range rows {
		per[r.ToUser]++
	}
	for _, o := range openids {
		left, err := models.ConsentsLeft(ctx, db, o, "tplRaceResult")
		if err != nil {
			t.Fatal(err)
		}
		if per[o] != 1 || left != 0 {
			t.Errorf("voter %s: %d notices on one one-time consent, %d consents left; want exactly 1 notice and 0 left", o, per[o], left)
		}
	}
	if queued != consentRaceVoters || len(rows) != consentRaceVoters {
		t.Errorf("processes queued %d, %d rows; want %d (one per consent)", queued, len(rows), consentRaceVoters)
	}
}

// TestConsentRaceHelperProcess is one of the two processes of
// TestOneTimeConsentSpentOnceAcrossProcesses; alone it skips.
func TestConsentRaceHelperProcess(t *testing.T) {
	dbURL, name := os.Getenv(envConsentRaceDB), os.Getenv(envConsentRaceName)
	if dbURL == "" {
		t.Skip("helper process of TestOneTimeConsentSpentOnceAcrossProcesses")
	}
	ctx := context.Background()
	db, err := models.Open(ctx, dbURL, models.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer models.Close(db)
	var voters []models.Voter
	if err := db.Order("id").Find(&voters).Error; err != nil {
		t.Fatal(err)
	}
	fmt.Println("ready")
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	queued := 0
	for _, v := range voters {
		ev := models.OpinionEvent{
			Kind: models.EventReplied, OpinionID: v.ID, TrackingNo: fmt.Sprintf("YJ20260302-%04d", v.ID),
			StationID: 1, StationName: "东门社区代表联络站", Status: models.OpinionReplied,
			Title: "您的意见已答复", Summary: "路灯坏了", VoterID: v.ID, Via: models.ViaVoter,
			DedupeKey: fmt.Sprintf("race:%s:%d", name, v.ID),
		}
		err := models.RunTx(ctx, db, func(tx *gorm.DB) error {
			n, err := models.NotifyOpinion(ctx, tx, []models.OpinionEvent{ev}, consentRaceCfg, now)
			if err == nil {
				queued += n
			}
			return err
		})
		if err != nil {
			t.Fatalf("voter %d: %v", v.ID, err)
		}
	}
	fmt.Printf("queued=%d\n", queued)
}
