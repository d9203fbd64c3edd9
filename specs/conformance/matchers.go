package conformance

import (
	"github.com/onsi/gomega"
	"github.com/onsi/gomega/types"

	"github.com/qtro/qtro/impl/qds"
)

func equal(x any) types.GomegaMatcher { return gomega.Equal(x) }

// sameVariant matches a qds.Variant of the same type and value (the
// isNull flag aside, which Qt sets inconsistently).
func sameVariant(want qds.Variant) types.GomegaMatcher {
	return gomega.WithTransform(func(got qds.Variant) string {
		if got.SameValue(want) {
			return want.String()
		}
		return got.String()
	}, gomega.Equal(want.String()))
}
