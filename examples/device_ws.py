#!/usr/bin/env python3
"""A device on Switchboard's /ws: says hello with its info and declared commands,
publishes a reading every `interval` seconds, and obeys commands.

    pip install websockets
    python3 examples/device_ws.py --url ws://127.0.0.1:8080/ws --device py-ws-1

Then, from anywhere:
    curl -s -XPOST localhost:8080/api/v1/devices/py-ws-1/commands -d '{"name":"toggle_relay"}'
    switchboard cmd py-ws-1 set_interval '{"seconds":0.5}'
"""
import argparse
import asyncio
import json
import random
import time

import websockets

COMMANDS = ["toggle_relay", "set_interval"]


class Device:
    def __init__(self, interval):
        self.relay = False
        self.interval = interval
        self.temperature = 21.0

    def run(self, name, params):
        """Carries out one command; returns its result or raises ValueError (sent back as an error)."""
        if name == "toggle_relay":
            self.relay = not self.relay
            return {"relay": self.relay}
        if name == "set_interval":
            seconds = params.get("seconds")
            if not isinstance(seconds, (int, float)) or not 0.05 <= seconds <= 3600:
                raise ValueError("seconds must be a number from 0.05 to 3600")
            self.interval = float(seconds)
            return {"interval": self.interval}
        raise ValueError(f"unknown command {name!r}")

    def reading(self):
        self.temperature += random.uniform(-0.2, 0.2)
        return {"t": round(self.temperature, 2), "relay": self.relay, "ts": int(time.time() * 1000)}


async def publish_readings(ws, device, topic):
    while True:
        await ws.send(json.dumps({"op": "pub", "topic": topic, "data": device.reading()}))
        await asyncio.sleep(device.interval)


async def obey(ws, device):
    async for frame in ws:
        message = json.loads(frame)
        if message.get("op") == "cmd":
            answer = {"op": "cmd_result", "id": message["id"]}
            try:
                answer["result"] = device.run(message["name"], message.get("params") or {})
            except ValueError as error:
                answer["error"] = {"code": "bad_params", "message": str(error)}
            print("command", message["name"], "->", answer.get("result") or answer.get("error"), flush=True)
            await ws.send(json.dumps(answer))
        elif message.get("op") == "error":
            print("hub error:", message["error"], flush=True)


async def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="ws://127.0.0.1:8080/ws")
    parser.add_argument("--device", default="py-ws-1")
    parser.add_argument("--topic", help="where readings go (default lab/<device>)")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between readings")
    parser.add_argument("--duration", type=float, help="stop after this many seconds")
    args = parser.parse_args()
    device = Device(args.interval)
    topic = args.topic or f"lab/{args.device}"
    async with websockets.connect(args.url) as ws:
        info = {"model": "python-demo", "firmware": "1.0.0", "commands": COMMANDS, "topic": topic}
        await ws.send(json.dumps({"op": "hello", "id": 1, "device": args.device, "info": info}))
        print("connected as", args.device, flush=True)
        tasks = [asyncio.create_task(publish_readings(ws, device, topic)), asyncio.create_task(obey(ws, device))]
        done, pending = await asyncio.wait(tasks, timeout=args.duration, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        for task in done:
            task.result()  # a lost connection ends the program with its error


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
