// Package model remotes item models over QtRO, between Go and Qt: Remote
// gives a Go ItemModel to replicas the way
// QRemoteObjectHostBase::enableRemoting(QAbstractItemModel*, name, roles)
// does, and Acquire reads a remote model the way
// QRemoteObjectNode::acquireModel does (QAbstractItemModelReplica).
//
// On the wire a remoted model is an ordinary QtRO source of class
// "QAbstractItemModelAdapter" (Qt's QAbstractItemModelSourceAdapter): two
// properties (availableRoles, roleNames), ten signals (dataChanged,
// rowsInserted, rowsRemoved, rowsMoved, currentChanged, modelReset,
// headerDataChanged, columnsInserted, layoutChanged and a notify signal)
// and six slots the replica calls to read the model (replicaSizeRequest,
// replicaRowRequest, replicaHeaderRequest, replicaCacheRequest) or to
// change it (replicaSetData, replicaSetCurrentIndex). Qt's replica
// acquires it as a static replica with no signature, so the member order
// below is the contract. The values are Qt's private model types
// (wire.ModelIndex lists, wire.DataEntries, wire.MetaAndDataEntries),
// spelled "IndexList", "QVector<int>", "QIntHash" in Qt 5.15,
// "QList<ModelIndex>", "QList<int>", "QHash<int,QByteArray>" in Qt 6.4
// and "QList<QtPrivate::ModelIndex>", "QtPrivate::DataEntries", … in
// Qt 6.8 and later; a Qt 6 connection uses its peer's spelling
// (node.RegisterQt6Spellings, WithQt6Spelling).
//
// The specification is Qt's own source (qtremoteobjects:
// src/remoteobjects/qremoteobjectabstractitemmodeladapter*,
// qremoteobjectabstractitemmodelreplica*), versions 5.15 to 6.8.
//
// What is here: list and table models (rows under the root), layout
// changes and inserted columns, and the current index
// (Remoted.SetCurrentIndex, Replica.SetCurrentIndex). A host answers
// requests about trees (paths below the root) of any ItemModel, but
// TableModel has none; Replica follows the rows under the root and reads
// the rows under an item on request (Children, uncached). Selections
// other than the current index are not remoted (nor are they by Qt).
package model
