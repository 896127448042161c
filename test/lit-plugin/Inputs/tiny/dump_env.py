# dump_env.py OUT TEST: writes the covlock-related environment to OUT/<name>.env
import os
import sys

names = ('COVLOCK_DIR', 'COVLOCK_RUN', 'COVLOCK_LABEL', 'COVLOCK_TEST',
         'LLVM_PROFILE_FILE')
with open(os.path.join(sys.argv[1], os.path.basename(sys.argv[2]) + '.env'), 'w') as f:
    for name in names:
        f.write('%s=%s\n' % (name, os.environ.get(name, '<unset>')))
