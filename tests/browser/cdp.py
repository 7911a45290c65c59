#!/usr/bin/env python3
"""Drive the /reset-password page in headless Chromium over the DevTools protocol (stdlib only).

    cdp.py <chromium-args-profile-dir> <url>

Fills the form twice: first with two different passwords (the page must refuse without calling
the API), then with a matching new password; prints one line per step:
    mismatch: <message shown>
    submitted: <message shown>
    token-in-dom: yes|no
"""
import base64, json, os, re, socket, subprocess, sys, time, urllib.request

profile, url = sys.argv[1], sys.argv[2]
token = url.split("token=", 1)[-1]
proc = subprocess.Popen(
    ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
     "--disable-background-networking", "--disable-component-update", "--disable-sync",
     f"--user-data-dir={profile}", "--remote-debugging-port=0", url],
    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
try:
    port = None
    deadline = time.time() + 20
    while port is None and time.time() < deadline:
        line = proc.stderr.readline()
        found = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
        if found:
            port = int(found.group(1))
    if port is None:
        sys.exit("no DevTools port")
    page = None
    while page is None and time.time() < deadline:
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list"))
        page = next((t for t in targets if t.get("type") == "page"), None)
        time.sleep(0.1)
    ws_url = page["webSocketDebuggerUrl"]
    host, path = re.match(r"ws://([^/]+)(/.*)", ws_url).groups()
    h, p = host.split(":")
    sock = socket.create_connection((h, int(p)))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                  "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        buf += sock.recv(4096)
    buf = buf.split(b"\r\n\r\n", 1)[1]

    def recv_exact(n):
        nonlocal_buf = recv_exact.buf
        while len(nonlocal_buf) < n:
            nonlocal_buf += sock.recv(65536)
        recv_exact.buf = nonlocal_buf[n:]
        return nonlocal_buf[:n]
    recv_exact.buf = buf

    def send(obj):
        data = json.dumps(obj).encode()
        header = bytearray([0x81])
        n = len(data)
        if n < 126:
            header.append(0x80 | n)
        elif n < 65536:
            header.append(0x80 | 126); header += n.to_bytes(2, "big")
        else:
            header.append(0x80 | 127); header += n.to_bytes(8, "big")
        mask = os.urandom(4)
        sock.sendall(bytes(header) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def receive():
        message = b""
        while True:
            b0, b1 = recv_exact(2)
            n = b1 & 0x7F
            if n == 126:
                n = int.from_bytes(recv_exact(2), "big")
            elif n == 127:
                n = int.from_bytes(recv_exact(8), "big")
            message += recv_exact(n)
            if b0 & 0x80:
                return json.loads(message)

    counter = [0]

    def evaluate(expression):
        counter[0] += 1
        send({"id": counter[0], "method": "Runtime.evaluate",
              "params": {"expression": expression, "returnByValue": True, "awaitPromise": True}})
        while True:
            reply = receive()
            if reply.get("id") == counter[0]:
                return reply.get("result", {}).get("result", {}).get("value")

    def wait_for(expression, until=10):
        end = time.time() + until
        while time.time() < end:
            value = evaluate(expression)
            if value:
                return value
            time.sleep(0.1)
        return None

    wait_for("document.readyState === 'complete' && !document.getElementById('reset-form').hidden")
    fill = ("(function(a,b){document.getElementById('new-password').value=a;"
            "document.getElementById('confirm-password').value=b;"
            "document.getElementById('message').textContent='';"
            "document.getElementById('submit').click();return true;})")
    evaluate(fill + "('New-Browser-Passw0rd','Different-Passw0rd')")
    print("mismatch:", wait_for("document.getElementById('message').textContent"))
    evaluate(fill + "('New-Browser-Passw0rd','New-Browser-Passw0rd')")
    print("submitted:", wait_for("document.getElementById('message').textContent"))
    dom = evaluate("document.documentElement.outerHTML + location.href")
    print("token-in-dom:", "yes" if token in (dom or "") else "no")
finally:
    proc.kill()
    proc.wait()
