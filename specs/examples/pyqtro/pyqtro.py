#!/usr/bin/python3
"""pyqtro: a partial, non-Qt QtRO host in pure Python 3 (standard library only).

A worked example of a third-party stack under the qtro adapter contract (specs/ADAPTER.md):
role `host` only, transport `local:` only, the `Plain` test object (§10) only, remoted through
the dynamic API (QTRO-PROTOCOL.md §5.1, §6), Qt 6 dialect ("QtRO 2.0", little-endian).
Everything else exits with code 127 before `ready`, after an `unsupported` event.

    pyqtro.py hello
    pyqtro.py host --url local:NAME --type plain [--object NAME] [--ignore-stdin-eof]

One thread, one selectors loop: stdin (commands), the listening socket, the client sockets and a
signal wake-up pipe. Client sockets are non-blocking with per-connection output buffers, so a slow
or broken client never stalls the others; a bad frame closes that connection only.
"""

import datetime
import json
import os
import selectors
import signal
import socket
import stat
import struct
import sys
import time

ADAPTER, VERSION, CONTRACT, PROTOCOL = "pyqtro", "pyqtro 0.1", 2, "QtRO 2.0"
CAPABILITIES = {"roles": ["host"], "transports": ["local"], "types": ["plain"], "sourceApis": ["dynamic"],
                "replicaModes": [], "registry": False, "heartbeat": False, "load": []}
EXIT_FAILURE, EXIT_USAGE, EXIT_UNSUPPORTED = 1, 2, 127
MAX_FRAME = 16 << 20   # client frames larger than this close the connection
MAX_OUTBUF = 64 << 20  # a client that lets this much pile up is dropped
MAX_LINE = 64 << 20    # longest command line (ADAPTER.md §6)
MAX_DEPTH = 32         # nesting of QVariantList/QVariantMap in client packets

# Packet types (QTRO-PROTOCOL.md §1.3).
(HANDSHAKE, INIT, INIT_DYNAMIC, ADD_OBJECT, REMOVE_OBJECT, INVOKE, INVOKE_REPLY,
 PROPERTY_CHANGE, OBJECT_LIST, PING, PONG) = range(1, 12)

# QVariant type ids used when sending (§3.1); Qt 6 user-type marker.
T_INVALID, T_INT, T_DOUBLE, T_QSTRING, T_USER = 0, 2, 6, 10, 0x10000
INT_TYPES = {1, 2, 3, 4, 5, 32, 33, 34, 35, 36, 37, 40}  # bool and the integer types

# ---------------------------------------------------------------- the Plain object (ADAPTER.md §10)
# Kinds: "int", "QString", "double", "Color" (an enum: an int on the wire and in JSON, §3.3).
# Wire types are what Qt 6.4 sends for fixtures/peer/plain.h: moc qualifies the enum property type
# with the C++ class name (PlainObject::Color), signal signatures keep it unqualified.
PROPS = [  # name, kind, type name in the definition, notify signal index, writable, initial value
    ("number", "int", "int", 0, True, 3),
    ("text", "QString", "QString", 1, True, "plain"),
    ("ratio", "double", "double", None, False, 0.25),  # CONSTANT: no notify, null notify signature
    ("color", "Color", "PlainObject::Color", 2, True, 1),
]
# Signals: notify signals first, in property order, then the other signals (§5.1).
SIGNALS = [  # name, signature, [(param name, kind)], property index or -1
    ("numberChanged", "numberChanged(int)", [("number", "int")], 0),
    ("textChanged", "textChanged(QString)", [("text", "QString")], 1),
    ("colorChanged", "colorChanged(Color)", [("color", "Color")], 3),
    ("pulsed", "pulsed(int,QString)", [("n", "int"), ("msg", "QString")], -1),
]
METHODS = [  # name, signature, return type, [(param name, kind)]
    ("add", "add(int,int)", "int", [("a", "int"), ("b", "int")]),
    ("echo", "echo(QString)", "QString", [("s", "QString")]),
    ("reset", "reset()", "void", []),
]
COLOR_KEYS = [("Red", 0), ("Green", 1), ("Blue", 7)]


