#!/usr/bin/env python3
"""Print how busy the machine is: non-idle share of all CPUs (0-100) over a short sample.

Usage: busy.py [sample_secs]   (default 0.5). Used by run.sh to wait for a quiet machine and to
record "busy_pct" before each run (the bench pins the server and the client to the 2 cores, so any
other load on the machine distorts the numbers).
"""
import sys
import time


def snap():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + (v[4] if len(v) > 4 else 0)  # idle + iowait
    return sum(v), idle


def main():
    secs = float(sys.argv[1]) if len(sys.argv) > 1 else 0.5
    t1, i1 = snap()
    time.sleep(secs)
    t2, i2 = snap()
    dt = t2 - t1
    print(f"{0.0 if dt <= 0 else 100.0 * (dt - (i2 - i1)) / dt:.1f}")


if __name__ == "__main__":
    main()
