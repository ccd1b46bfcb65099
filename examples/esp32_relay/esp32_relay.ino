// ESP32 relay node for Switchboard over raw TCP with base64 JSON lines (as in seed 004).
// Says hello with its info and commands, sends a reading every few seconds,
// and obeys "toggle_relay" and "set_interval" ({"seconds": N}), answering each.
// Libraries: the ESP32 Arduino core (WiFi, mbedtls base64) and ArduinoJson 7.
#include <WiFi.h>
#include <ArduinoJson.h>
#include <memory>
#include "mbedtls/base64.h"

const char* WIFI_SSID = "your-ssid";
const char* WIFI_PASSWORD = "your-password";
const char* HUB_HOST = "192.168.2.6";   // the machine running `switchboard serve --tcp 0.0.0.0:7000`
const uint16_t HUB_PORT = 7000;
const char* DEVICE_ID = "esp32-1";
const int RELAY_PIN = 26;

WiFiClient client;
bool relayOn = false;
unsigned long intervalMs = 5000;
unsigned long lastReading = 0;

// Sends one JSON document as a base64 line.
void sendLine(const JsonDocument& doc) {
  String json;
  serializeJson(doc, json);
  size_t outLength = 0;
  mbedtls_base64_encode(nullptr, 0, &outLength, (const unsigned char*)json.c_str(), json.length());
  std::unique_ptr<unsigned char[]> out(new unsigned char[outLength + 1]);
  mbedtls_base64_encode(out.get(), outLength + 1, &outLength, (const unsigned char*)json.c_str(), json.length());
  client.write(out.get(), outLength);
  client.write('\n');
}

// Decodes one base64 line into `doc`; false if it is not base64 JSON.
bool readLine(const String& line, JsonDocument& doc) {
  size_t outLength = 0;
  std::unique_ptr<unsigned char[]> out(new unsigned char[line.length() + 1]);
  if (mbedtls_base64_decode(out.get(), line.length() + 1, &outLength, (const unsigned char*)line.c_str(), line.length()) != 0) return false;
  return deserializeJson(doc, (const char*)out.get(), outLength) == DeserializationError::Ok;
}

void connectToHub() {
  while (!client.connect(HUB_HOST, HUB_PORT)) {
    Serial.print(".");
    delay(1000);
  }
  JsonDocument hello;
  hello["hello"] = DEVICE_ID;
  hello["topic"] = String("lab/") + DEVICE_ID;
  hello["info"]["model"] = "esp32-relay";
  hello["info"]["firmware"] = "1.0.0";
  JsonArray commands = hello["info"]["commands"].to<JsonArray>();
  commands.add("toggle_relay");
  commands.add("set_interval");
  sendLine(hello);
  Serial.println("\nconnected to the hub");
}

void handleCommand(JsonObject cmd) {
  JsonDocument answer;
  answer["cmd_result"]["id"] = cmd["id"].as<const char*>();
  String name = cmd["name"].as<String>();
  if (name == "toggle_relay") {
    relayOn = !relayOn;
    digitalWrite(RELAY_PIN, relayOn ? HIGH : LOW);
    answer["cmd_result"]["result"]["relay"] = relayOn;
  } else if (name == "set_interval" && cmd["params"]["seconds"].is<float>() && cmd["params"]["seconds"].as<float>() > 0) {
    intervalMs = (unsigned long)(cmd["params"]["seconds"].as<float>() * 1000);
    answer["cmd_result"]["result"]["interval"] = intervalMs / 1000.0;
  } else {
    answer["cmd_result"]["error"]["code"] = "bad_params";
    answer["cmd_result"]["error"]["message"] = "unknown command or bad params";
  }
  sendLine(answer);
}

void setup() {
  Serial.begin(115200);
  pinMode(RELAY_PIN, OUTPUT);
  WiFi.mode(WIFI_STA);
  WiFi.begin(WIFI_SSID, WIFI_PASSWORD);
  while (WiFi.status() != WL_CONNECTED) {
    delay(500);
    Serial.print(".");
  }
  Serial.println(WiFi.localIP());
  connectToHub();
}

void loop() {
  if (!client.connected()) connectToHub();   // the hub marks the device online again at hello
  while (client.available()) {
    String line = client.readStringUntil('\n');
    line.trim();
    JsonDocument message;
    if (line.length() == 0 || !readLine(line, message)) continue;
    if (message["cmd"].is<JsonObject>()) handleCommand(message["cmd"].as<JsonObject>());
    else if (message["error"].is<JsonObject>()) Serial.println(line);
  }
  if (millis() - lastReading >= intervalMs) {
    lastReading = millis();
    JsonDocument reading;     // after hello with a topic, a line is just the data
    reading["t"] = temperatureRead();
    reading["relay"] = relayOn;
    sendLine(reading);
  }
}
