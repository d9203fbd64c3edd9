//go:build !race

package nodeadapter_test

const raceBuild = false
