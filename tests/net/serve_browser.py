#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""serve_browser.py CHROMIUM URL TEST SCREENSHOT: a visitor's real browser session with
portsight serve, run inside the visitor's namespace (so the server sees the visitor's address).

Starts headless Chromium (JavaScript on) with a DevTools port on this namespace's loopback,
drives it over the DevTools protocol (a minimal RFC 6455 websocket client below, standard
library only), opens URL (the consent page), picks TEST, clicks Proceed with a real mouse event,
waits for the live view's verdict (the grid is drawn by the script and filled only by the
Server-Sent Events), saves a screenshot, then follows the "full result" link.

Prints what the pages DISPLAY, read from the DOM:
  client ADDR              the address the consent page says it will probe
  live-verdict KIND        the verdict the live view shows
  live PORT STATE          one per cell of the live grid
  result-verdict KIND      the verdict the result page shows
  result PORT STATE        one per cell of the result page's grid
and for the TruStealth test also
  live-truestealth V       the TruStealth verdict the live view shows (PASSED, FAILED...)
  result-truestealth V     the one on the result page, and "result-upnp ANSWER",
                           "result-upnp-header LINE" per line of the device's reply shown
STATE is what the cell shows by its label, its colour and its shape together; when those
disagree (or a cell is still pending) it is "inconsistent(...)". Exits 1 on a failure, with one
line on stderr saying what.
"""
import base64
import hashlib
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'


class WebSocket:
    """Just what the DevTools protocol needs: text frames, masked from the client."""

    def __init__(self, url, timeout=30):
        assert url.startswith('ws://')
        hostport, _, path = url[5:].partition('/')
        host, _, port = hostport.rpartition(':')
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(('GET /%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n'
                           'Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n'
                           'Sec-WebSocket-Version: 13\r\n\r\n' % (path, hostport, key)).encode())
        head = b''
        while b'\r\n\r\n' not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise OSError('websocket: connection closed during the handshake')
            head += chunk
        head, _, self.buf = head.partition(b'\r\n\r\n')
        lines = head.decode('latin-1').split('\r\n')
        if ' 101 ' not in lines[0] + ' ':
            raise OSError('websocket: handshake refused: %s' % lines[0])
        want = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        accept = [l.split(':', 1)[1].strip() for l in lines[1:]
                  if l.lower().startswith('sec-websocket-accept:')]
        if accept != [want]:
            raise OSError('websocket: bad Sec-WebSocket-Accept')

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise OSError('websocket: connection closed')
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _send_frame(self, opcode, payload):
        mask = os.urandom(4)
        n = len(payload)
        if n < 126:
            head = struct.pack('!BB', 0x80 | opcode, 0x80 | n)
        elif n < 65536:
            head = struct.pack('!BBH', 0x80 | opcode, 0x80 | 126, n)
        else:
            head = struct.pack('!BBQ', 0x80 | opcode, 0x80 | 127, n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + masked)

    def send(self, text):
        self._send_frame(1, text.encode())

    def recv(self):
        message = b''
        while True:
            b0, b1 = self._read(2)
            opcode, n = b0 & 15, b1 & 127
            if n == 126:
                n = struct.unpack('!H', self._read(2))[0]
            elif n == 127:
                n = struct.unpack('!Q', self._read(8))[0]
            mask = self._read(4) if b1 & 0x80 else None
            payload = self._read(n)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            if opcode == 8:
                raise OSError('websocket: closed by the browser')
            if opcode == 9:
                self._send_frame(10, payload)
                continue
            if opcode in (0, 1, 2):
                message += payload
                if b0 & 0x80:
                    return message.decode()


class DevTools:
    def __init__(self, ws):
        self.ws = ws
        self.next_id = 0
        self.events = []

    def call(self, method, **params):
        self.next_id += 1
        mid = self.next_id
        self.ws.send(json.dumps({'id': mid, 'method': method, 'params': params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get('id') == mid:
                if 'error' in msg:
                    raise RuntimeError('%s: %s' % (method, msg['error'].get('message')))
                return msg.get('result', {})
            if 'method' in msg:
                self.events.append(msg)

    def evaluate(self, expr):
        r = self.call('Runtime.evaluate', expression=expr, returnByValue=True,
                      awaitPromise=True)
        if 'exceptionDetails' in r:
            raise RuntimeError('script: %s' % r['exceptionDetails'].get('text'))
        return r['result'].get('value')

    def wait_for(self, expr, timeout, what):
        """Polls a page expression until it is truthy (the page may navigate meanwhile)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                v = self.evaluate(expr)
                if v:
                    return v
            except RuntimeError:
                pass  # a navigation in progress
            time.sleep(0.2)
        raise RuntimeError('timed out after %d s waiting for %s' % (timeout, what))


