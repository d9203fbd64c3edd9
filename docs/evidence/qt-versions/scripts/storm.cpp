// storm.cpp host URL | nodes N URL: N QRemoteObjectNodes in one process, each connectToNode(URL) and
// acquire<SimpleReplica>(); prints how long creating them took, and when all (or how many) were Valid.
#include <QtCore>
#include <QtRemoteObjects>
#include "rep_simple6.h"
class Impl : public SimpleSimpleSource {
public:
    int add(int a, int b) override { return a + b; }
    void ping() override {}
};
static double cpuS() { return double(clock()) / CLOCKS_PER_SEC; }
int main(int argc, char **argv) {
    QCoreApplication app(argc, argv);
    if (QString::fromLatin1(argv[1]) == "host") {
        QRemoteObjectHost host{QUrl(QString::fromLatin1(argv[2]))};
        Impl src; host.enableRemoting(&src);
        QTimer::singleShot(int(QByteArray(argv[3]).toInt()), &app, [&]{ fprintf(stderr, "host cpu %.2f s\n", cpuS()); app.quit(); });
        return app.exec();
    }
    const int n = QByteArray(argv[2]).toInt(); QUrl url(QString::fromLatin1(argv[3]));
    QElapsedTimer t; t.start(); int valid = 0;
    QList<QRemoteObjectNode*> nodes; QList<SimpleReplica*> reps;
    double c0 = cpuS();
    for (int i = 0; i < n; ++i) {
        auto *node = new QRemoteObjectNode; node->connectToNode(url);
        auto *r = node->acquire<SimpleReplica>();
        QObject::connect(r, &SimpleReplica::initialized, [&]{ if (++valid == n) { printf("n=%d all Valid after %.2f s (cpu %.2f s)\n", n, t.elapsed()/1000.0, cpuS()-c0); app.quit(); } });
        nodes.append(node); reps.append(r);
        if (i + 1 == 1000 || i + 1 == n) printf("n=%d created %d after %.2f s (cpu %.2f s)\n", n, i + 1, t.elapsed()/1000.0, cpuS()-c0);
    }
    fflush(stdout);
    QTimer::singleShot(15000, &app, [&]{ printf("n=%d only %d Valid 15 s after creation (%.2f s total)\n", n, valid, t.elapsed()/1000.0); app.quit(); });
    return app.exec();
}
