# A lit suite of GoogleTest binaries (lit's GoogleTest format: one lit test
# per shard) with the covlock plugin enabled.
import os
import sys

import lit.formats

config.name = "gsuite"
config.test_format = lit.formats.GoogleTest(".", "Tests")
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = config.test_source_root

sys.path.insert(0, os.environ["COVLOCK_LIT_DIR"])
import covlock_lit

covlock_lit.enable(config)
