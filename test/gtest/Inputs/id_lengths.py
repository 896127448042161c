"""who's rows as "label id-prefix id-length confidence": ids as long as
COVLOCK_TEST_ID_MAX do not fit a check line."""
import re
import sys

for line in sys.stdin.buffer.read().decode("utf-8").splitlines():
    label, test, confidence = re.split(r" {2,}", line.strip())
    shown = test if len(test) < 40 else test[:10]
    print(label, shown, len(test.encode("utf-8")), confidence)
