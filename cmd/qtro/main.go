// Command qtro is the one user-facing binary of the qtro suite: it decodes
// QtRO captures, runs the conformance suite, and drives load tests.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	if err := newRootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "qtro:", err)
		os.Exit(1)
	}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "qtro",
		Short:         "Conformance and load testing for Qt Remote Objects",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newDumpCmd())
	root.AddCommand(newLoadgenCmd())
	root.AddCommand(newAdapterCmd())
	root.AddCommand(newConformanceCmd())
	root.AddCommand(newAdapterCheckCmd())
	root.AddCommand(newRepcCmd())
	root.AddCommand(newVerifiedCmd())
	root.AddCommand(newFuzzCmd())
	return root
}
