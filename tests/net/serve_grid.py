#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""serve_grid.py FILE: what a portsight serve page shows, from its HTML (a curl download or
Chromium's --dump-dom): "verdict V", then one "PORT STATE" line per grid cell; or with
--sse, the same from an event stream ("done V" last)."""
import re
import sys

def main():
    text = open(sys.argv[-1], encoding='utf-8', errors='replace').read()
    if '--sse' in sys.argv:
        for m in re.finditer(r'event: port\ndata: (\d+) ([ocs])', text):
            print(m.group(1), {'o': 'open', 'c': 'closed', 's': 'stealth'}[m.group(2)])
        m = re.search(r'event: done\ndata: \{"verdict":"(\w+)"', text)
        print('done', m.group(1) if m else 'none')
        return
    m = re.search(r'data-verdict="(\w+)"', text)
    print('verdict', m.group(1) if m else 'none')
    for m in re.finditer(r'<li data-port="(\d+)" data-state="(\w+)"', text):
        print(m.group(1), m.group(2))

if __name__ == '__main__':
    main()
