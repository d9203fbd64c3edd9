package qds

import "strconv"

// TypeID is a QMetaType id as it appears in a QVariant. The QtCore ids are the
// same in Qt 5 and Qt 6; user types are announced by name (see User).
type TypeID uint32

// QtCore QMetaType ids (identical in Qt 5.15 and Qt 6.4).
const (
	Invalid            TypeID = 0
	Bool               TypeID = 1
	Int                TypeID = 2
	UInt               TypeID = 3
	LongLong           TypeID = 4
	ULongLong          TypeID = 5
	Double             TypeID = 6
	QChar              TypeID = 7
	QVariantMap        TypeID = 8
	QVariantList       TypeID = 9
	QString            TypeID = 10
	QStringList        TypeID = 11
	QByteArray         TypeID = 12
	QBitArray          TypeID = 13
	QDate              TypeID = 14
	QTime              TypeID = 15
	QDateTime          TypeID = 16
	QUrl               TypeID = 17
	QLocale            TypeID = 18
	QRect              TypeID = 19
	QRectF             TypeID = 20
	QSize              TypeID = 21
	QSizeF             TypeID = 22
	QLine              TypeID = 23
	QLineF             TypeID = 24
	QPoint             TypeID = 25
	QPointF            TypeID = 26
	QRegExp            TypeID = 27
	QVariantHash       TypeID = 28
	QEasingCurve       TypeID = 29
	QUuid              TypeID = 30
	Long               TypeID = 32
	Short              TypeID = 33
	Char               TypeID = 34
	ULong              TypeID = 35
	UShort             TypeID = 36
	UChar              TypeID = 37
	Float              TypeID = 38
	SChar              TypeID = 40
	QVariant           TypeID = 41
	QModelIndex        TypeID = 42
	QRegularExpression TypeID = 44
	QJsonValue         TypeID = 45
	QJsonObject        TypeID = 46
	QJsonArray         TypeID = 47
	QJsonDocument      TypeID = 48
	QByteArrayList     TypeID = 49
	Nullptr            TypeID = 51
	Char16             TypeID = 56
	Char32             TypeID = 57

	// User marks a user type sent by name. It is not a Qt id: the encoder
	// writes the stream's own marker (1024 in Qt 5, 65536 in Qt 6).
	User TypeID = 0xFFFFFFFF
)

var typeNames = map[TypeID]string{
	Invalid: "Invalid", Bool: "bool", Int: "int", UInt: "uint", LongLong: "qlonglong",
	ULongLong: "qulonglong", Double: "double", QChar: "QChar", QVariantMap: "QVariantMap",
	QVariantList: "QVariantList", QString: "QString", QStringList: "QStringList",
	QByteArray: "QByteArray", QBitArray: "QBitArray", QDate: "QDate", QTime: "QTime",
	QDateTime: "QDateTime", QUrl: "QUrl", QLocale: "QLocale", QRect: "QRect", QRectF: "QRectF",
	QSize: "QSize", QSizeF: "QSizeF", QLine: "QLine", QLineF: "QLineF", QPoint: "QPoint",
	QPointF: "QPointF", QRegExp: "QRegExp", QVariantHash: "QVariantHash",
	QEasingCurve: "QEasingCurve", QUuid: "QUuid", Long: "long", Short: "short", Char: "char",
	ULong: "ulong", UShort: "ushort", UChar: "uchar", Float: "float", SChar: "signed char",
	QVariant: "QVariant", QModelIndex: "QModelIndex", QRegularExpression: "QRegularExpression",
	QJsonValue: "QJsonValue", QJsonObject: "QJsonObject", QJsonArray: "QJsonArray",
	QJsonDocument: "QJsonDocument", QByteArrayList: "QByteArrayList", Nullptr: "std::nullptr_t",
	Char16: "char16_t", Char32: "char32_t", User: "User",
}

// String returns Qt's name for the type.
func (t TypeID) String() string {
	if s, ok := typeNames[t]; ok {
		return s
	}
	return "QMetaType(" + strconv.FormatUint(uint64(t), 10) + ")"
}

// byName maps C++ spellings Qt normalises to a built-in type id; class
// definitions and .rep files name types this way.
var byName = map[string]TypeID{
	"bool": Bool, "int": Int, "qint32": Int, "int32_t": Int, "uint": UInt, "quint32": UInt,
	"unsigned": UInt, "unsigned int": UInt, "uint32_t": UInt,
	"qlonglong": LongLong, "qint64": LongLong, "long long": LongLong, "int64_t": LongLong,
	"qulonglong": ULongLong, "quint64": ULongLong, "unsigned long long": ULongLong, "uint64_t": ULongLong,
	"double": Double, "qreal": Double, "QChar": QChar,
	"QVariantMap": QVariantMap, "QMap<QString,QVariant>": QVariantMap,
	"QVariantList": QVariantList, "QList<QVariant>": QVariantList,
	"QString": QString, "QStringList": QStringList, "QList<QString>": QStringList,
	"QByteArray": QByteArray, "QBitArray": QBitArray, "QDate": QDate, "QTime": QTime,
	"QDateTime": QDateTime, "QUrl": QUrl, "QLocale": QLocale, "QRect": QRect, "QRectF": QRectF,
	"QSize": QSize, "QSizeF": QSizeF, "QLine": QLine, "QLineF": QLineF, "QPoint": QPoint,
	"QPointF": QPointF, "QVariantHash": QVariantHash, "QHash<QString,QVariant>": QVariantHash,
	"QUuid": QUuid, "long": Long, "short": Short, "qint16": Short, "int16_t": Short,
	"char": Char, "ulong": ULong, "unsigned long": ULong, "ushort": UShort, "quint16": UShort,
	"unsigned short": UShort, "uint16_t": UShort, "uchar": UChar, "quint8": UChar,
	"unsigned char": UChar, "uint8_t": UChar, "float": Float, "signed char": SChar,
	"qint8": SChar, "int8_t": SChar, "QVariant": QVariant, "QByteArrayList": QByteArrayList,
	"QList<QByteArray>": QByteArrayList, "QJsonValue": QJsonValue, "std::nullptr_t": Nullptr,
	"char16_t": Char16, "char32_t": Char32, "QModelIndex": QModelIndex,
	"QRegularExpression": QRegularExpression, "QEasingCurve": QEasingCurve,
}

// TypeByName returns the built-in type id for a normalised C++ type name such
// as "int", "QString" or "qint64". Names of user types report false.
func TypeByName(name string) (TypeID, bool) {
	t, ok := byName[name]
	return t, ok
}

// known reports whether the codec can carry the built-in type t.
func known(t TypeID) bool {
	switch t {
	case Bool, Int, UInt, LongLong, ULongLong, Double, QChar, QVariantMap, QVariantList,
		QString, QStringList, QByteArray, QBitArray, QDate, QTime, QDateTime, QUrl, QRect,
		QRectF, QSize, QSizeF, QLine, QLineF, QPoint, QPointF, QVariantHash, QUuid, Long,
		Short, Char, ULong, UShort, UChar, Float, SChar, QVariant, QJsonValue, QByteArrayList,
		Nullptr, Char16, Char32, QLocale, QRegularExpression:
		return true
	}
	return false
}
