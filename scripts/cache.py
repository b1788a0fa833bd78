#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Where atomic_waker keeps what it builds and logs, outside the repo.

The one place that says so: $AW_CACHE, else ~/.cache/atomic_waker.  Kernel
trees and builds, module builds, initramfs programs and console logs all
live under it, keyed by what they were built from.

Usage: cache.py [PART...]   prints the directory (joined with PART...)
"""
import os
import sys


def cache_dir(*parts):
    """The cache directory, or a path under it."""
    base = os.environ.get('AW_CACHE') or \
        os.path.join(os.path.expanduser('~'), '.cache', 'atomic_waker')
    return os.path.join(os.path.abspath(base), *parts)


if __name__ == '__main__':
    print(cache_dir(*sys.argv[1:]))