def wrap32(n):
    return (n + 0x80000000) % 0x100000000 - 0x80000000


# ---------------------------------------------------------------- events (stdout)
def emit_event(name, **fields):
    ev = {"event": name, "mono": time.monotonic_ns(),
          "wall": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
    ev.update(fields)
    data = (json.dumps(ev, separators=(",", ":")) + "\n").encode()
    try:
        while data:
            data = data[os.write(1, data):]
    except OSError:  # the harness is gone
        os._exit(EXIT_FAILURE)


def log(msg):
    try:
        sys.stderr.write("pyqtro: %s\n" % msg)
        sys.stderr.flush()
    except OSError:
        pass


# ---------------------------------------------------------------- QDataStream, Qt 6 dialect (LE, v20)
class Enc:
    def __init__(self):
        self.b = bytearray()

    def u8(self, v): self.b += struct.pack("<B", v)
    def i32(self, v): self.b += struct.pack("<i", v)
    def u32(self, v): self.b += struct.pack("<I", v)
    def f64(self, v): self.b += struct.pack("<d", v)

    def qstring(self, s):  # None is a null QString; UTF-16 units in the stream byte order (LE)
        if s is None:
            return self.u32(0xFFFFFFFF)
        data = s.encode("utf-16-le", "surrogatepass")
        self.u32(len(data))
        self.b += data

    def qbytes(self, b):  # None is a null QByteArray
        if b is None:
            return self.u32(0xFFFFFFFF)
        self.u32(len(b))
        self.b += b

    def cstr(self, s):  # a raw C string: a QByteArray whose bytes include the NUL (§2.2)
        self.qbytes(s.encode() + b"\0")

    def variant(self, v):  # v = (type id, value); (T_INVALID, None) is an invalid QVariant
        t, val = v
        self.u32(t)
        self.u8(0)  # isNull: Qt 6.4 writes 0 here for its values and for a void reply's invalid QVariant
        if t == T_INVALID:
            return
        {T_INT: self.i32, T_DOUBLE: self.f64, T_QSTRING: self.qstring}[t](val)


class BadFrame(Exception):
    """The frame is malformed: the connection is closed."""


class Unsupported(Exception):
    """Well-framed, but holds a value this host cannot decode or use: the packet is ignored."""


class Dec:
    def __init__(self, b):
        self.b, self.p = b, 0

    def take(self, n):
        if n > len(self.b) - self.p:
            raise BadFrame("truncated frame")
        self.p += n
        return self.b[self.p - n:self.p]

    def un(self, fmt):
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def count(self):  # an element count: every element takes at least one byte
        n = self.un("<I")
        if n > len(self.b) - self.p:
            raise BadFrame("count %d larger than the frame" % n)
        return n

    def qstring(self):
        n = self.un("<I")
        if n == 0xFFFFFFFF:
            return None
        if n % 2:
            raise BadFrame("odd QString length")
        return bytes(self.take(n)).decode("utf-16-le", "surrogatepass")

    def qbytes(self):
        n = self.un("<I")
        return None if n == 0xFFFFFFFF else bytes(self.take(n))

    def variant(self, depth=0):
        """Returns (type id, Python value). Containers are decoded so the frame can be walked."""
        if depth > MAX_DEPTH:
            raise BadFrame("QVariant nesting too deep")
        t = self.un("<I")
        self.take(1)  # isNull: ignored (§3)
        simple = {1: "<B", 2: "<i", 3: "<I", 4: "<q", 5: "<Q", 6: "<d", 7: "<H", 32: "<q", 33: "<h",
                  34: "<b", 35: "<Q", 36: "<H", 37: "<B", 38: "<d", 40: "<b"}
        if t == T_INVALID:
            return t, None
        if t in simple:
            v = self.un(simple[t])
            return t, (v != 0 if t == 1 else v)
        if t == T_QSTRING:
            return t, self.qstring()
        if t == 12:
            return t, self.qbytes()
        if t in (11, 49):  # QStringList, QByteArrayList
            f = self.qstring if t == 11 else self.qbytes
            return t, [f() for _ in range(self.count())]
        if t == 9:  # QVariantList
            return t, [self.variant(depth + 1) for _ in range(self.count())]
        if t in (8, 28):  # QVariantMap, QVariantHash
            return t, [(self.qstring(), self.variant(depth + 1)) for _ in range(self.count())]
        name = self.qbytes() if t == T_USER else None
        raise Unsupported("QVariant type %d %s" % (t, name or b""))

    def end(self):
        if self.p != len(self.b):
            raise BadFrame("%d trailing bytes" % (len(self.b) - self.p))


def reject_constant(name):  # Python's json accepts NaN/Infinity; JSON does not
    raise ValueError("invalid JSON constant %s" % name)


def frame(ptype, body):
    return struct.pack("<IH", len(body) + 2, ptype) + bytes(body)


def to_variant(kind, v):
    return {"int": T_INT, "Color": T_INT, "QString": T_QSTRING, "double": T_DOUBLE}[kind], v


def from_variant(kind, var):
    """Converts a received QVariant to a declared kind (ints for int/enum, QString for QString)."""
    t, v = var
    if kind in ("int", "Color") and t in INT_TYPES and -2**31 <= int(v) < 2**31:
        return int(v)
    if kind == "QString" and t == T_QSTRING:
        return v
    raise Unsupported("cannot convert QVariant type %d to %s" % (t, kind))


def from_json(kind, j):
    """Strict input conversion (ADAPTER.md §7.2); raises ValueError."""
    if kind in ("int", "Color"):
        if isinstance(j, float) and j.is_integer():
            j = int(j)
        if isinstance(j, bool) or not isinstance(j, int) or not -2**31 <= j < 2**31:
            raise ValueError("expected an int, got %s" % json.dumps(j))
        return j
    if kind == "QString":
        if j is not None and not isinstance(j, str):
            raise ValueError("expected a string or null, got %s" % json.dumps(j))
        return j
    raise ValueError("cannot convert to %s" % kind)


# ---------------------------------------------------------------- packets the host sends
def pkt_handshake():
    e = Enc(); e.qstring(PROTOCOL)
    return frame(HANDSHAKE, e.b)


def pkt_object_list(names):  # typeName null QString, signature null QByteArray (dynamic API)
    e = Enc(); e.u32(len(names))
    for n in names:
        e.qstring(n); e.qstring(None); e.qbytes(None)
    return frame(OBJECT_LIST, e.b)


def pkt_name(ptype, name):
    e = Enc(); e.qstring(name)
    return frame(ptype, e.b)


def pkt_invoke(name, index, args, prop_index):  # host -> client: always call 0, serial -1
    e = Enc(); e.qstring(name); e.i32(0); e.i32(index); e.u32(len(args))
    for a in args:
        e.variant(a)
    e.i32(-1); e.i32(prop_index)
    return frame(INVOKE, e.b)


def pkt_property_change(name, index, value):
    e = Enc(); e.qstring(name); e.i32(index); e.variant(value)
    return frame(PROPERTY_CHANGE, e.b)


def pkt_invoke_reply(name, serial, value):
    e = Enc(); e.qstring(name); e.i32(serial); e.variant(value)
    return frame(INVOKE_REPLY, e.b)


def pkt_init(name, values, dynamic):
    e = Enc(); e.qstring(name)
    if dynamic:  # the class definition (QTRO-PROTOCOL.md §6)
        e.qstring(None)                                     # typeName: null for a plain QObject
        e.u32(1)                                            # enums
        e.qbytes(b"Color"); e.u8(0); e.u8(0); e.u32(0); e.i32(len(COLOR_KEYS))  # isFlag, isScoped, size (*)
        for k, v in COLOR_KEYS:
            e.qbytes(k.encode()); e.i32(v)
        e.u32(0)                                            # Qt-namespace enums
        e.u32(0)                                            # gadgets
        e.u32(len(SIGNALS))
        for _, sig, params, _ in SIGNALS:
            e.qbytes(sig.encode()); e.u32(len(params))
            for pname, _ in params:
                e.qbytes(pname.encode())
        e.u32(len(METHODS))
        for _, sig, ret, params in METHODS:
            e.qbytes(sig.encode()); e.qbytes(ret.encode()); e.u32(len(params))
            for pname, _ in params:
                e.qbytes(pname.encode())
        e.u32(len(PROPS))
        for pname, _, tname, notify, _, _ in PROPS:
            e.cstr(pname); e.cstr(tname)
            e.qbytes(None if notify is None else SIGNALS[notify][1].encode())
    e.u32(len(PROPS))
    for i, p in enumerate(PROPS):
        e.variant(to_variant(p[1], values[i]))
    return frame(INIT_DYNAMIC if dynamic else INIT, e.b)


# ---------------------------------------------------------------- connections
class Conn:
    def __init__(self, host, sock):
        self.host, self.sock = host, sock
        self.inbuf, self.outbuf = bytearray(), bytearray()
        self.added = False  # the client sent AddObject for the source (it is a listener)
        self.closed = False

    def send(self, data):
        if self.closed:
            return
        if not self.outbuf:
            try:
                n = self.sock.send(data)
            except BlockingIOError:
                n = 0
            except OSError as e:
                return self.close("send: %s" % e)
            data = data[n:]
            if data:
                self.host.sel.modify(self.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, self)
        self.outbuf += data
        if len(self.outbuf) > MAX_OUTBUF:
            self.close("client too slow (%d bytes pending)" % len(self.outbuf))

    def on_writable(self):
        try:
            n = self.sock.send(self.outbuf)
        except BlockingIOError:
            return
        except OSError as e:
            return self.close("send: %s" % e)
        del self.outbuf[:n]
        if not self.outbuf:
            self.host.sel.modify(self.sock, selectors.EVENT_READ, self)

    def on_readable(self):
        try:
            data = self.sock.recv(1 << 16)
        except BlockingIOError:
            return
        except OSError as e:
            return self.close("recv: %s" % e)
        if not data:
            return self.close("closed by peer")
        self.inbuf += data
        while len(self.inbuf) >= 4 and not self.closed:
            size = struct.unpack_from("<I", self.inbuf)[0]
            if size < 2 or size > MAX_FRAME:
                return self.close("bad frame size %d" % size)
            if len(self.inbuf) < 4 + size:
                return
            body = bytes(self.inbuf[4:4 + size])
            del self.inbuf[:4 + size]
            try:
                self.host.on_frame(self, body)
            except BadFrame as e:
                return self.close("bad frame: %s" % e)
            except Unsupported as e:
                log("packet ignored: %s" % e)
            except Exception as e:  # a bug must not take the process down
                return self.close("internal error: %r" % e)

    def close(self, why):
        if self.closed:
            return
        self.closed = True
        log("connection closed: %s" % why)
        try:
            self.host.sel.unregister(self.sock)
        except (KeyError, ValueError):
            pass
        self.sock.close()
        self.host.conns.discard(self)


# ---------------------------------------------------------------- the host
class Host:
    def __init__(self, opts, url, path, listener):
        self.opts, self.url, self.path, self.listener = opts, url, path, listener
        self.name = opts["object"] or "Plain"
        self.values = [p[5] for p in PROPS]
        self.remoting = False
        self.conns = set()
        self.sel = selectors.PollSelector()  # poll, unlike epoll, also takes a regular file as stdin
        self.stdin_buf, self.skipping = bytearray(), False

    # ---- source side
    def listeners(self):
        return [c for c in list(self.conns) if c.added]

    def notify_data(self, prop, sig_index, args):
        """PropertyChange + notify Invoke, one write (§4.7)."""
        p = PROPS[prop]
        return (pkt_property_change(self.name, prop, to_variant(p[1], self.values[prop]))
                + pkt_invoke(self.name, sig_index, args, prop))

    def set_value(self, prop, value):
        """The source's setter: a change is replicated and reported; an equal value does nothing."""
        if self.values[prop] == value:  # None (a null QString) differs from "", as in plain.h
            return False
        self.values[prop] = value
        p = PROPS[prop]
        emit_event("propertyChanged", object=self.name, property=p[0], value=value)
        if self.remoting:
            data = self.notify_data(prop, p[3], [to_variant(p[1], value)])
            for c in self.listeners():
                c.send(data)
        return True

    def emit_signal(self, index, args):
        _, _, params, prop = SIGNALS[index]
        if prop >= 0:  # a notify signal: reported like a change; Qt sends the current value first (§4.7)
            emit_event("propertyChanged", object=self.name, property=PROPS[prop][0], value=self.values[prop])
        if not self.remoting:
            return
        wargs = [to_variant(params[i][1], a) for i, a in enumerate(args)]
        if prop >= 0:
            data = self.notify_data(prop, index, wargs)
        else:
            data = pkt_invoke(self.name, index, wargs, -1)
        for c in self.listeners():
            c.send(data)

    def call_slot(self, index, args):
        name = METHODS[index][0]
        emit_event("invoked", object=self.name, method=name, args=args)
        if name == "add":
            return T_INT, wrap32(args[0] + args[1])
        if name == "echo":
            return T_QSTRING, args[0]
        self.set_value(0, 0)  # reset(): number = 0, then pulsed(0, "reset")
        self.emit_signal(3, [0, "reset"])
        return T_INVALID, None

    # ---- wire side
    def on_accept(self):
        while True:
            try:
                sock, _ = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as e:
                return log("accept: %s" % e)
            sock.setblocking(False)
            c = Conn(self, sock)
            self.conns.add(c)
            self.sel.register(sock, selectors.EVENT_READ, c)
            c.send(pkt_handshake() + pkt_object_list([self.name] if self.remoting else []))

    def on_frame(self, conn, body):
        d = Dec(body)
        ptype = d.un("<H")
        if ptype < HANDSHAKE or ptype > PONG:
            raise BadFrame("unknown packet type %d" % ptype)
        if ptype == OBJECT_LIST or ptype in (INIT, INIT_DYNAMIC, INVOKE_REPLY, PROPERTY_CHANGE, PONG):
            return log("ignoring host-to-client packet type %d from a client" % ptype)
        name = d.qstring()
        known = self.remoting and name == self.name
        if ptype == HANDSHAKE:  # clients never send one; Qt hosts ignore it
            d.end()
        elif ptype == ADD_OBJECT:
            dynamic = d.un("<B") != 0
            d.end()
            if not known:
                return log("AddObject for unknown source %r" % name)
            conn.added = True
            conn.send(pkt_init(self.name, self.values, dynamic))
        elif ptype == REMOVE_OBJECT:
            d.end()
            if known:
                conn.added = False
        elif ptype == PING:
            d.end()
            conn.send(pkt_name(PONG, name))  # also for unknown names (§4.10)
        elif ptype == INVOKE:
            call, index = d.un("<i"), d.un("<i")
            args = [d.variant() for _ in range(d.count())]
            serial, _ = d.un("<i"), d.un("<i")
            d.end()
            if not known:
                return log("Invoke for unknown source %r" % name)
            if call == 0:
                if not 0 <= index < len(METHODS) or len(args) != len(METHODS[index][3]):
                    return log("Invoke: bad method index %d or argument count %d" % (index, len(args)))
                params = METHODS[index][3]
                value = self.call_slot(index, [from_variant(params[i][1], a) for i, a in enumerate(args)])
                if serial >= 0:
                    conn.send(pkt_invoke_reply(self.name, serial, value))
            else:  # a Qt host treats any non-zero call as WriteProperty
                if not 0 <= index < len(PROPS) or not PROPS[index][4] or len(args) != 1:
                    return log("write: bad or read-only property index %d" % index)
                self.set_value(index, from_variant(PROPS[index][1], args[0]))

    # ---- adapter side
    def result(self, cmd, ok=True, error=None, message=None, **fields):
        ev = {"id": cmd.get("id"), "cmd": cmd.get("cmd") if isinstance(cmd.get("cmd"), str) else "", "ok": ok}
        if not ok:
            ev["error"], ev["message"] = error, message or error
        ev.update(fields)
        emit_event("result", **ev)

    def on_line(self, raw):
        try:
            cmd = json.loads(raw.decode("utf-8"), parse_constant=reject_constant)
        except (ValueError, UnicodeDecodeError, RecursionError) as e:
            return self.result({"cmd": ""}, False, "badJson", str(e))
        if not isinstance(cmd, dict):
            return self.result({"cmd": ""}, False, "badJson", "a command must be a JSON object")
        name = cmd.get("cmd")
        fn = {"sync": self.cmd_sync, "exit": self.cmd_exit, "state": self.cmd_state, "get": self.cmd_get,
              "describe": self.cmd_describe, "set": self.cmd_set, "emit": self.cmd_emit,
              "disableRemoting": self.cmd_disable, "enableRemoting": self.cmd_enable}.get(name)
        if fn:
            return fn(cmd)
        if name in ("call", "write", "push", "acquire", "release"):
            return self.result(cmd, False, "wrongRole", "%s is a node command" % name)
        if name == "load":
            return self.result(cmd, False, "unsupported", "pyqtro has no load mode")
        self.result(cmd, False, "unknownCommand", "unknown command %s" % json.dumps(name))

    def cmd_sync(self, cmd):
        self.result(cmd)

    def cmd_exit(self, cmd):
        code = cmd.get("code", 0)
        if isinstance(code, bool) or not isinstance(code, int):
            return self.result(cmd, False, "badArgs", "code must be an integer")
        self.result(cmd)
        self.shutdown("command", code)

    def cmd_state(self, cmd):
        self.result(cmd, role="host", url=self.url, lastError="NoError", remoting={self.name: self.remoting})

    def cmd_describe(self, cmd):
        self.result(cmd)  # the dynamic source API has no static description (ADAPTER.md §6.1)

    def prop_index(self, cmd):
        path = cmd.get("property")
        names = [p[0] for p in PROPS]
        if not isinstance(path, str) or path not in names:
            self.result(cmd, False, "unknownProperty", "unknown property %s" % json.dumps(path))
            return None
        return names.index(path)

    def cmd_get(self, cmd):
        if cmd.get("property") is None:
            return self.result(cmd, values={p[0]: self.values[i] for i, p in enumerate(PROPS)})
        i = self.prop_index(cmd)
        if i is not None:
            self.result(cmd, value=self.values[i])

    def cmd_set(self, cmd):
        if not isinstance(cmd.get("property"), str) or "value" not in cmd:
            return self.result(cmd, False, "badArgs", "set needs property and value")
        i = self.prop_index(cmd)
        if i is None:
            return
        if not PROPS[i][4]:
            return self.result(cmd, False, "notWritable", "%s is CONSTANT" % PROPS[i][0])
        try:
            v = from_json(PROPS[i][1], cmd["value"])
        except ValueError as e:
            return self.result(cmd, False, "badValue", str(e))
        self.set_value(i, v)
        self.result(cmd, value=self.values[i])

    def cmd_emit(self, cmd):
        sig, args = cmd.get("signal"), cmd.get("args", [])
        if not isinstance(args, list):
            return self.result(cmd, False, "badArgs", "args must be an array")
        for i, (name, full, params, _) in enumerate(SIGNALS):
            if sig == full or (sig == name and len(args) == len(params)):
                break
        else:
            return self.result(cmd, False, "unknownSignal", "unknown signal %s" % json.dumps(sig))
        if len(args) != len(params):
            return self.result(cmd, False, "badArgs", "%s takes %d arguments" % (full, len(params)))
        try:
            conv = [from_json(params[k][1], a) for k, a in enumerate(args)]
        except ValueError as e:
            return self.result(cmd, False, "badArgs", str(e))
        self.emit_signal(i, conv)
        self.result(cmd)

    def cmd_disable(self, cmd):
        if not self.remoting:
            return self.result(cmd, False, "notEnabled", "remoting of %s is already disabled" % self.name)
        self.remoting = False
        data = pkt_name(REMOVE_OBJECT, self.name)
        for c in self.listeners():  # RemoveObject only to connections that added it (§4.4)
            c.added = False
            c.send(data)
        emit_event("remoting", object=self.name, enabled=False)
        self.result(cmd)

    def cmd_enable(self, cmd):
        if self.remoting:
            return self.result(cmd, False, "alreadyEnabled", "remoting of %s is already enabled" % self.name)
        self.enable()
        self.result(cmd)

    def enable(self):
        self.remoting = True
        data = pkt_object_list([self.name])  # to every connection (§7.2)
        for c in list(self.conns):
            c.send(data)
        emit_event("remoting", object=self.name, enabled=True)

    def on_stdin(self):
        try:
            data = os.read(0, 1 << 16)
        except OSError as e:
            log("stdin: %s" % e)
            return self.shutdown("stdinError", 0)
        if not data:
            if self.opts["ignore-stdin-eof"]:
                self.sel.unregister(0)
                return
            return self.shutdown("stdinClosed", 0)
        self.stdin_buf += data
        while True:
            nl = self.stdin_buf.find(b"\n")
            if nl < 0:
                if len(self.stdin_buf) > MAX_LINE and not self.skipping:
                    self.result({"cmd": ""}, False, "badJson", "command line longer than %d bytes" % MAX_LINE)
                    self.skipping = True
                if self.skipping:
                    self.stdin_buf.clear()
                return
            line = bytes(self.stdin_buf[:nl]).strip()
            del self.stdin_buf[:nl + 1]
            if self.skipping:
                self.skipping = False
            elif line:
                self.on_line(line)

    def shutdown(self, reason, code):
        emit_event("exiting", reason=reason, code=code)
        for c in list(self.conns):
            if c.outbuf:  # one last non-blocking attempt
                try:
                    c.sock.send(c.outbuf)
                except OSError:
                    pass
            c.close("shutting down")
        self.listener.close()
        try:
            os.unlink(self.path)
        except OSError:
            pass
        sys.stdout.flush()
        os._exit(code & 0xFF)

    def run(self):
        wake_r, wake_w = socket.socketpair()
        for s in (wake_r, wake_w):
            s.setblocking(False)
        signal.set_wakeup_fd(wake_w.fileno())
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: None)  # the wake-up fd carries the signal number
        self.listener.setblocking(False)
        self.sel.register(self.listener, selectors.EVENT_READ, "listen")
        self.sel.register(0, selectors.EVENT_READ, "stdin")
        self.sel.register(wake_r, selectors.EVENT_READ, "signal")
        emit_event("ready", role="host", adapter=ADAPTER, contract=CONTRACT, qt=VERSION, qtMajor=6,
                   protocol=PROTOCOL, url=self.url, pid=os.getpid(), object=self.name, type="plain",
                   capabilities=CAPABILITIES)
        self.enable()
        while True:
            for key, mask in self.sel.select():
                what = key.data
                if what == "listen":
                    self.on_accept()
                elif what == "stdin":
                    self.on_stdin()
                elif what == "signal":
                    sigs = wake_r.recv(64)
                    if signal.SIGTERM in sigs or signal.SIGINT in sigs:
                        self.shutdown("signal", 0)
                elif not what.closed:
                    if mask & selectors.EVENT_WRITE:
                        what.on_writable()
                    if mask & selectors.EVENT_READ and not what.closed:
                        what.on_readable()


