package contract

// ContractVersion is the adapter contract version of specs/ADAPTER.md: 2
// adds `hello` and the capabilities of ready; 3 adds item models (§6.5,
// §8.1, the "models" capability).
const ContractVersion = 3

// Exit codes (§3).
const (
	ExitOK          = 0
	ExitFailure     = 1
	ExitUsage       = 2
	ExitUnsupported = 127
)

// ErrorName is the "error" field of a failed result (§6) or of a fatal
// event.
type ErrorName string

// The error names of §6.
const (
	BadJSON         ErrorName = "badJson"
	UnknownCommand  ErrorName = "unknownCommand"
	WrongRole       ErrorName = "wrongRole"
	BadArgs         ErrorName = "badArgs"
	BadValue        ErrorName = "badValue"
	UnknownProperty ErrorName = "unknownProperty"
	UnknownSignal   ErrorName = "unknownSignal"
	UnknownMethod   ErrorName = "unknownMethod"
	NotWritable     ErrorName = "notWritable"
	NoPushSlot      ErrorName = "noPushSlot"
	NoReplica       ErrorName = "noReplica"
	NotInitialized  ErrorName = "notInitialized"
	AcquireFailed   ErrorName = "acquireFailed"
	AlreadyEnabled  ErrorName = "alreadyEnabled"
	NotEnabled      ErrorName = "notEnabled"
	Timeout         ErrorName = "timeout"
	InvalidMessage  ErrorName = "invalidMessage"
	Busy            ErrorName = "busy"
	Unsupported     ErrorName = "unsupported"
	// Usage is the error of a fatal event at stage "args" (§2).
	Usage ErrorName = "usage"
)

// Command names (§6).
const (
	CmdSync            = "sync"
	CmdExit            = "exit"
	CmdState           = "state"
	CmdDescribe        = "describe"
	CmdGet             = "get"
	CmdLoad            = "load"
	CmdSet             = "set"
	CmdEmit            = "emit"
	CmdDisableRemoting = "disableRemoting"
	CmdEnableRemoting  = "enableRemoting"
	CmdCall            = "call"
	CmdWrite           = "write"
	CmdPush            = "push"
	CmdAcquire         = "acquire"
	CmdRelease         = "release"

	// Item models (contract 3, §6.5).
	CmdRemoteModel          = "remoteModel"
	CmdModelInsertRows      = "modelInsertRows"
	CmdModelRemoveRows      = "modelRemoveRows"
	CmdModelMoveRows        = "modelMoveRows"
	CmdModelSetData         = "modelSetData"
	CmdModelSetHeader       = "modelSetHeader"
	CmdModelReset           = "modelReset"
	CmdModelSetCurrentIndex = "modelSetCurrentIndex"
	CmdAcquireModel         = "acquireModel"
	CmdModelState           = "modelState"
	CmdModelRows            = "modelRows"
	CmdModelHeader          = "modelHeader"
	CmdReleaseModel         = "releaseModel"
)

// Event names (§8).
const (
	EvHello               = "hello"
	EvReady               = "ready"
	EvResult              = "result"
	EvRemoting            = "remoting"
	EvAcquired            = "acquired"
	EvStateChanged        = "stateChanged"
	EvInitialized         = "initialized"
	EvPropertyChanged     = "propertyChanged"
	EvSignal              = "signal"
	EvInvoked             = "invoked"
	EvNodeError           = "nodeError"
	EvRemoteObjectAdded   = "remoteObjectAdded"
	EvRemoteObjectRemoved = "remoteObjectRemoved"
	EvLoadProgress        = "loadProgress"
	EvLoadSummary         = "loadSummary"
	EvUnsupported         = "unsupported"
	EvFatal               = "fatal"
	EvExiting             = "exiting"
	// EvModelChanged is a model replica's change (contract 3, §8.1).
	EvModelChanged = "modelChanged"
)

// Roles (§2).
const (
	RoleHost     = "host"
	RoleRegistry = "registry"
	RoleNode     = "node"
)

// Replica modes (--static, --dynamic).
const (
	ModeStatic  = "static"
	ModeDynamic = "dynamic"
)

// ModeName is the mode's name for a dynamic flag.
func ModeName(dynamic bool) string {
	if dynamic {
		return ModeDynamic
	}
	return ModeStatic
}

// Load modes (§9).
const (
	LoadProps    = "props"
	LoadSignals  = "signals"
	LoadPayload  = "payload"
	LoadBoth     = "both"
	LoadReceive  = "receive"
	LoadReplicas = "replicas"
	LoadCalls    = "calls"
)
