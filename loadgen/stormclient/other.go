//go:build !linux

package stormclient

import "context"

// Run is unsupported on this platform.
func Run(context.Context, Config) (Result, error) { return Result{}, ErrUnsupported }
