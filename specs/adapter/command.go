package adapter

import "github.com/qtro/qtro/specs/contract"

// Command is one JSON command line (specs/ADAPTER.md §6); the commands and
// their constructors are specs/contract's, repeated here so that a driver
// needs one import.
type Command = contract.Command

// The command constructors of specs/contract.
var (
	Sync            = contract.Sync
	Exit            = contract.Exit
	State           = contract.State
	Describe        = contract.Describe
	Get             = contract.Get
	Set             = contract.Set
	Emit            = contract.Emit
	Call            = contract.Call
	Write           = contract.Write
	Push            = contract.Push
	DisableRemoting = contract.DisableRemoting
	EnableRemoting  = contract.EnableRemoting
	Acquire         = contract.Acquire
	Release         = contract.Release
	Load            = contract.Load
	// Tagged builds a tagged QVariant value {"type": typ, "value": value} (§7.3).
	Tagged = contract.TagValue
)
