package main

import (
	"context"
	"io"

	"github.com/hotelpay/a55-temporal/internal/stack"
)

func runDemo(ctx context.Context, proj *stack.Project, out io.Writer) error {
	return errNoStarter
}
