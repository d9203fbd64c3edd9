package matrix_test

import (
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/qtro/qtro/interop/matrix"
)

// One spec per cell. Labels select a subset, e.g.
//
//	go test ./interop/matrix -ginkgo.label-filter='qt6 && tcp && !reference'
//
// Labels: static, dynamic, registry, model (scenario); go-qt, qt-go, go-go, qt-qt
// (direction: host implementation, then replica side); qt5, qt6; tcp, local,
// localabstract; interop or reference (same implementation on both sides).
var _ = Describe("Go <-> Qt interop matrix", func() {
	for _, c := range matrix.Cells() {
		It(specText(c), Label(c.Labels()...), func(ctx SpecContext) {
			res := result(ctx, c)
			switch res.Status {
			case matrix.Unsupported:
				// Reported as unsupported in the matrix, never as a pass.
				Skip("unsupported: " + res.Reason)
			case matrix.Fail:
				Fail(res.String())
			case matrix.PassPartial:
				AddReportEntry("partial", "a check could not run here: "+res.Reason)
			}
			Expect(res.Status).To(BeElementOf(matrix.Pass, matrix.PassPartial))
		}, SpecTimeout(5*time.Minute))
	}
})

// Negative controls: the same script with a node of the other dialect must
// fail at init (and the adapters must still exit cleanly), so a green matrix
// means something.
var _ = Describe("negative controls", func() {
	for _, c := range matrix.NegativeControls() {
		It(specText(c), Label(c.Labels()...), func(ctx SpecContext) {
			res := result(ctx, c)
			Expect(res.Status).To(Equal(matrix.Fail), "a node of the other dialect passed")
			Expect(res.Checks).NotTo(BeEmpty())
			Expect(res.Checks[0].Name).To(Equal("init"))
			Expect(res.Checks[0].Status).To(Equal(matrix.Fail))
			for _, ch := range res.Checks[1:] {
				switch ch.Name {
				case "exit":
					Expect(ch.Status).To(Equal(matrix.Pass), "adapters must exit cleanly: %s", ch.Detail)
				case "wire":
				default:
					Expect(ch.Status).To(Equal(matrix.NotReached), "check %s", ch.Name)
				}
			}
			AddReportEntry("negative control", res.Checks[0].Detail)
		}, SpecTimeout(5*time.Minute))
	}
})

// result gets a cell's result from the pool, or runs the cell here, and
// attaches it to the spec's report (the matrix report is built from them).
func result(ctx SpecContext, c matrix.Cell) *matrix.Result {
	var res *matrix.Result
	if pool.Has(c.ID()) {
		var err error
		res, err = pool.Result(ctx, c.ID())
		Expect(err).NotTo(HaveOccurred())
	} else {
		res = c.Run(ctx, runner)
	}
	AddReportEntry(cellEntry, res, ReportEntryVisibilityFailureOrVerbose)
	fmt.Fprintln(GinkgoWriter, res.String())
	return res
}
