# -*- Python -*-
# The covlock test suite: programs compiled by clang-19 with coverage and
# linked with the runtime, real lit runs, llvm-profdata/llvm-cov as oracles.

import os
import shlex
import subprocess

import lit.formats
from lit.llvm import llvm_config

config.name = "covlock"
# bash, not lit's internal shell: tests loop over variants and check statuses.
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".test", ".c"]
config.excludes = ["Inputs", "Unit", "CMakeLists.txt"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.covlock_obj_root, "test")

# Tests set COVLOCK_* themselves; never inherit a surrounding run's.
for var in ["COVLOCK_DIR", "COVLOCK_RUN", "COVLOCK_LABEL", "COVLOCK_TEST",
            "LLVM_PROFILE_FILE"]:
    config.environment.pop(var, None)

# Sorted listings in the tests are byte order.
config.environment["LC_ALL"] = "C"

llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.covlock_tools_dir, append_path=True)
llvm_config.use_default_substitutions()

covlock = os.path.join(config.covlock_tools_dir, "llvm-covlock")
def link_flags(*args):
    try:
        out = subprocess.check_output([covlock, "link-flags", *args], text=True)
        return out.strip()
    except (OSError, subprocess.CalledProcessError) as e:
        lit_config.fatal("cannot get the covlock link flags: %s" % e)

coverage = "-fprofile-instr-generate -fcoverage-mapping"
cflags, ldflags = link_flags("--cflags"), link_flags()
clang = shlex.quote(config.clang)
# An instrumented program linked with the runtime, and one without it.
# (Substitutions apply in order: the longer names go first.)
config.substitutions.append(
    ("%cc_covlock", "%s %s -g0 %s %s" % (clang, coverage, cflags, ldflags)))
config.substitutions.append(("%cc_stock", "%s %s -g0" % (clang, coverage)))
config.substitutions.append(("%clangxx", shlex.quote(config.clang + "++")))
config.substitutions.append(("%clang", clang))
config.substitutions.append(("%covlock_cflags", cflags))
config.substitutions.append(("%covlock_ldflags", ldflags))
# The GoogleTest listener (utils/gtest), built when GoogleTest was found.
if os.path.exists(os.path.join(config.covlock_obj_root, "lib", "libcovlock_gtest.a")):
    config.available_features.add("gtest")
    config.substitutions.append(("%covlock_gtest_ldflags", link_flags("--gtest")))
config.substitutions.append(("%python", shlex.quote(config.python_executable)))
config.substitutions.append(
    ("%{lit}", "%s %s" % (shlex.quote(config.python_executable),
                          shlex.quote(config.lit_script))))
config.substitutions.append(("%covlock_src", config.covlock_src_root))
config.substitutions.append(("%covlock_obj", config.covlock_obj_root))
config.substitutions.append(("%example_bin", config.example_bin_dir))
# libFuzzer targets (fuzz/), built with clang only.
if config.covlock_fuzzers:
    config.available_features.add("fuzzers")
config.substitutions.append(("%fuzz_dir", config.fuzz_dir))
# Debian's chromium, headless: html-browser.test renders the site.
if os.path.exists("/usr/bin/chromium"):
    config.available_features.add("chromium")

# Root may write anywhere: permission tests drop to an unprivileged user.
unprivileged = ""
if os.getuid() == 0:
    unprivileged = "setpriv --reuid=65534 --regid=65534 --clear-groups"
config.substitutions.append(("%as_unprivileged", unprivileged))