# What each cell shows: its label, its colour (a hue, so a shade change keeps the meaning) and
# the shape the style sheet puts before it.
CELLS_JS = r'''(function (sel) {
  return Array.from(document.querySelectorAll(sel)).map(function (li) {
    var n = li.querySelector('.n'), l = li.querySelector('.l');
    return { port: n ? n.textContent : '', label: l ? l.textContent.trim() : '',
             bg: getComputedStyle(li).backgroundColor,
             shape: getComputedStyle(li, '::before').content };
  });
})(%s)'''

SHAPES = {'\u25a0': 'open', '\u25b2': 'closed', '\u25cb': 'stealth'}


def colour_state(bg):
    nums = [int(x) for x in bg[bg.index('(') + 1:bg.index(')')].split(',')[:3]]
    r, g, b = nums
    if max(nums) - min(nums) < 40:
        return 'grey'
    return {0: 'open', 1: 'stealth', 2: 'closed'}[nums.index(max(nums))]


def shown(cell):
    label = cell['label'].lower()
    colour = colour_state(cell['bg'])
    shape = SHAPES.get(cell['shape'].strip('"').strip(), 'none')
    if label in ('open', 'closed', 'stealth') and label == colour == shape:
        return label
    return 'inconsistent(label=%s,colour=%s,shape=%s)' % (label, colour, shape)


def start_chromium(chromium, profile):
    args = [chromium, '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
            '--no-default-browser-check', '--disable-background-networking',
            '--disable-component-update', '--disable-sync', '--metrics-recording-only',
            '--user-data-dir=' + profile, '--remote-debugging-address=127.0.0.1',
            '--remote-debugging-port=0', '--window-size=1000,1400', 'about:blank']
    env = dict(os.environ, HOME=profile)
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL,
                            stderr=open(os.path.join(profile, 'chromium.log'), 'w'))
    active = os.path.join(profile, 'DevToolsActivePort')
    end = time.monotonic() + 60
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError('chromium exited (%d) before DevTools was up' % proc.returncode)
        try:
            port = int(open(active).read().split('\n')[0])
            break
        except (OSError, ValueError):
            time.sleep(0.2)
    else:
        raise RuntimeError('chromium: no DevTools port after 60 s')
    return proc, port


def page_socket(port):
    end = time.monotonic() + 30
    while time.monotonic() < end:
        with urllib.request.urlopen('http://127.0.0.1:%d/json/list' % port, timeout=10) as r:
            pages = [t for t in json.load(r) if t.get('type') == 'page']
        if pages:
            return pages[0]['webSocketDebuggerUrl']
        time.sleep(0.2)
    raise RuntimeError('chromium: no page target')


def click(dt, selector):
    """A real click: the element's centre, through the browser's input pipeline."""
    box = dt.evaluate('(function(){var e=document.querySelector(%s); if(!e) return null;'
                      'e.scrollIntoView({block:"center"}); var r=e.getBoundingClientRect();'
                      'return [r.left + r.width/2, r.top + r.height/2];})()'
                      % json.dumps(selector))
    if not box:
        raise RuntimeError('no %s to click' % selector)
    for kind in ('mouseMoved', 'mousePressed', 'mouseReleased'):
        dt.call('Input.dispatchMouseEvent', type=kind, x=box[0], y=box[1], button='left',
                clickCount=1)