# ---------------------------------------------------------------- command line
VALUE_FLAGS = {"--url", "--registry", "--object", "--type", "--heartbeat", "--source-api", "--call-timeout"}
BOOL_FLAGS = {"--dynamic", "--static", "--no-acquire", "--ignore-stdin-eof"}


def usage(msg):
    emit_event("fatal", stage="args", error="usage", message=msg)
    sys.exit(EXIT_USAGE)


def unsupported(feature, msg):
    emit_event("unsupported", feature=feature, message=msg)
    sys.exit(EXIT_UNSUPPORTED)


def fatal(stage, error, msg, code=EXIT_FAILURE):
    emit_event("fatal", stage=stage, error=error, message=msg)
    sys.exit(code)


def parse_args(argv):
    opts = {k[2:]: None for k in VALUE_FLAGS}
    opts.update({k[2:]: False for k in BOOL_FLAGS})
    roles = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in VALUE_FLAGS:
            if i + 1 >= len(argv):
                usage("%s needs a value" % a)
            opts[a[2:]] = argv[i + 1]
            i += 2
            continue
        if a in BOOL_FLAGS:
            opts[a[2:]] = True
        elif a.startswith("-"):
            usage("unknown flag %s" % a)
        else:
            roles.append(a)
        i += 1
    if len(roles) != 1:
        usage("exactly one ROLE is needed (host, or hello)")
    if opts["type"] not in (None, "testobject", "tick", "plain"):
        usage("--type must be testobject, tick or plain")
    if opts["source-api"] not in (None, "static", "dynamic"):
        usage("--source-api must be static or dynamic")
    for f in ("heartbeat", "call-timeout"):
        if opts[f] is not None and not (opts[f].isdigit()):
            usage("--%s needs a non-negative integer" % f)
    if opts["static"] and opts["dynamic"]:
        usage("--static and --dynamic exclude each other")
    return roles[0], opts


