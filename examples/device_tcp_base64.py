#!/usr/bin/env python3
"""A device on Switchboard's raw TCP port speaking base64 JSON lines, like the
ESP32 of seed 004: hello with info, a reading every `interval` seconds, and
commands answered in base64. Standard library only.

    python3 examples/device_tcp_base64.py --host 127.0.0.1 --port 7000 --device py-tcp-1

Each line the device sends is base64 of a JSON object; the hub answers (and
sends commands) in base64 too, because that is what this connection speaks:
    → base64({"hello":"py-tcp-1","topic":"lab/py-tcp-1","info":{…}})
    ← base64({"ok":true})
    → base64({"t":21.3,"relay":false})                            a reading on the default topic
    ← base64({"cmd":{"id":"c-…","name":"toggle_relay","params":{}}})
    → base64({"cmd_result":{"id":"c-…","result":{"relay":true}}})
"""
import argparse
import base64
import json
import random
import select
import socket
import time

COMMANDS = ["toggle_relay", "set_interval"]


def encode(obj):
    return base64.b64encode(json.dumps(obj).encode()) + b"\n"


def decode(line):
    return json.loads(base64.b64decode(line.strip()))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7000)
    parser.add_argument("--device", default="py-tcp-1")
    parser.add_argument("--topic", help="where readings go (default lab/<device>)")
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--duration", type=float, help="stop after this many seconds")
    args = parser.parse_args()
    topic = args.topic or f"lab/{args.device}"
    relay, interval, temperature = False, args.interval, 21.0
    stop_at = time.monotonic() + args.duration if args.duration else None

    sock = socket.create_connection((args.host, args.port))
    info = {"model": "python-tcp-demo", "firmware": "1.0.0", "commands": COMMANDS}
    sock.sendall(encode({"hello": args.device, "topic": topic, "info": info}))
    print("connected as", args.device, flush=True)
    pending = b""
    next_reading = time.monotonic()
    while stop_at is None or time.monotonic() < stop_at:
        now = time.monotonic()
        if now >= next_reading:
            temperature += random.uniform(-0.2, 0.2)
            sock.sendall(encode({"t": round(temperature, 2), "relay": relay}))
            next_reading = now + interval
        wait = max(0.0, next_reading - time.monotonic())
        if stop_at is not None:
            wait = min(wait, max(0.0, stop_at - time.monotonic()))
        readable, _, _ = select.select([sock], [], [], wait)
        if not readable:
            continue
        chunk = sock.recv(65536)
        if not chunk:
            print("the hub closed the connection", flush=True)
            return
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            if not line.strip():
                continue
            message = decode(line)
            command = message.get("cmd")
            if command is None:
                if "error" in message:
                    print("hub error:", message["error"], flush=True)
                continue
            answer = {"id": command["id"]}
            params = command.get("params") or {}
            if command["name"] == "toggle_relay":
                relay = not relay
                answer["result"] = {"relay": relay}
            elif command["name"] == "set_interval" and isinstance(params.get("seconds"), (int, float)) and params["seconds"] > 0:
                interval = float(params["seconds"])
                answer["result"] = {"interval": interval}
            else:
                answer["error"] = {"code": "bad_params", "message": f"cannot do {command['name']} with {params}"}
            print("command", command["name"], "->", answer.get("result") or answer.get("error"), flush=True)
            sock.sendall(encode({"cmd_result": answer}))
    sock.close()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
