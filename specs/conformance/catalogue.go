package conformance

import (
	"fmt"
	"sort"
	"strings"
)

// Level is how strongly a requirement binds, after RFC 2119.
type Level string

// Levels. A failed MUST fails the run; a failed SHOULD fails it only with
// --strict; INFORMATIONAL cases record behaviour and never fail.
const (
	Must          Level = "MUST"
	Should        Level = "SHOULD"
	Informational Level = "INFORMATIONAL"
)

// Role is the role the implementation under test plays in a requirement.
type Role string

// Roles.
const (
	RoleHost     Role = "host"     // the target remotes sources; the suite is the client
	RoleReplica  Role = "replica"  // the target acquires replicas; the suite is the host
	RoleRegistry Role = "registry" // the target is a registry
)

// Requirement is one numbered statement of the catalogue.
type Requirement struct {
	ID     string // stable, e.g. "HS-1"
	Level  Level
	Roles  []Role
	Text   string
	Source string // where it comes from: Qt docs, Qt source (file), a capture, a Qt autotest
}

// Area groups requirements by the prefix of their IDs.
type Area struct {
	Prefix, Title string
}

// Areas in catalogue order.
var Areas = []Area{
	{"HS", "Handshake and protocol version"},
	{"FR", "Framing and encoding"},
	{"URL", "URLs and transports"},
	{"OBJ", "ObjectList, AddObject, RemoveObject"},
	{"INIT", "Initialisation (static and dynamic replicas)"},
	{"PROP", "Property changes, writes and notifications"},
	{"SLOT", "Slots and replies"},
	{"SIG", "Signals"},
	{"REG", "Registry"},
	{"HB", "Heartbeat"},
	{"RC", "Disconnect, reconnect and re-initialisation"},
	{"HI", "Hostile input"},
	{"MODEL", "Item models (QAbstractItemModel remoting)"},
	{"XT", "External transports: TLS and WebSocket"},
}

const (
	srcProto   = "QTRO-PROTOCOL.md"
	srcIO      = "Qt source: qremoteobjectsourceio.cpp (onServerRead)"
	srcNode    = "Qt source: qremoteobjectnode.cpp (onClientRead)"
	srcReplica = "Qt source: qremoteobjectreplica.cpp"
	srcReg     = "Qt source: qremoteobjectregistrysource.cpp, qremoteobjectregistry.cpp"
	srcXT      = "Qt examples: examples/remoteobjects/ssl, examples/remoteobjects/websockets"
	srcMA      = "Qt source: qremoteobjectabstractitemmodeladapter.cpp"
	srcMR      = "Qt source: qremoteobjectabstractitemmodelreplica.cpp"
	srcMV      = "tst_modelview"
)