def is_socket(path):
    try:
        return stat.S_ISSOCK(os.lstat(path).st_mode)
    except OSError:
        return False


def listen(url):
    """Resolves local:NAME like Qt (relative: $TMPDIR/NAME, else /tmp/NAME) and listens there."""
    name = url[len("local:"):]
    if not name:
        fatal("listen", "ListenFailed", "local: needs a name")
    path = name if os.path.isabs(name) else os.path.join(os.environ.get("TMPDIR") or "/tmp", name)
    for attempt in (0, 1):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.bind(path)
            s.listen(128)
            return s, path
        except OSError as e:
            s.close()
            if attempt == 0 and is_socket(path):  # Qt removes a stale socket file and retries once
                try:
                    os.unlink(path)
                    continue
                except OSError:
                    pass
            fatal("listen", "ListenFailed", "cannot listen on %s: %s" % (path, e))


def main(argv):
    role, opts = parse_args(argv)
    if role == "hello":
        emit_event("hello", contract=CONTRACT, adapter=ADAPTER, qtMajor=6, protocol=PROTOCOL,
                   capabilities=CAPABILITIES)
        return 0
    if role != "host":
        unsupported("role:" + role, "pyqtro implements the host role only")
    if not opts["url"]:
        usage("host needs --url")
    if opts["registry"] is not None:
        unsupported("registry", "pyqtro has no registry support")
    typ = opts["type"] or "testobject"
    if typ != "plain":
        unsupported("type:" + typ, "pyqtro remotes only the Plain object (--type plain)")
    if opts["source-api"] == "static":
        unsupported("sourceApi:static", "pyqtro remotes Plain through the dynamic API only")
    url = opts["url"]
    scheme = url.split(":", 1)[0] if ":" in url else ""
    if scheme in ("tcp", "localabstract"):
        unsupported(scheme, "pyqtro listens on local: URLs only")
    if scheme != "local":
        fatal("listen", "HostUrlInvalid", "unknown URL scheme in %s" % url)
    try:  # die with the harness (ADAPTER.md §4)
        import ctypes
        ctypes.CDLL(None).prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
    except Exception:
        pass
    listener, path = listen(url)
    Host(opts, url, path, listener).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
