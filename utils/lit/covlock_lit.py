"""covlock integration for lit.

Enable it from a suite's lit.cfg.py (after or before setting test_format)::

    import sys
    sys.path.insert(0, '<covlock>/utils/lit')
    import covlock_lit
    covlock_lit.enable(config)

When COVLOCK_DIR is set in lit's own environment (it is under
``llvm-covlock run``), every test gets:

* COVLOCK_DIR, COVLOCK_RUN, COVLOCK_LABEL passed through lit's environment
  filter;
* COVLOCK_TEST = the test's full lit name (``test.getFullName()``);
* LLVM_PROFILE_FILE = ``<COVLOCK_DIR>/<key>/%h.%p.stock.profraw``, so that
  programs linked without the covlock runtime still land under their test.

Tests of lit's GoogleTest format are shards: they get neither, since the
GoogleTest listener (``llvm-covlock link-flags --gtest``) names each test.

Processes lit runs outside any test (e.g. GoogleTest discovery) get
LLVM_PROFILE_FILE under the ``_outside`` key. With COVLOCK_DIR unset or empty,
enable() does nothing at all.

The test key is the coverage-directory protocol's encoding (docs/protocol.md,
"Test keys"). ``python3 covlock_lit.py key ID`` prints the key of ID.

See docs/lit.md.
"""

import copy
import os
import sys

__all__ = ["enable", "test_key", "CovlockTestFormat", "OUTSIDE_KEY"]

PROTOCOL_VERSION = 1
OUTSIDE_KEY = "_outside"
STOCK_PROFILE_PATTERN = "%h.%p.stock.profraw"
PASSED_VARS = ("COVLOCK_DIR", "COVLOCK_RUN", "COVLOCK_LABEL")

_MAX_KEY = 160
_CUT_KEY = 143
_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3
_SAFE = frozenset(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"
)