// Catalogue is every requirement the suite checks.
var Catalogue = []Requirement{
	// Handshake
	{"HS-1", Must, host, "On a new connection the host sends a Handshake packet first, whose name is its protocol version: \"QtRO 1.3\" (Qt 5.15) or \"QtRO 2.0\" (Qt 6.4).", srcProto + " §4.1, §7.1; captures qt*_dynamic_demo_rawclient.txt"},
	{"HS-2", Must, host, "Right after the Handshake, without waiting for the client, the host sends an ObjectList of every source it remotes (possibly empty).", srcProto + " §7.1; " + srcIO},
	{"HS-3", Must, replica, "A replica node that receives a Handshake with another protocol version reports ProtocolMismatch, closes the connection, initialises no replica and does not reconnect.", srcNode + "; ANCHORS E1; Qt docs (QRemoteObjectNode::ProtocolMismatch)"},
	{"HS-4", Must, replica, "A replica node whose first packet from the host is not a Handshake reports ProtocolMismatch, closes the connection and does not reconnect.", srcNode},
	{"HS-5", Must, replica, "A replica node never accepts a host of the other dialect (wrong byte order and version): no replica becomes Valid and no AddObject is sent. (Qt neither reports an error nor closes: it reads the other byte order's size as ~369 MB and waits.)", srcProto + " §0, §12; ANCHORS E1"},
	{"HS-6", Should, host, "A host ignores a Handshake sent by a client and keeps serving the connection.", srcProto + " §7.1 (verified)"},
	{"HS-7", Must, replica, "A client never sends a Handshake.", srcProto + " §7.1"},

	// Framing
	{"FR-1", Must, both, "Every frame's u32 size counts exactly the bytes after it (type and body); frames are never padded.", srcProto + " §1.2"},
	{"FR-2", Must, both, "Size, packet type and QString code units use the dialect's byte order: big-endian for Qt 5, little-endian for Qt 6; nested QRO_ blobs are big-endian in both.", srcProto + " §0, §1.2, §4.8"},
	{"FR-3", Must, both, "Every packet body parses completely, with no trailing bytes, with the field layout of its type.", srcProto + " §1.3, §4"},
	{"FR-4", Must, both, "Enums are sent as integer QVariants, never as enum-typed user types.", srcProto + " §3.3"},
	{"FR-5", Must, both, "A user type is sent with the dialect's user type id (1024 / 65536) followed by its registered name as a NUL-terminated byte array.", srcProto + " §3"},
	{"FR-6", Should, host, "A host sends a property change and its notify signal in one write (a burst of changes is not one write per packet).", srcProto + " §4.7, §7.2"},

	// URLs
	{"URL-1", Must, host, "A host listening on tcp://127.0.0.1:0 accepts QtRO connections on the port it reports.", srcProto + " §10.1"},
	{"URL-2", Must, host, "local:NAME listens on a Unix-domain socket in the temporary directory ($TMPDIR, else /tmp) under NAME.", srcProto + " §10.1 (verified)"},
	{"URL-3", Must, host, "local:/absolute/path listens on that path.", srcProto + " §10.1 (verified)"},
	{"URL-4", Should, host, "localabstract:NAME listens in the Linux abstract namespace (Qt 6 only; a Qt 5 implementation may report it unsupported).", srcProto + " §10.1; QTBUG-96006"},
	{"URL-5", Must, host, "A URL with an unknown scheme is refused with HostUrlInvalid.", srcProto + " §10.2; tst_integration SchemeTest, invalidUrlsTest"},
	{"URL-6", Must, host, "Listening on a TCP port already in use fails with ListenFailed.", srcProto + " §10.2; tst_integration tcpListenFailedTest"},
	{"URL-7", Should, host, "A host takes over a stale local socket file left by a dead host.", srcProto + " §10.1; tst_integration localServerConnectionTest2"},
	{"URL-8", Must, replica, "A replica started before its host connects once the host appears (retrying the connection).", "tst_integration clientBeforeServerTest; " + srcProto + " §7.5"},
	{"URL-9", Informational, host, "Behaviour for tcp:// without a port (Qt listens on 65535).", srcProto + " §10.1 (verified)"},

	// ObjectList / AddObject / RemoveObject
	{"OBJ-1", Must, host, "ObjectList entries carry the source name, its type name (null for a plain QObject) and its class signature: 40 lowercase hex chars for repc classes, none for the others (sent as a null QByteArray: OBJ-12).", srcProto + " §4.2"},
	{"OBJ-2", Must, host, "When a source is enabled, the host sends an ObjectList with just that source to every connection.", srcProto + " §7.2; " + srcIO + " (enableRemoting)"},
	{"OBJ-3", Must, host, "AddObject(name, false) is answered with an InitPacket for that source.", srcProto + " §4.3, §7.1"},
	{"OBJ-4", Must, host, "AddObject(name, true) is answered with an InitDynamicPacket for that source.", srcProto + " §4.3, §7.1"},
	{"OBJ-5", Should, host, "AddObject for an unknown name gets no reply and the connection stays usable.", srcIO + "; " + srcProto + " §11"},
	{"OBJ-6", Must, host, "When a source is disabled, every connection that added it gets RemoveObject(name).", srcProto + " §4.4, §7.2"},
	{"OBJ-7", Informational, host, "Connections that never added a disabled source are not sent RemoveObject (Qt behaviour).", srcProto + " §7.4"},
	{"OBJ-8", Must, host, "After RemoveObject from a client, the host sends that client no more changes of the source.", srcIO},
	{"OBJ-9", Must, replica, "A replica node sends AddObject for a source it wants when the source appears in an ObjectList, with isDynamic set for dynamic replicas.", srcNode + " (handleReplicaConnection); " + srcProto + " §7.1"},
	{"OBJ-10", Must, replica, "A replica whose source is removed (RemoveObject) becomes Suspect; when the source is enabled again it is re-acquired and becomes Valid.", srcNode + "; " + srcProto + " §7.4"},
	{"OBJ-11", Must, replica, "Releasing the last replica of a source sends RemoveObject(name).", srcProto + " §7.3"},
	{"OBJ-12", Should, host, "A source without a repc class signature (a QObject remoted through the dynamic API, a model, the registry) is listed with a null QByteArray signature (ff ff ff ff), not an empty one. (Qt replicas treat an empty signature like a null one, so this is byte fidelity, not interoperability.)", srcProto + " §4.2; docs/evidence/qt-init-value-count.md; Qt source: qremoteobjectnode.cpp (checkSignatures)"},

	// Initialisation
	{"INIT-1", Must, host, "An InitPacket holds one value per property of the static API, in property order.", srcProto + " §5.3"},
	{"INIT-2", Must, host, "Init values use Qt's encodings for every type of the test object (ints of all widths, float as double, QString null vs empty, QByteArray, containers, QDateTime, QUrl, geometry, enum as int, POD as user type with one QVariant per field).", srcProto + " §2, §3, §5.3; ANCHORS E7"},
	{"INIT-3", Must, host, "An InitDynamicPacket's class definition lists the properties (name, type, notify signature), signals, methods (with return types and parameter names), enums and PODs of the source, in wire-index order.", srcProto + " §6"},
	{"INIT-4", Must, host, "A CLASS member is sent as a QRO_ descriptor named Class::<prop> (Qt 5) or Class::<source>::<prop> (Qt 6), carrying the child's property values.", srcProto + " §4.8; tst_subclassreplica"},
	{"INIT-5", Must, replica, "A static replica starts Default with its .rep defaults and becomes Valid with the host's values after Init.", "tst_integration defaultValueTest, basicTest; " + srcReplica},
	{"INIT-6", Must, replica, "A dynamic replica starts Uninitialized and becomes Valid with the members and values of the InitDynamicPacket.", "tst_integration dynamicReplicaTest, rawDynamicReplicaTest"},
	{"INIT-7", Must, replica, "A static replica whose signature differs from the ObjectList signature goes to SignatureMismatch and sends no AddObject.", srcNode + "; ANCHORS E2; repc tst_signature"},
	{"INIT-8", Must, host, "The class signature in ObjectList equals the one repc generates for the .rep file of the dialect (v1 for Qt 5.15, v2 for Qt 6.4).", srcProto + " §8"},
	{"INIT-9", Must, replica, "A replica decodes every value type of the test object as the host sent it (values observed through the adapter).", srcProto + " §2, §3; ANCHORS E7"},
	{"INIT-10", Should, replica, "After a re-initialisation a static replica does not notify unchanged properties of built-in value types (Qt may re-notify unchanged enum, POD and CLASS properties: it compares converted values with raw wire values, and re-creates child replicas).", srcReplica + " (initialize); ANCHORS E5"},
	{"INIT-11", Must, host, "An InitDynamicPacket carries exactly one value per property of its class definition, in property order. (A real Qt 5.15 or 6.4 replica given fewer values reads past the end of its value list and crashes.)", srcProto + " §5.3, §6; docs/evidence/qt-init-value-count.md"},
	{"INIT-12", Must, host, "Every Init and InitDynamic value has its property's declared type: that built-in type, an integer for an enum, the POD's user type for a gadget, a QRO_ descriptor for a QObject*; only a QVariant property may hold any type.", srcProto + " §3, §5.3, §6"},
	{"INIT-13", Must, host, "An InitDynamicPacket's class definition is well formed: every signal and method signature is a normalised name(types) with one parameter name per parameter, property names are unique and non-empty, and each notify signature is one of the class's signals.", srcProto + " §6; Qt source: qremoteobjectpackets.cpp (serializeDefinition)"},

	// Properties
	{"PROP-1", Must, host, "A source property change is sent as PropertyChangePacket(name, index, value) immediately followed by InvokePacket(name, 0, notify signal index, [value], -1, property index).", srcProto + " §4.7, §7.2; captures"},
	{"PROP-2", Should, host, "Setting a property to its current value sends nothing.", "repc-generated setters; " + srcProto + " §7.2"},
	{"PROP-3", Must, host, "Changes reach each replica in the order they were made, with none lost or duplicated, while the replica is Valid.", "QRemoteObjectReplica docs; ANCHORS E12"},
	{"PROP-4", Must, host, "An Invoke with call=2 (WriteProperty) on a writable property updates the source, and the change comes back as PropertyChange + notify.", srcIO + "; " + srcProto + " §7.3; tst_integration setterTest"},
	{"PROP-5", Must, host, "Calling a push slot (push<Prop>) sets the property and notifies every replica.", srcProto + " §5.2; tst_integration pushTest"},
	{"PROP-6", Informational, host, "Behaviour for a write (call=2) to a READONLY or CONSTANT property.", srcIO},
	{"PROP-7", Must, replica, "A replica applies PropertyChange packets and reports the new values, in order.", srcNode + "; tst_integration notifyTest, dynamicNotifyTest"},
	{"PROP-8", Must, replica, "A replica writes a READWRITE property by sending Invoke(call=2, property index, [value], -1, -1).", srcProto + " §7.3"},
	{"PROP-9", Must, host, "A property never changed after Init is not sent again: CONSTANT properties have no notify signal.", srcProto + " §7.2"},

	// Slots
	{"SLOT-1", Must, host, "An Invoke with serial ≥ 0 is answered with InvokeReply(name, serial, return value).", srcIO + "; " + srcProto + " §4.6"},
	{"SLOT-2", Must, host, "A void method called with a serial is answered with an invalid QVariant.", srcProto + " §4.6, §7.3"},
	{"SLOT-3", Must, host, "An Invoke with serial -1 gets no reply.", srcIO},
	{"SLOT-4", Should, host, "An Invoke with an out-of-range method index gets no reply (even with a serial) and the connection stays usable.", srcIO + "; ANCHORS E9"},
	{"SLOT-5", Must, host, "Slot arguments and return values keep their types (int, QString, POD, enum as int, QVariant).", "tst_integration slotTest*, slotWithUserReturnTypeTest"},
	{"SLOT-6", Must, replica, "A replica calling a non-void slot sends a serial ≥ 1, increasing per call; a void slot is sent with serial -1.", srcProto + " §7.3"},
	{"SLOT-7", Must, replica, "A replica delivers the InvokeReply value to the pending call with the same serial.", srcNode},

	// Signals
	{"SIG-1", Must, host, "A signal is sent as Invoke(name, 0, signal index, args, -1, -1).", srcProto + " §4.5, §7.2"},
	{"SIG-2", Must, host, "Signal arguments are encoded with their declared types (several args, enum, POD, containers).", srcProto + " §4.5; tst_integration_multiprocess testEnumParamsInSignals"},
	{"SIG-3", Must, replica, "A replica delivers signals with their arguments.", srcNode},

	// Registry
	{"REG-1", Must, registry, "A registry remotes a source named \"Registry\" with type name \"Registry\" and no signature.", srcProto + " §9.1 (verified)"},
	{"REG-2", Must, registry, "The registry's InitPacket carries the source location table as its only property value.", srcProto + " §9.1, §9.2"},
	{"REG-3", Must, registry, "addSource(location) stores the entry and emits remoteObjectAdded(location) to every connection that acquired the registry.", srcReg + "; " + srcProto + " §9.2"},
	{"REG-4", Must, registry, "A second addSource for a name already present is ignored (first registration wins).", srcReg},
	{"REG-5", Must, registry, "removeSource(location) removes the entry only if name and host URL match, and emits remoteObjectRemoved.", srcReg},
	{"REG-6", Must, registry, "When a host's connection to the registry closes, its entries are removed.", srcIO + " (onServerDisconnect); " + srcProto + " §9.3"},
	{"REG-7", Informational, registry, "Whether remoteObjectRemoved is emitted when a host's entries are removed because it disconnected (Qt: no).", srcProto + " §9.3"},
	{"REG-8", Must, host, "A host with a registry URL acquires \"Registry\" (static) and calls addSource for each of its sources once the registry replica is Valid.", srcProto + " §9.2 (verified)"},
	{"REG-9", Must, host, "A host calls removeSource when a source is disabled.", srcProto + " §9.2 (verified)"},
	{"REG-10", Must, replica, "A node with a registry URL acquires a source by name through the registry and connects to the host URL the registry gives.", srcProto + " §9.2; tst_integration registryTest"},
	{"REG-11", Must, replica, "A node whose registry starts late finds sources once it is up.", "tst_integration delayedRegistryTest; ANCHORS E6"},

	// Heartbeat
	{"HB-1", Must, host, "A host answers every Ping(name) with Pong(name), also for names it does not know.", srcIO + "; " + srcProto + " §4.10"},
	{"HB-2", Must, replica, "With a heartbeat interval set, a replica sends Ping(its name) when it has sent nothing for an interval (a CLASS child replica pings under its own child name too).", srcProto + " §7.6 (verified)"},
	{"HB-3", Must, replica, "A replica whose Ping is unanswered for an interval drops the connection and goes Suspect (within 2× the interval).", srcProto + " §7.6 (verified); ANCHORS E3"},
	{"HB-4", Should, replica, "Under a steady stream of updates and answered Pings a replica does not flap Valid → Suspect.", "ANCHORS E3 (860e3489)"},

	// Reconnect
	{"RC-1", Must, replica, "A replica connected with connectToNode reconnects after the host restarts on the same URL, and becomes Valid again with the host's current values (full re-init).", srcProto + " §7.5; tst_reconnect; ANCHORS E4, E5"},
	{"RC-2", Must, replica, "Pending and later updates after re-init arrive in order with no loss.", "ANCHORS E12"},

	// Hostile input
	{"HI-1", Must, host, "A frame whose size field is 0xFFFFFFFF neither crashes the host nor stops it serving other connections.", "ANCHORS E11; " + srcProto + " §11"},
	{"HI-2", Must, host, "A frame shorter than its fields does not crash the host; other connections keep working.", srcProto + " §11"},
	{"HI-3", Informational, host, "Behaviour after an unknown packet type (Qt desynchronises; qtro skips by length).", "ANCHORS E10; " + srcProto + " §11"},
	{"HI-4", Must, host, "Deeply nested QVariantLists in an Invoke do not crash the host.", "ANCHORS E7, E11"},
	{"HI-5", Must, host, "An Invoke carrying an unregistered user type does not crash the host.", srcProto + " §3, §11"},
	{"HI-6", Must, replica, "A replica node survives a host that sends an unknown packet type or garbage: it does not crash (it may drop the connection).", srcProto + " §11"},
	{"HI-7", Must, host, "An Invoke on a source the host does not remote (\"Registry\") with no arguments does not crash the host; it keeps answering fresh clients. (Qt 5.15 and 6.4 hosts segfault.)", "qtro fuzz; fixtures/crashes/*-registry-invoke-noargs.txt; docs/PROTOCOL-ERRATA.md"},
	{"HI-8", Must, host, "An Invoke of a declared slot with fewer arguments than it has parameters (add(int,int) with none) does not crash the host; it keeps answering fresh clients. (Qt 5.15 and 6.4 hosts segfault.)", "qtro fuzz; fixtures/crashes/*-add-noargs.txt; docs/PROTOCOL-ERRATA.md"},
	{"HI-9", Must, host, "An Invoke whose argument is a QVariantList nested 40,000 deep does not crash the host; it keeps answering fresh clients. (Qt 5.15 and 6.4 recurse once per level and overflow the stack.)", "qtro fuzz; fixtures/crashes/*-deep-nesting.txt; docs/PROTOCOL-ERRATA.md"},
	{"HI-10", Must, host, "An Invoke frame whose body ends after the object name (its size field consistent) does not crash the host; it keeps answering fresh clients. (Qt 5.15 and 6.4 hosts segfault.)", "qtro fuzz (random frames, minimised); fixtures/crashes/*-invoke-name-only.txt; docs/PROTOCOL-ERRATA.md"},
	{"HI-11", Must, replica, "A replica node survives a PropertyChange of a property index its class does not have (one past the last), in every replica kind it runs: it does not crash and keeps answering. (Qt 5.15 and 6.4 dynamic replicas segfault.)", "qtro fuzz --role replica; fixtures/crashes/*-replica-dynamic-property-index.txt; docs/PROTOCOL-ERRATA.md"},
	{"HI-12", Must, replica, "A replica node survives an Invoke of a signal with parameters that carries no arguments, in every replica kind it runs. (Qt 5.15 and 6.4 static replicas segfault.)", "qtro fuzz --role replica; fixtures/crashes/*-replica-static-signal-noargs.txt; docs/PROTOCOL-ERRATA.md"},
	{"HI-13", Must, replica, "A replica node survives an Init (or InitDynamic) that carries one value fewer than the class has properties, in every replica kind it runs. (Qt 5.15 and 6.4 replicas segfault.)", "qtro fuzz --role replica; fixtures/crashes/*-replica-*-init-short.txt; docs/PROTOCOL-ERRATA.md"},
	{"HI-14", Must, replica, "A replica node survives a PropertyChange whose value is a QVariantList nested 40,000 deep, in every replica kind it runs. (Qt 5.15 and 6.4 replicas recurse once per level and overflow the stack.)", "qtro fuzz --role replica; fixtures/crashes/*-replica-static-deep-nesting.txt; docs/PROTOCOL-ERRATA.md"},

	// Item models (contract 3 adapters; specs/ADAPTER.md §6.5)
	{"MODEL-1", Must, host, "A model remoted with enableRemoting(model, name, roles) is listed in ObjectList under its name with type name \"QAbstractItemModelAdapter\", and AddObject(name, false) is answered with an Init whose values are availableRoles (the roles given, in order) and roleNames (naming the model's roles).", srcMA + " (QAbstractItemAdapterSourceAPI); qremoteobjectabstractitemmodeltypes_p.h; fixtures/golden/qt*_model_proxy"},
	{"MODEL-2", Must, host, "replicaSizeRequest with the root (an empty index list) is answered with QSize(columns, rows) of the model.", srcMA + " (replicaSizeRequest); " + srcMV + " testEmptyModel, testInitialData"},
	{"MODEL-3", Must, host, "replicaRowRequest(start, end, roles) is answered with one entry per item from start to end, row by row, each with its index path, the values of the roles asked for in that order, and its flags; an empty role list means the available roles.", srcMA + " (replicaRowRequest); " + srcMV + " testInitialData, testFlags"},
	{"MODEL-4", Must, host, "A host sends item data only when a replica asks for it: after the Init of a 1,000-row model nothing arrives unasked, and the rows asked for later (the last ones) come with their data.", srcMA + " (no slot sends data unasked); " + srcMR + " (fetchPendingData)"},
	{"MODEL-5", Must, host, "dataChanged carries only the changed roles that are among the available roles; a change of a role that is not available sends no dataChanged.", srcMA + " (sourceDataChanged, filterRoles)"},
	{"MODEL-6", Must, host, "The model's changes reach a replica as adapter signals in the order the model made them (dataChanged, rowsInserted, dataChanged, rowsRemoved), each with the model's index paths and ranges.", srcMA + " (source* slots emit at once); " + srcMV + " testDataChanged, testDataInsertion, testDataRemoval"},
	{"MODEL-7", Must, host, "Rows inserted at the top, in the middle and at the end are signalled as rowsInserted(parent, first, last), and later size and row requests see them at those positions.", srcMA + " (sourceRowsInserted); " + srcMV + " testDataInsertion"},
	{"MODEL-8", Must, host, "Rows removed at the top, in the middle and at the end are signalled as rowsRemoved(parent, first, last), and later size and row requests no longer see them.", srcMA + " (sourceRowsRemoved); " + srcMV + " testDataRemoval"},
	{"MODEL-9", Must, host, "Rows moved (to the end, to the top, past the last row) are signalled as rowsMoved(parent, first, last, destination parent, destination row), the third argument being the last row moved, and later row requests see the new order.", srcMA + " (sourceRowsMoved); docs/PROTOCOL-ERRATA.md (Item models)"},
	{"MODEL-10", Must, host, "Nested rows: an item with children is sent with hasChildren set; a size request for it gives its children's rows and columns, and a row request under it gives the children with two-step index paths.", srcMA + " (replicaSizeRequest, replicaRowRequest with a parent); " + srcMV + " testInitialDataTree"},
	{"MODEL-11", Must, host, "A header change is signalled as headerDataChanged(orientation, first, last), and replicaHeaderRequest(orientations, sections, roles) is answered with the header values, one per section asked for.", srcMA + " (replicaHeaderRequest); " + srcMV + " testHeaderData, testHeaderDataChange"},
	{"MODEL-12", Must, host, "A model remoted with a selection model signals currentChanged(current, previous) to every replica when its current index changes, whether the host's application or a replica (replicaSetCurrentIndex) changed it.", srcMA + " (sourceCurrentChanged, replicaSetCurrentIndex); " + srcMV + " testSelectionFromReplica, testSelectionFromSource"},
	{"MODEL-13", Must, host, "A model reset is signalled as resetModel, after which size and row requests see the new rows.", srcMA + " (modelReset connected to resetModel)"},
	{"MODEL-14", Must, host, "replicaCacheRequest(size, roles), the PrefetchData request, is answered with the first size items row by row, with the roles given, and the root's size.", srcMA + " (replicaCacheRequest, fetchTree); " + srcMV + " testCacheData"},
	{"MODEL-15", Must, host, "A row request whose range ends far past the last row (row 2^31-1) is answered with the existing rows only, one that starts past the last row with no items, and the host keeps serving.", srcMA + " (replicaRowRequest clamps the end row)"},
	{"MODEL-16", Must, host, "A request naming an item the model does not have (replicaSizeRequest of row 99 of a 5-row model) does not stop the host: it keeps answering fresh clients. (Qt 5.15 and 6.x model hosts abort: qFatal in toQModelIndex.)", srcMA + " (toQModelIndex); docs/PROTOCOL-ERRATA.md (Item models); interop/model TestQtHostAbortsOnPathToNoItem"},
	{"MODEL-17", Must, replica, "A replica acquired with acquireModel (FetchRootSize) reports the host's row and column counts, available roles and role names once initialised, and rows read through it carry the host's values for every available role.", srcMR + " (init, data); " + srcMV + " testInitialData, testRoleNames"},
	{"MODEL-18", Must, replica, "With FetchRootSize a replica asks for no item data until rows are read, and then only for rows near those read, not the whole model.", srcMR + " (initialize: replicaSizeRequest only; multiData, fetchPendingData)"},
	{"MODEL-19", Must, replica, "With PrefetchData and a roles hint a replica asks for the first items with the hinted roles when it initialises (replicaCacheRequest), so reading those rows and roles needs no further request.", srcMR + " (init with PrefetchData); " + srcMV + " testCacheData"},
	{"MODEL-20", Must, replica, "Rows inserted, removed and moved at the host (top, middle, end) are reported by the replica in the order they were made, with the host's ranges, and its row count (and, after inserts and removals, the rows read) match the host.", srcMR + " (onRowsInserted, onRowsRemoved, onRowsMoved); " + srcMV + " testDataInsertion, testDataRemoval"},
	{"MODEL-21", Must, replica, "A value changed at the host reaches a replica that holds the row: it reports dataChanged for the row and reading it gives the new value.", srcMR + " (onDataChanged refetches); " + srcMV + " testDataChanged"},
	{"MODEL-22", Must, replica, "A replica reads header values from the host (replicaHeaderRequest) and reports headerDataChanged when the host changes one.", srcMR + " (headerData, onHeaderDataChanged); " + srcMV + " testHeaderDataChange"},
	{"MODEL-23", Must, replica, "A replica reports the host's current index (currentChanged) and sends its own current index to the host (replicaSetCurrentIndex), which then has it.", srcMR + " (onCurrentChanged, setCurrentIndex); " + srcMV + " testSelectionFromSource, testSelectionFromReplica"},
	{"MODEL-24", Must, replica, "After a model reset at the host a replica reports modelReset and then the host's new row count and rows.", srcMR + " (onModelReset)"},
	{"MODEL-25", Must, replica, "A replica whose host restarts on the same URL with other rows re-initialises: its row count and the rows read match the new host.", srcMR + " (initialize on every Init); " + srcProto + " §7.5"},
	{"MODEL-26", Should, replica, "After rows move at the host, the rows a replica reads are in the host's new order. (Qt 5.15 and 6.x replicas clear only the moved rows' old and new positions and keep the rows in between where they were: they read stale rows.)", srcMR + " (onRowsMoved); docs/PROTOCOL-ERRATA.md (Item models)"},
	{"MODEL-27", Must, replica, "A replica survives a host signalling rowsRemoved of rows it does not have (rows 50..60 of 5): it does not crash, keeps answering, and after the host's next reset reads the host's rows.", srcMR + " (onRowsRemoved); docs/PROTOCOL-ERRATA.md (Item models)"},
	{"MODEL-28", Must, replica, "A replica survives a host signalling dataChanged of rows 0..2^31-1 of 5: it does not crash or stall, keeps answering, and after the host's next reset reads the host's rows.", srcMR + " (onDataChanged, clearCache); impl/model TestReplicaOfHostileHost"},
	// External transports (contract 3: tls+tcp, ws, wss; specs/ADAPTER.md §2.2, §11)
	{"XT-1", Must, host, "A host on tls+tcp completes the TLS handshake with a client that trusts its certificate, then speaks QtRO as over tcp: Handshake with its protocol version, ObjectList, and an Init for AddObject.", srcXT + " (ssl example: QSslServer -> addHostSideConnection); " + srcProto + " §7.1"},
	{"XT-2", Must, host, "A client on a tls+tcp port that sends QtRO bytes without TLS gets no QtRO data, and the host keeps serving TLS clients.", srcXT + " (ssl example: only encrypted sockets are added)"},
	{"XT-3", Must, replica, "A node told to connect over tls+tcp to a host whose certificate no CA it trusts signed makes the connection attempt, fails the TLS handshake, and initialises no replica.", srcXT + " (sslcppclient: QSslSocket verifies the peer)"},
	{"XT-4", Must, host, "A host on ws carries its QtRO stream in binary WebSocket messages only; their payloads, concatenated, are the frames it sends over tcp (Handshake, ObjectList).", srcXT + " (websockets example: WebSocketIoDevice::writeData -> sendBinaryMessage)"},
	{"XT-5", Must, host, "A host on ws reads the QtRO stream across message boundaries: an AddObject sent one byte a message is answered with an Init, and two Pings in one message with two Pongs.", srcXT + " (WebSocketIoDevice appends every binary message to one buffer)"},
	{"XT-6", Should, host, "A host on ws answers an HTTP request that is not a WebSocket upgrade with an HTTP error status, and keeps serving WebSocket clients.", srcXT + " (QWebSocketServer rejects a non-upgrade request); RFC 6455 §4.2.1"},
	{"XT-7", Informational, host, "What a host on ws does with a text message (no QtRO peer sends one): Qt's example device ignores it (only binaryMessageReceived is connected); the Go node closes with status 1003.", srcXT + " (websockets example)"},
	{"XT-8", Must, replica, "A node connects over ws and over wss to a host, sends AddObject in binary messages, and its replica becomes Valid on the host's Init.", srcXT + " (wsclient: QWebSocket -> addClientSideConnection)"},
	{"XT-9", Must, host, "A host on wss completes TLS, then the WebSocket upgrade, then sends its Handshake and ObjectList in binary messages.", srcXT + " (websockets example, SecureMode)"},
}

