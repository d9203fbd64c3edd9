package main

import (
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/qtro/qtro/impl/nodeadapter"
	"github.com/qtro/qtro/internal/proc"
)

// newAdapterCmd is `qtro adapter ROLE [flags]`: the Go reference node behind
// the adapter contract (specs/ADAPTER.md). The contract owns the command
// line and the exit codes, so cobra does not parse the flags.
func newAdapterCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "adapter host|registry|node [flags]",
		Short: "Run the Go reference node as a qtro adapter (JSON commands on stdin, events on stdout)",
		Long: `adapter runs the Go reference node in one role of the qtro adapter contract
(specs/ADAPTER.md): it reads JSON commands on stdin and writes JSON events on
stdout, exactly like the Qt peers of fixtures/peer, so the conformance suite,
the interop matrix and load runs can drive it.

` + nodeadapter.Usage + `

--dialect (default $QTRO_DIALECT, else qt6) is the wire dialect hosts and
registries listen in and the one "ready" reports. A node given a dialect (flag
or environment) speaks only that one, as a Qt node does; without one it
detects the dialect of each host it connects to.`,
		DisableFlagParsing: true,
		Run: func(cmd *cobra.Command, args []string) {
			os.Exit(runAdapter(args))
		},
	}
}

func runAdapter(args []string) int {
	// Die with the harness even if it could not close our stdin.
	_ = proc.DieWithParent(syscall.SIGTERM) // elsewhere than Linux: stdin EOF only
	// A closed stdout must not kill us with SIGPIPE before we exit cleanly.
	signal.Ignore(syscall.SIGPIPE)
	raiseFileLimit()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)
	return nodeadapter.Main(args, nodeadapter.IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Signals: sigs})
}
