# key_vs_runtime.py PROG COVLOCK_LIT_PY WORKDIR: runs PROG (linked with the
# covlock runtime) under hostile COVLOCK_TEST ids and checks that the directory
# the runtime writes into is the key covlock_lit.test_key() computes.
import os
import shutil
import subprocess
import sys

prog, tool, work = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, os.path.dirname(tool))
import covlock_lit

ids = [b'calc :: basic.test', b'.', b'..', b'_outside', b'.covlock', b'a/../b',
       b'%41', b'~', b'x\ny', b'\xff\xfe', '\u00e9'.encode(), b'a' * 160,
       b'a' * 161, b'a' * 142 + b'/' + b'b' * 40, b'a' * 141 + b'/' + b'b' * 40,
       b'/' * 60, bytes(range(1, 256))]
bad = 0
for i, raw in enumerate(ids):
    d = os.path.join(work, 'cov%d' % i)
    shutil.rmtree(d, ignore_errors=True)
    env = dict(os.environ)
    env.pop('LLVM_PROFILE_FILE', None)
    env['COVLOCK_DIR'] = d
    envb = {os.fsencode(k): os.fsencode(v) for k, v in env.items()}
    envb[b'COVLOCK_TEST'] = raw
    subprocess.run([prog], env=envb, check=True)
    got = sorted(n for n in os.listdir(d) if n != '.covlock')
    want = [covlock_lit.test_key(raw)]
    if got != want:
        bad += 1
        print('mismatch for %s: runtime %s, covlock_lit %s' % (raw.hex(), got, want))
print('%d ids, %d mismatches' % (len(ids), bad))