def session(dt, url, test, screenshot, out):
    dt.call('Page.enable')
    dt.call('Runtime.enable')
    dt.call('Emulation.setScriptExecutionDisabled', value=False)
    dt.call('Page.navigate', url=url)
    dt.wait_for('document.readyState === "complete" && !!document.getElementById("consent")',
                30, 'the consent page')
    out.append('client %s' % dt.evaluate('document.getElementById("client").textContent'))
    if not dt.evaluate('document.querySelector(\'input[name=test][value=%s]\') !== null'
                       % json.dumps(test)):
        raise RuntimeError('the consent page offers no %s test' % test)
    click(dt, 'input[name=test][value=%s]' % json.dumps(test))
    if not dt.evaluate('document.querySelector(\'input[name=test][value=%s]\').checked'
                       % json.dumps(test)):
        raise RuntimeError('clicking the %s test did not select it' % test)
    click(dt, '#consent button[type=submit]')
    # The live view: the script replaced the form with a grid and follows the event stream.
    dt.wait_for('!!document.querySelector("#live ol.grid")', 30, 'the live grid')
    dt.wait_for('!!document.getElementById("live-verdict")', 120, 'the verdict')
    if dt.evaluate('location.pathname') != '/':
        raise RuntimeError('the page navigated away: the live view was not used')
    out.append('live-verdict %s' % dt.evaluate(
        'document.getElementById("live-verdict").dataset.verdict'))
    ts = dt.evaluate('(function(){var e=document.getElementById("live-truestealth");'
                     'return e ? e.dataset.stealth : null;})()')
    if ts:
        out.append('live-truestealth %s' % ts)
    for cell in dt.evaluate(CELLS_JS % json.dumps('#live ol.grid li')):
        out.append('live %s %s' % (cell['port'], shown(cell)))
    shot = dt.call('Page.captureScreenshot', format='png', captureBeyondViewport=True)
    with open(screenshot, 'wb') as f:
        f.write(base64.b64decode(shot['data']))
    click(dt, '#full-result')
    dt.wait_for('location.pathname.indexOf("/scan/") === 0 && document.readyState === '
                '"complete" && !!document.getElementById("result")', 30, 'the result page')
    out.append('result-verdict %s' % dt.evaluate(
        'document.getElementById("result").dataset.verdict'))
    ts = dt.evaluate('(function(){var e=document.getElementById("truestealth"); if (!e) '
                     'return null; var u=document.getElementById("upnp"), r=document.'
                     'getElementById("upnp-reply"); return {v: e.dataset.stealth, upnp: '
                     'u.dataset.answer, reply: r ? r.innerText : ""};})()')
    if ts:
        out.append('result-truestealth %s' % ts['v'])
        out.append('result-upnp %s' % ts['upnp'])
        out.extend('result-upnp-header %s' % l for l in ts['reply'].splitlines())
    for cell in dt.evaluate(CELLS_JS % json.dumps('#grid li')):
        out.append('result %s %s' % (cell['port'], shown(cell)))


def main():
    chromium, url, test, screenshot = sys.argv[1:5]
    profile = tempfile.mkdtemp(prefix='serve-browser.')
    proc = None
    out = []
    rc = 0
    try:
        proc, port = start_chromium(chromium, profile)
        dt = DevTools(WebSocket(page_socket(port)))
        session(dt, url, test, screenshot, out)
        try:
            dt.call('Browser.close')
        except (OSError, RuntimeError):
            pass
    except (OSError, RuntimeError, ValueError, KeyError) as e:
        print('serve_browser: %s' % e, file=sys.stderr)
        rc = 1
    finally:
        if proc:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(profile, ignore_errors=True)
    print('\n'.join(out))
    return rc


if __name__ == '__main__':
    sys.exit(main())
