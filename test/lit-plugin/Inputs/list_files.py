# list_files.py DIR: every file and symlink under DIR, relative and sorted, with
# the host and pid of profile and record names replaced by HOST and PID and
# empty files marked. The run's own control files (.covlock/*.lock) are left out.
import os
import re
import sys

root = sys.argv[1]
rows = []
for dirpath, dirnames, filenames in os.walk(root):
    for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
        path = os.path.join(dirpath, name)
        rel = os.path.relpath(path, root)
        if re.match(r'\.covlock/[^/]+\.lock$', rel):
            continue
        rel = re.sub(r'[^/]+\.[0-9]+\.stock\.profraw$', 'HOST.PID.stock.profraw', rel)
        rel = re.sub(r'[^/]+\.[0-9]+\.([0-9]+)\.(profraw|json)$', r'HOST.PID.\1.\2', rel)
        if os.path.islink(path):
            rel += ' -> ' + os.readlink(path)
        elif os.path.getsize(path) == 0:
            rel += ' (empty)'
        rows.append(rel)
for row in sorted(rows):
    print(row)
