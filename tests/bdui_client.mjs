// A websocket client for beads-ui's server, driven over stdin/stdout by tests/test_beads_ui.py.
// It uses the `ws` package from beads-ui's own node_modules (BDUI_NODE_MODULES), so the tests
// add no dependency. Each stdin line is one request envelope ({id, type, payload}), sent as
// is; every frame the server sends is printed as one line of JSON.
import { createRequire } from 'node:module';
import readline from 'node:readline';

const require = createRequire(process.env.BDUI_NODE_MODULES + '/');
const WebSocket = require('ws');

const socket = new WebSocket(process.argv[2]);
socket.on('open', () => {
  process.stdout.write(JSON.stringify({ type: 'client-open' }) + '\n');
  const lines = readline.createInterface({ input: process.stdin });
  lines.on('line', (text) => {
    if (text.trim().length > 0) {
      socket.send(text);
    }
  });
  lines.on('close', () => socket.close());
});
socket.on('message', (data) => {
  process.stdout.write(data.toString() + '\n');
});
socket.on('error', (err) => {
  process.stdout.write(JSON.stringify({ type: 'client-error', message: String(err) }) + '\n');
  process.exit(1);
});
socket.on('close', () => process.exit(0));
