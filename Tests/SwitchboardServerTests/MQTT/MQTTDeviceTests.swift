import Foundation
import NIOCore
import SwitchboardCore
import SwitchboardMQTT
import Testing

/// An MQTT client with a client id is a device: commands arrive on `devices/<id>/cmd`,
/// answers go to `devices/<id>/cmd_result`.
@Suite struct MQTTDeviceTests {
    @Test func aCommandReachesTheMQTTDeviceAndItsAnswerReachesTheCaller() async throws {
        try await TestHub.with { hub in
            let (device, _) = try await TestMQTTClient.connected(port: hub.mqttPort, Connect(clientID: "esp32-mqtt"))
            try await device.send(.subscribe(Subscribe(packetID: 1, filters: [.init("devices/esp32-mqtt/cmd", qos: .atLeastOnce)])))
            _ = try await device.next()
            let devices = try await TestHTTP.get("\(hub.http)/api/v1/devices")
            let listed = (devices.json["devices"] as? [[String: Any]])?.first { $0["id"] as? String == "esp32-mqtt" }
            #expect(listed?["online"] as? Bool == true)
            #expect(listed?["transport"] as? String == "mqtt")

            async let answer = TestHTTP.post("\(hub.http)/api/v1/devices/esp32-mqtt/commands", #"{"name":"toggle_relay","params":{"on":true}}"#)
            let command = try await device.nextPublish()
            #expect(command.topic == "devices/esp32-mqtt/cmd")
            let body = try JSONSerialization.jsonObject(with: Data(String(buffer: command.payload).utf8)) as! [String: Any]
            #expect(body["name"] as? String == "toggle_relay")
            let id = try #require(body["id"] as? String)
            let result = #"{"id":"\#(id)","result":{"relay":"on"}}"#
            try await device.send(.publish(Publish(topic: "devices/esp32-mqtt/cmd_result", payload: ByteBuffer(string: result), qos: .atLeastOnce, packetID: 5)))
            #expect(try await device.next() == .puback(packetID: 5))
            let response = try await answer
            #expect(response.json["state"] as? String == "succeeded")
            #expect((response.json["result"] as? [String: Any])?["relay"] as? String == "on")

            // An MQTT client can send a command by publishing to devices/<id>/cmd.
            let (caller, _) = try await TestMQTTClient.connected(port: hub.mqttPort, Connect(clientID: "", cleanSession: true))
            try await caller.send(.publish(Publish(topic: "devices/esp32-mqtt/cmd", payload: ByteBuffer(string: #"{"name":"blink"}"#), qos: .atLeastOnce, packetID: 9)))
            #expect(try await caller.next() == .puback(packetID: 9))
            let blink = try await device.nextPublish()
            #expect(String(buffer: blink.payload).contains(#""name":"blink""#))

            await device.close()
            try await Task.sleep(for: .milliseconds(200))
            let after = try await TestHTTP.get("\(hub.http)/api/v1/devices")
            let offline = (after.json["devices"] as? [[String: Any]])?.first { $0["id"] as? String == "esp32-mqtt" }
            #expect(offline?["online"] as? Bool == false)
        }
    }
}
