#!/usr/bin/env python3
"""qmp.py SOCKET COMMAND-JSON...: send QMP commands in order; print each reply as one JSON line.
Exits 1 if any command returned an error."""
import json
import socket
import sys


def main() -> int:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(sys.argv[1])
    stream = sock.makefile("rw")

    def reply():
        for line in stream:
            msg = json.loads(line)
            if "event" not in msg:
                return msg
        raise SystemExit("QMP: connection closed")

    reply()  # greeting
    stream.write(json.dumps({"execute": "qmp_capabilities"}) + "\n")
    stream.flush()
    reply()
    failed = False
    for cmd in sys.argv[2:]:
        stream.write(json.dumps(json.loads(cmd)) + "\n")
        stream.flush()
        r = reply()
        print(json.dumps(r), flush=True)
        failed |= "error" in r
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
