// Package specs_test runs the QtRO conformance suite with `go test` or
// `ginkgo`, configured by environment variables (see
// conformance.ConfigFromEnv): QTRO_TARGET=go6|go5|qt5|qt6|adapter:CMD|
// image:IMG|url:URL, QTRO_STRICT, QTRO_OUT, QTRO_LABEL_FILTER.
package specs_test

import (
	"testing"

	"github.com/qtro/qtro/specs/conformance"
)

func TestConformance(t *testing.T) {
	cfg, err := conformance.ConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	conformance.Run(t, cfg)
}
