package main

import (
	"context"
	"fmt"
	"io"
)

// runJobs runs the background jobs until ctx is cancelled.
func (a *app) runJobs(ctx context.Context) {
	<-ctx.Done()
}

func jobsCmd(ctx context.Context, getenv func(string) string, args []string, stdout, stderr io.Writer) error {
	_ = ctx
	_ = getenv
	_ = stdout
	fmt.Fprintln(stderr, "deputylink jobs: no jobs yet")
	return errUsage
}
