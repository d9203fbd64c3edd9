# fclient.py PORT: AddObject("Demo", dynamic) and print every frame from the host for 1 s.
import socket, sys, time, struct
sys.path.insert(0, '/work/main/fixtures/captures/harness')
from qds import *
s = socket.create_connection(('127.0.0.1', int(sys.argv[1]))); s.settimeout(0.2)
s.sendall(packet(True, 4, lambda w: (w.qstring("Demo"), w.boolean(True))))
buf = b''; t0 = time.time()
while time.time() - t0 < 1:
    try: buf += s.recv(65536)
    except socket.timeout: pass
while len(buf) >= 4:
    n = struct.unpack('<I', buf[:4])[0]; t = struct.unpack('<H', buf[4:6])[0]
    print(f"type={t} len={n}\n    {buf[:4+n].hex(' ')}"); buf = buf[4+n:]
