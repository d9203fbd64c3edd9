package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/qtro/qtro/specs/adapter"
)

// newAdapterCheckCmd is `qtro adapter-check [--strict] [--out FILE.json] -- CMD ARGS...`: the
// generic contract checker any adapter can pass for the features it declares.
func newAdapterCheckCmd() *cobra.Command {
	var (
		strict, verbose bool
		out             string
	)
	cmd := &cobra.Command{
		Use:   "adapter-check [--strict] [--out FILE.json] -- CMD ARGS...",
		Short: "Check that a program follows the adapter contract (specs/ADAPTER.md) for what it declares",
		Long: `adapter-check runs the generic checks of the qtro adapter contract
(specs/ADAPTER.md) against CMD ARGS... (the adapter's argv prefix; qtro appends
the role and flags):

  hello     contract 2 "CMD hello" line and its capabilities (contract 1: none)
  per role  for each role the adapter declares (contract 1: host, registry,
            node, exit 127 = unsupported) on a declared transport and type:
            ready's fields, capabilities, remoting (host), acquisition and a
            Valid replica of its own host (node), the generic commands (sync,
            ids echoed verbatim, badJson, unknownCommand, state, describe,
            get, set, commands of another role, one result per line),
            lifetime (exit code, stdin EOF, SIGTERM) and stdout hygiene
  usage     unknown flag / missing value / node without --url: exit 2

It does not test QtRO behaviour (that is "qtro conformance"). One line per
check goes to stdout, then a summary. The exit code is 1 iff a check failed;
SHOULD-level items only warn unless --strict is given.

Examples:
  qtro adapter-check -- qtro adapter
  qtro adapter-check --out check.json -- python3 specs/examples/pyqtro/pyqtro.py
  qtro adapter-check -- docker run -i --rm --network host IMAGE`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runAdapterCheck(ctx, cmd.OutOrStdout(), args, strict, verbose, out)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&strict, "strict", false, "fail on SHOULD-level items too")
	f.StringVar(&out, "out", "", "write the report as JSON to this file")
	f.BoolVarP(&verbose, "verbose", "v", false, "log every adapter's stdin, stdout and stderr to stderr")
	return cmd
}

func runAdapterCheck(ctx context.Context, w io.Writer, command []string, strict, verbose bool, out string) error {
	cfg := adapter.CheckConfig{
		Command:  command,
		Strict:   strict,
		OnResult: func(r adapter.CheckResult) { fmt.Fprintln(w, r) },
	}
	if verbose {
		cfg.Log = os.Stderr
	}
	rep := adapter.Check(ctx, cfg)
	fmt.Fprintln(w, rep.Summary())
	if out != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(out, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
	}
	if rep.Failed() {
		return fmt.Errorf("adapter-check: %d of %d checks failed", rep.Counts[adapter.CheckFail], len(rep.Results))
	}
	return nil
}
