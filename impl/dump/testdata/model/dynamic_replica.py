#!/usr/bin/env python3
"""A PyQt6 dynamic replica of the model "Model" (acquireDynamic), which makes Qt's host send the
adapter's class definition (InitDynamic). qt6_model_dynamic.pcap was recorded with
  tcpdump -i lo -U -s 0 -w qt6_model_dynamic.pcap "tcp port 36620" &
  build/qtapps/qt6/qtro-qtapp --model-host tcp://127.0.0.1:36620 Model &
  /usr/bin/python3 impl/dump/testdata/model/dynamic_replica.py tcp://127.0.0.1:36620
(Qt 6.4.2 on both sides; the replica then fails to load a QList<int>, which is PyQt's, not the
capture's, problem: the dump decodes every frame.)
"""
import sys
from PyQt6.QtCore import QCoreApplication, QUrl, QTimer
from PyQt6.QtRemoteObjects import QRemoteObjectNode
app = QCoreApplication(sys.argv)
node = QRemoteObjectNode()
node.connectToNode(QUrl(sys.argv[1]))
rep = node.acquireDynamic("Model")
def done():
    print("initialized", rep.isInitialized(), flush=True)
    QTimer.singleShot(300, app.quit)
rep.initialized.connect(done)
QTimer.singleShot(5000, app.quit)
app.exec()