var (
	host     = []Role{RoleHost}
	replica  = []Role{RoleReplica}
	registry = []Role{RoleRegistry}
	both     = []Role{RoleHost, RoleReplica}
)

// Lookup returns the requirement with id.
func Lookup(id string) (Requirement, bool) {
	for _, r := range Catalogue {
		if r.ID == id {
			return r, true
		}
	}
	return Requirement{}, false
}

// Markdown renders the catalogue as specs/REQUIREMENTS.md.
func Markdown() string {
	var b strings.Builder
	b.WriteString("# QtRO conformance requirements\n\n")
	b.WriteString("Generated from `specs/conformance/catalogue.go` (`qtro conformance --list --format md`);\n")
	b.WriteString("a test fails when this file is stale. Each requirement has a stable ID, a level (RFC 2119: MUST,\n")
	b.WriteString("SHOULD; INFORMATIONAL cases record behaviour and never fail), the role the implementation under test\n")
	b.WriteString("plays, and its source. Select requirements with Ginkgo labels, e.g. `--label-filter 'HS-1 || area:REG'`.\n\n")
	for _, a := range Areas {
		fmt.Fprintf(&b, "## %s: %s\n\n| ID | Level | Role | Requirement | Source |\n|---|---|---|---|---|\n", a.Prefix, a.Title)
		for _, r := range Catalogue {
			if areaOf(r.ID) != a.Prefix {
				continue
			}
			roles := make([]string, len(r.Roles))
			for i, ro := range r.Roles {
				roles[i] = string(ro)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", r.ID, r.Level, strings.Join(roles, ", "),
				strings.ReplaceAll(r.Text, "|", "\\|"), strings.ReplaceAll(r.Source, "|", "\\|"))
		}
		b.WriteString("\n")
	}
	counts := map[Level]int{}
	for _, r := range Catalogue {
		counts[r.Level]++
	}
	levels := []string{}
	for l, n := range counts {
		levels = append(levels, fmt.Sprintf("%d %s", n, l))
	}
	sort.Strings(levels)
	fmt.Fprintf(&b, "%d requirements: %s.\n", len(Catalogue), strings.Join(levels, ", "))
	return b.String()
}

func areaOf(id string) string {
	i := strings.IndexByte(id, '-')
	if i < 0 {
		return id
	}
	return id[:i]
}
