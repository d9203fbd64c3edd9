//go:build race

package nodeadapter_test

// raceBuild makes the adapter binary the Qt interop tests run a -race build too.
const raceBuild = true
