// Sends HL7 v2 messages to an MLLP listener with node-hl7-client (a client no one here wrote) and prints one
// JSON line per ACK received: {"msa1": "AA", "msa2": "<original control id>"}. Messages go one at a time, the next
// after the previous ACK, as MLLP senders do.
//   node send.mjs <port> <version> [<ca.pem>]   (messages: a JSON array of strings on stdin)
import fs from "node:fs";
import Client, { Message } from "node-hl7-client";

const [port, version, caPath] = process.argv.slice(2);
const messages = JSON.parse(fs.readFileSync(0, "utf8"));
const timer = setTimeout(() => { console.error("timed out waiting for ACKs"); process.exit(2); }, 20000);

const client = new Client({ host: "127.0.0.1", version, ...(caPath ? { tls: { ca: fs.readFileSync(caPath) } } : {}) });
let next = 0;
const connection = client.createConnection({ port: Number(port), waitAck: true, maxConnectionAttempts: 3 }, async (res) => {
  const ack = res.getMessage();
  console.log(JSON.stringify({ msa1: ack.get("MSA.1").toString(), msa2: ack.get("MSA.2").toString() }));
  if (next < messages.length) {
    await connection.sendMessage(new Message({ text: messages[next++] }));
  } else {
    clearTimeout(timer);
    await connection.close();
    process.exit(0);
  }
});

// The first message once connected (sending earlier makes the client open a second socket).
connection.once("connect", () => connection.sendMessage(new Message({ text: messages[next++] })));
