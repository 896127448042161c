# A tiny suite that the lit-plugin tests run in a nested lit.
#   --param out=DIR        where each test dumps its environment (required)
#   --param shell=external use the external shell (default: internal)
#   --param early=1        call covlock_lit.enable() before setting test_format
#   --param prog=PATH      a program each test also runs (default: none)
import os
import sys

import lit.formats

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'utils', 'lit'))
import covlock_lit

config.name = 'tiny'
config.suffixes = ['.test']
config.test_source_root = os.path.dirname(os.path.abspath(__file__))
out = os.path.abspath(lit_config.params['out'])
config.test_exec_root = os.path.join(out, 'exec')

external = lit_config.params.get('shell') == 'external'
if lit_config.params.get('early') == '1':
    covlock_lit.enable(config)
    config.test_format = lit.formats.ShTest(execute_external=external)
else:
    config.test_format = lit.formats.ShTest(execute_external=external)
    covlock_lit.enable(config)

config.substitutions.append(
    ('%{dump}', '"%s" "%s" "%s"' % (sys.executable,
                                    os.path.join(config.test_source_root, 'dump_env.py'),
                                    out)))
config.substitutions.append(('%{prog}', lit_config.params.get('prog', 'true')))
