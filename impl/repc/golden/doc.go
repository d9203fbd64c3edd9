// Package golden holds, one package per .rep file in fixtures/, the Go code
// `qtro repc` generates: the golden files of impl/repc's TestGolden
// (QTRO_UPDATE_GOLDEN=1 go test ./impl/repc rewrites them), compiled by
// `go build ./...`, and the generated packages the interop checks use.
package golden
