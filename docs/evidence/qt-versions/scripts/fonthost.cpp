// fonthost.cpp URL: remotes "Demo", a QObject with one QFont property, so that the Init packet shows
// which QDataStream version QtRO writes with (QFont is 8 bytes longer at version >= 22 than at 20).
#include <QtGui>
#include <QtRemoteObjects>
class F : public QObject {
    Q_OBJECT
    Q_PROPERTY(QFont font READ font CONSTANT)
public:
    QFont font() const { return QFont(QStringLiteral("Sans"), 10); }
};
int main(int argc, char **argv) {
    QGuiApplication app(argc, argv);
    QRemoteObjectHost host(QUrl(QString::fromLatin1(argv[1])));
    F f; host.enableRemoting(&f, QStringLiteral("Demo"));
    QTimer::singleShot(2500, &app, &QCoreApplication::quit);
    return app.exec();
}
#include "fonthost.moc"
