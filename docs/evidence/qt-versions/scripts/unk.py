# unk.py PORT MODE: a fake QtRO 2.0 host that sends Handshake, a packet of unknown type 77
# (name "X", u32 0x12345678) and an ObjectList offering Simple, either in one write (MODE=one)
# or as three writes 300 ms apart (MODE=split); prints what the replica sends back within 2 s.
import socket, sys, time
sys.path.insert(0, '/work/main/fixtures/captures/harness')
from qds import *
port, mode = int(sys.argv[1]), sys.argv[2]
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); ls.bind(('127.0.0.1', port)); ls.listen(1); ls.settimeout(5)
c, _ = ls.accept(); c.settimeout(0.2)
def ol(w): w.u32(1); w.qstring("Simple"); w.qstring("Simple"); w.qbytearray(b"3ecae2f3541c47ef6017ee2b1e6ae4865c5f5b87")
pk = [packet(True, 1, lambda w: w.qstring("QtRO 2.0")), packet(True, 77, lambda w: (w.qstring("X"), w.u32(0x12345678))), packet(True, 9, ol)]
if mode == 'one': c.sendall(b''.join(pk))
else:
    for p in pk: c.sendall(p); time.sleep(0.3)
t0 = time.time()
while time.time() - t0 < 2:
    try:
        d = c.recv(4096)
        if not d: print("replica closed the connection"); break
        print("got", d.hex(' '))
    except socket.timeout: pass
