import Foundation

/// paho-mqtt (PyPI), the Eclipse MQTT client, driven by a small script: a client no
/// one here wrote. Every event is one JSON line on stdout.
///
/// - `sub --port P --id ID --clean 0|1 --qos Q --count N [--filter F …] [--ws]`: connects, subscribes to the
///   filters (none: rely on the persistent session), prints each message, disconnects cleanly after N.
/// - `pub --port P --id ID --qos Q [--will-topic T --will-payload X] [--hold] [--ws] TOPIC PAYLOAD …`:
///   publishes each pair, prints each acknowledgement; with `--hold` then waits to be killed.
enum Paho {
    static let script = #"""
        import argparse, json, sys, threading, time
        import paho.mqtt.client as mqtt

        # Paho's network thread and the main thread both print: one whole line at a time.
        printing = threading.Lock()
        def say(**event):
            with printing:
                sys.stdout.write(json.dumps(event) + "\n")
                sys.stdout.flush()

        p = argparse.ArgumentParser()
        p.add_argument("mode")
        p.add_argument("--port", type=int)
        p.add_argument("--id", default="")
        p.add_argument("--clean", type=int, default=1)
        p.add_argument("--qos", type=int, default=0)
        p.add_argument("--count", type=int, default=0)
        p.add_argument("--filter", action="append", default=[])
        p.add_argument("--ws", action="store_true")
        p.add_argument("--will-topic")
        p.add_argument("--will-payload", default="")
        p.add_argument("--hold", action="store_true")
        p.add_argument("rest", nargs="*")
        a = p.parse_intermixed_args()

        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=a.id, clean_session=bool(a.clean),
                        protocol=mqtt.MQTTv311, transport="websockets" if a.ws else "tcp")
        if a.ws:
            c.ws_set_options(path="/mqtt")
        if a.will_topic:
            c.will_set(a.will_topic, a.will_payload, qos=1)
        received = []
        acked = []

        connected = []

        def on_connect(client, userdata, flags, reason, properties):
            say(connected=not reason.is_failure, session_present=bool(flags.session_present), reason=str(reason))
            connected.append(True)
            for f in a.filter:
                client.subscribe(f, qos=a.qos)

        def on_subscribe(client, userdata, mid, reasons, properties):
            say(subscribed=[r.value for r in reasons])

        def on_message(client, userdata, msg):
            text = None
            try:
                text = msg.payload.decode("utf-8")
            except UnicodeDecodeError:
                pass
            say(topic=msg.topic, payload=text, hex=msg.payload.hex(), qos=msg.qos, retain=bool(msg.retain))
            received.append(msg)

        def on_publish(client, userdata, mid, reason, properties):
            acked.append(mid)
            say(acked=mid)

        c.on_connect, c.on_subscribe, c.on_message, c.on_publish = on_connect, on_subscribe, on_message, on_publish
        c.connect("127.0.0.1", a.port, keepalive=30)
        c.loop_start()
        deadline = time.time() + 30
        while not connected and time.time() < deadline:
            time.sleep(0.01)
        if a.mode == "sub":
            while len(received) < a.count and time.time() < deadline:
                time.sleep(0.01)
        else:
            pairs = list(zip(a.rest[0::2], a.rest[1::2]))
            for topic, payload in pairs:
                c.publish(topic, payload, qos=a.qos)
            while a.qos > 0 and len(acked) < len(pairs) and time.time() < deadline:
                time.sleep(0.01)
            if a.hold:
                say(holding=True)
                time.sleep(60)
        say(done=True)
        c.disconnect()
        c.loop_stop()
        """#

    /// Starts the script with `arguments`.
    static func start(_ arguments: [String]) throws -> ToolProcess {
        try ToolProcess(["python3", "-c", Self.script] + arguments)
    }

    /// The JSON objects the script printed.
    static func events(_ tool: ToolProcess) -> [[String: Any]] {
        tool.output.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// The messages the script printed, in order.
    static func messages(_ tool: ToolProcess) -> [[String: Any]] {
        Self.events(tool).filter { $0["topic"] != nil }
    }
}

/// Whether the real MQTT clients are installed. Under `CI=true` the tests run (and fail)
/// without them: missing tools are failures there, never skips.
enum MQTTTools {
    static let usable: Bool = {
        if ProcessInfo.processInfo.environment["CI"] == "true" { return true }
        return Self.succeeds(["mosquitto_pub", "--help"], allowed: [0, 1]) && Self.succeeds(["python3", "-c", "import paho.mqtt.client"], allowed: [0])
    }()

    private static func succeeds(_ arguments: [String], allowed: Set<Int32>) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return allowed.contains(process.terminationStatus)
    }
}
