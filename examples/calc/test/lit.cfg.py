# -*- Python -*-
# lit suite of the bundled covlock example (examples/calc).
#
#   python3 lit.py -sv examples/calc/test --param calc_bin_dir=BUILD/examples/calc/bin
#
# Parameters (or environment variables):
#   calc_bin_dir   (CALC_BIN_DIR)   where calc and calc-helper are; required
#   llvm_tools_dir (LLVM_TOOLS_DIR) where FileCheck and not are; default: the
#                                   directory of FileCheck in PATH, else
#                                   /usr/lib/llvm-19/bin
#   calc_shell     internal (default) or external: which lit shell runs RUN lines
#   calc_exec_root where lit writes test outputs; default BIN_DIR/test

import os
import shutil
import sys

import lit.formats

# The covlock lit integration. It does nothing unless COVLOCK_DIR is set.
sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', '..', 'utils', 'lit'))
import covlock_lit


def param(name, env):
    return lit_config.params.get(name) or os.environ.get(env, '')


config.name = 'calc'
config.suffixes = ['.test']
config.excludes = ['Inputs']
config.test_source_root = os.path.dirname(os.path.abspath(__file__))
external = lit_config.params.get('calc_shell', 'internal') == 'external'
config.test_format = lit.formats.ShTest(execute_external=external)

bin_dir = param('calc_bin_dir', 'CALC_BIN_DIR')
if not bin_dir or not os.path.isfile(os.path.join(bin_dir, 'calc')):
    lit_config.fatal('calc not found: pass --param calc_bin_dir=DIR (or set '
                     'CALC_BIN_DIR) naming the directory of the calc binaries')
bin_dir = os.path.abspath(bin_dir)

tools_dir = param('llvm_tools_dir', 'LLVM_TOOLS_DIR')
if not tools_dir:
    filecheck = shutil.which('FileCheck')
    tools_dir = os.path.dirname(filecheck) if filecheck else '/usr/lib/llvm-19/bin'
for tool in ('FileCheck', 'not'):
    if not os.path.isfile(os.path.join(tools_dir, tool)):
        lit_config.fatal('%s not found in %s: pass --param llvm_tools_dir=DIR' % (tool, tools_dir))

config.test_exec_root = os.path.abspath(
    lit_config.params.get('calc_exec_root') or os.path.join(bin_dir, 'test'))

# calc --exec finds calc-helper through PATH.
config.environment['PATH'] = os.pathsep.join(
    [bin_dir, tools_dir, config.environment.get('PATH', '')])

covlock_lit.enable(config)
