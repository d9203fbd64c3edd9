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
// spelled "IndexList", "QVector<int>", "QIntHash" in Qt 5.15 and
// "QList<ModelIndex>", "QList<int>", "QHash<int,QByteArray>" in Qt 6.4.
//
// The specification is Qt's own source (qtremoteobjects:
// src/remoteobjects/qremoteobjectabstractitemmodeladapter*,
// qremoteobjectabstractitemmodelreplica*), versions 5.15 and 6.4.
//
// What is here: list and table models (rows under the root) and the
// current index (Remoted.SetCurrentIndex, Replica.SetCurrentIndex). A
// host answers requests about trees (paths below the root), but
// TableModel has none and Replica reads rows under the root only;
// selections other than the current index are not remoted (nor are they
// by Qt).
package model
