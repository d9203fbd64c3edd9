// sv.cpp: which QVariant encodings differ between QDataStream version 20 (Qt_6_0..6_4) and this Qt's default?
#include <QtCore>
#include <QtGui>
static QByteArray enc(const QVariant &v, int ver) {
    QByteArray ba; QDataStream ds(&ba, QIODevice::WriteOnly);
    ds.setVersion(ver); ds.setByteOrder(QDataStream::LittleEndian); ds << v; return ba;
}
int main(int argc, char **argv) {
    QGuiApplication::setAttribute(Qt::AA_Use96Dpi);
    QCoreApplication app(argc, argv);
    QList<QPair<const char*, QVariant>> vs = {
        {"int", 1}, {"double", 1.5}, {"QString", QString("a")}, {"QByteArray", QByteArray("a")},
        {"QDateTime UTC", QDateTime(QDate(2020,1,2), QTime(1,2,3,4), QTimeZone::UTC)},
        {"QDateTime local", QDateTime(QDate(2020,1,2), QTime(1,2,3,4))},
        {"QDateTime offset", QDateTime(QDate(2020,1,2), QTime(1,2,3,4), QTimeZone::fromSecondsAheadOfUtc(3600))},
        {"QDateTime Berlin", QDateTime(QDate(2020,1,2), QTime(1,2,3,4), QTimeZone("Europe/Berlin"))},
        {"QDateTime invalid", QDateTime()}, {"QDate", QDate(2020,1,2)}, {"QTime", QTime(1,2,3,4)},
        {"QTimeZone", QVariant::fromValue(QTimeZone("Europe/Berlin"))},
        {"QLocale", QLocale("de_DE")}, {"QUrl", QUrl("tcp://1.2.3.4:5")}, {"QUuid", QUuid::createUuidV5(QUuid(), QString("x"))},
        {"QRegularExpression", QRegularExpression("a+")}, {"QJsonValue", QVariant::fromValue(QJsonValue(1))},
        {"QJsonObject", QJsonObject{{"a",1}}}, {"QCborValue", QVariant::fromValue(QCborValue(1))},
        {"QBitArray", QBitArray(3, true)}, {"QEasingCurve", QEasingCurve(QEasingCurve::InQuad)},
        {"QSize", QSize(1,2)}, {"QRectF", QRectF(1,2,3,4)}, {"QLineF", QLineF(1,2,3,4)},
        {"QVariantList", QVariantList{1,"a"}}, {"QVariantMap", QVariantMap{{"k",1}}}, {"QStringList", QStringList{"a"}},
        {"qfloat16", QVariant::fromValue(qfloat16(1.5))}, {"float", 1.5f}, {"char16_t", QVariant::fromValue(char16_t(65))},
        {"QColor", QColor(1,2,3)}, {"QFont", QFont("Sans", 10)}, {"QKeySequence", QKeySequence("Ctrl+A")},
        {"QPolygon", QPolygon({QPoint(1,2)})}, {"QTransform", QTransform()}, {"QPen", QPen(Qt::red)},
        {"QBrush", QBrush(Qt::red)}, {"QIcon-less QImage null", QImage()}, {"QRegion", QRegion(1,2,3,4)},
        {"QMatrix4x4", QMatrix4x4()}, {"QVector3D", QVector3D(1,2,3)}, {"QCursor?", QVariant()},
    };
    printf("default stream version %d\n", QDataStream().version());
    for (auto &p : vs) {
        QByteArray a = enc(p.second, 20), b = enc(p.second, QDataStream().version());
        printf("%-22s %s\n", p.first, a == b ? "same" : ("DIFF\n   v20: " + a.toHex(' ') + "\n   vD : " + b.toHex(' ')).constData());
    }
    return 0;
}