def _fnv1a64(data):
    h = _FNV_OFFSET
    for b in data:
        h ^= b
        h = (h * _FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    return h


def _as_bytes(test_id):
    if isinstance(test_id, (bytes, bytearray)):
        return bytes(test_id)
    # The same bytes the process sees in its environment: subprocess encodes
    # str values with os.fsencode (UTF-8, surrogateescape on POSIX).
    return os.fsencode(test_id)


def test_key(test_id):
    """Return the protocol-v1 test key (a str) of test_id (str or bytes).

    None or an empty id gives OUTSIDE_KEY.
    """
    if test_id is None:
        return OUTSIDE_KEY
    raw = _as_bytes(test_id)
    if not raw:
        return OUTSIDE_KEY
    # Encode byte by byte, remembering where each encoded unit starts so the
    # cut never lands inside a %XX.
    units = []
    for i, b in enumerate(raw):
        if b in _SAFE and not (i == 0 and b in b"._"):
            units.append(chr(b))
        else:
            units.append("%%%02X" % b)
    key = "".join(units)
    if len(key) <= _MAX_KEY:
        return key
    cut = []
    n = 0
    for u in units:
        if n + len(u) > _CUT_KEY:
            break
        cut.append(u)
        n += len(u)
    return "".join(cut) + "~%016x" % _fnv1a64(raw)


def _covlock_env():
    """The COVLOCK_* variables to pass on, or None when covlock is off."""
    d = os.environ.get("COVLOCK_DIR", "")
    if not d:
        return None
    env = {}
    for var in PASSED_VARS:
        val = os.environ.get(var)
        if val is not None:
            env[var] = val
    # Tests run in their own working directories: make the directory absolute
    # against lit's working directory, which is what the caller meant.
    env["COVLOCK_DIR"] = os.path.abspath(d)
    return env


STOCK_ALIAS_DIR = os.path.join(".covlock", "stock")


def _profile_file(covlock_dir, key):
    """LLVM_PROFILE_FILE for stock-linked programs of the test with this key,
    or None if it cannot be expressed.

    compiler-rt's file name patterns have no escape for a literal '%' (an
    unknown %X is dropped, %<digits>m is a merge pool), and keys contain
    '%XX'. So a key with '%' is reached through a '%'-free alias: a symlink
    DIR/.covlock/stock/<key with % as @> -> ../../<key> ('@' is always
    escaped in keys, so the alias is injective). The key directory is
    created here too, since the profile runtime cannot create a directory
    through a symlink.
    """
    if "%" in covlock_dir:
        return None
    if "%" not in key:
        return os.path.join(covlock_dir, key, STOCK_PROFILE_PATTERN)
    alias = key.replace("%", "@")
    alias_dir = os.path.join(covlock_dir, STOCK_ALIAS_DIR)
    link = os.path.join(alias_dir, alias)
    target = os.path.join("..", "..", key)
    try:
        os.makedirs(os.path.join(covlock_dir, key), exist_ok=True)
        os.makedirs(alias_dir, exist_ok=True)
        try:
            os.symlink(target, link)
        except FileExistsError:
            if os.readlink(link) != target:
                tmp = "%s.%d.tmp" % (link, os.getpid())
                os.symlink(target, tmp)
                os.replace(tmp, link)
    except OSError:
        return None
    return os.path.join(link, STOCK_PROFILE_PATTERN)


def _names_tests_itself(fmt):
    """Whether fmt's lit tests are shards of a harness that names its own
    tests through covlock_test_begin: lit's GoogleTest format, whose binaries
    are linked with `llvm-covlock link-flags --gtest`. Such a shard gets no
    COVLOCK_TEST, so each GoogleTest test is one context (Suite.Name) and
    what the shard runs outside its tests is outside any test, rather than a
    context per shard."""
    try:
        from lit.formats.googletest import GoogleTest
    except ImportError:
        return False
    return isinstance(fmt, GoogleTest)


class CovlockTestFormat(object):
    """A proxy test format: gives each test its own COVLOCK_TEST and
    LLVM_PROFILE_FILE, then delegates to the wrapped format.

    Everything but execute() is delegated to the wrapped format. The class is
    module-level and keeps its state in plain attributes so it pickles to lit's
    worker processes (and deep-copies into lit.local.cfg configs).
    """

    def __init__(self, inner, env):
        self.__dict__["_covlock_inner"] = inner
        self.__dict__["_covlock_env"] = dict(env)

    def __getattr__(self, name):
        # Called only for attributes not found normally. While unpickling or
        # copying, __dict__ is still empty and the protocol probes for
        # __setstate__, __deepcopy__, ...: never recurse, never delegate
        # dunders.
        if name.startswith("__") or name.startswith("_covlock_"):
            raise AttributeError(name)
        try:
            inner = self.__dict__["_covlock_inner"]
        except KeyError:
            raise AttributeError(name)
        return getattr(inner, name)

    def __setattr__(self, name, value):
        if name.startswith("_covlock_"):
            self.__dict__[name] = value
        else:
            setattr(self.__dict__["_covlock_inner"], name, value)

    def __repr__(self):
        return "CovlockTestFormat(%r)" % (self.__dict__.get("_covlock_inner"),)

    @property
    def covlock_inner(self):
        return self.__dict__["_covlock_inner"]

    def execute(self, test, litConfig):
        inner = self.__dict__["_covlock_inner"]
        env = self.__dict__["_covlock_env"]
        test_id = test.getFullName()
        orig = test.config
        cfg = copy.copy(orig)
        cfg.environment = dict(orig.environment)
        cfg.environment.update(env)
        if not _names_tests_itself(inner):
            cfg.environment["COVLOCK_TEST"] = test_id
            profile = _profile_file(env["COVLOCK_DIR"], test_key(test_id))
            if profile is not None:
                cfg.environment["LLVM_PROFILE_FILE"] = profile
        test.config = cfg
        try:
            return inner.execute(test, litConfig)
        finally:
            test.config = orig


def _wrap(fmt, env):
    if fmt is None or isinstance(fmt, CovlockTestFormat):
        return fmt
    return CovlockTestFormat(fmt, env)


try:
    from lit.TestingConfig import TestingConfig as _TestingConfig
except ImportError:  # imported outside lit (the CLI)
    _TestingConfig = None

if _TestingConfig is not None:

    class CovlockTestingConfig(_TestingConfig):
        """A TestingConfig whose test_format is wrapped whenever it is
        assigned, so enable() may be called before test_format is set and a
        lit.local.cfg that sets its own test_format is covered too."""

        @property
        def test_format(self):
            return self.__dict__.get("_covlock_test_format")

        @test_format.setter
        def test_format(self, fmt):
            env = self.__dict__.get("_covlock_env")
            self.__dict__["_covlock_test_format"] = (
                _wrap(fmt, env) if env is not None else fmt
            )


def enable(config, lit_config=None):
    """Enable covlock for the suite configured by config (a TestingConfig).

    Does nothing unless COVLOCK_DIR is set and non-empty. Returns True if
    covlock was enabled.
    """
    env = _covlock_env()
    if env is None:
        return False
    config.environment.update(env)
    # Processes run outside any test (format discovery, ...) land in _outside.
    config.environment.pop("COVLOCK_TEST", None)
    profile = _profile_file(env["COVLOCK_DIR"], OUTSIDE_KEY)
    if profile is not None:
        config.environment["LLVM_PROFILE_FILE"] = profile
    else:
        sys.stderr.write(
            "covlock: COVLOCK_DIR contains '%%': programs linked without the "
            "covlock runtime keep their own LLVM_PROFILE_FILE (%s)\n"
            % env["COVLOCK_DIR"]
        )
    if _TestingConfig is not None and isinstance(config, _TestingConfig):
        # Wrap test_format now and whenever it is assigned later (here or in
        # a lit.local.cfg). Calling enable() twice just refreshes.
        fmt = config.test_format
        if isinstance(fmt, CovlockTestFormat):
            fmt = fmt.covlock_inner
        config.__dict__.pop("test_format", None)
        if type(config) is _TestingConfig:
            config.__class__ = CovlockTestingConfig
        config.__dict__["_covlock_env"] = env
        config.test_format = fmt
        if not isinstance(config.test_format, (CovlockTestFormat, type(None))):
            # A subclass of TestingConfig we did not swap: wrap it directly.
            config.test_format = _wrap(fmt, env)
    else:
        config.test_format = _wrap(config.test_format, env)
    return True


def _main(argv):
    usage = "usage: covlock_lit.py key ID\n"
    if len(argv) != 3 or argv[1] != "key":
        sys.stderr.write(usage)
        return 2
    # sys.argv was decoded with surrogateescape: os.fsencode gives back the
    # exact bytes of the argument.
    sys.stdout.write(test_key(argv[2]) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv))
