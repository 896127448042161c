# keys.py COVLOCK_LIT_PY: runs `covlock_lit.py key ID` on hostile ids (passed as
# raw bytes) and prints one "ID-in-hex key" line each, then checks the key
# properties of docs/protocol.md on many generated ids.
import random
import subprocess
import sys

tool = sys.argv[1]


def key(raw):
    out = subprocess.run([sys.executable, tool, 'key', raw], check=True,
                         stdout=subprocess.PIPE).stdout
    assert out.endswith(b'\n'), out
    return out[:-1].decode('ascii')


ids = [b'', b'calc :: basic.test', b'.', b'..', b'_outside', b'.covlock',
       b'a/../b', b'%41', b'~', b'x\ny', b'\xff\xfe', 'é'.encode(),
       b'a-b_c.d', b'a' * 160, b'a' * 161, b'a' * 142 + b'/' + b'b' * 40,
       b'a' * 141 + b'/' + b'b' * 40, b'a' * 140 + b'/' + b'b' * 40,
       b'/' * 60]
for raw in ids:
    if not raw:
        shown = '<empty>'
    elif len(raw) < 20:
        shown = raw.hex()
    else:
        shown = '%s...(%d)' % (raw[:4].hex(), len(raw))
    print('%s %s' % (shown, key(raw)))

# Properties, in one process to stay fast.
sys.path.insert(0, tool.rsplit('/', 1)[0])
import covlock_lit

rng = random.Random(19)
seen = {}
alphabet = b'aZ09._-%~/ :@\x00\xff'
for i in range(20000):
    raw = bytes(rng.choice(alphabet) for _ in range(rng.choice([1, 2, 3, 8, 50, 60, 200])))
    k = covlock_lit.test_key(raw)
    assert len(k) <= 160 and '/' not in k and k not in ('.', '..'), (raw, k)
    assert not k.startswith('.') and not k.startswith('_'), (raw, k)
    assert all(c.isalnum() or c in '._-%~' for c in k), (raw, k)
    assert seen.setdefault(k, raw) == raw, ('collision', raw, seen[k], k)
print('properties ok')
