# Runs argv[3:] with RLIMIT_FSIZE set to the byte count in file argv[1] plus
# argv[2] bytes (ulimit -f only counts kilobytes) and SIGXFSZ at its default.
# Its output passes through pipes (the limit would cut a file it writes), then
# "status N" follows on stdout.
import resource
import subprocess
import sys

limit = int(open(sys.argv[1]).read()) + int(sys.argv[2])
def limit_file_size():
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
child = subprocess.run(sys.argv[3:], preexec_fn=limit_file_size,
                       capture_output=True, restore_signals=True)
sys.stderr.buffer.write(child.stderr)
sys.stdout.buffer.write(child.stdout)
sys.stdout.write("status %d\n" % child.returncode)
