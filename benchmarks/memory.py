"""Peak memory of a benchmark process (shared by the benchmark scripts)."""
import resource


def peak_mb():
    """This process's peak resident memory in MB. Linux's VmHWM belongs to the
    running program; ru_maxrss may carry over a figure from before exec, so a
    child started after a bigger one would report the bigger one's peak."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
