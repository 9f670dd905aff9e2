// Node.js TCP echo server for the echo benchmark (the net module, as in
// uvloop's vmbench): every chunk read is written back.
//
//   node echo_node.js [PORT]
//
// Prints "LISTENING <port>" once it accepts connections on 127.0.0.1.
'use strict';
const net = require('net');

const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  socket.on('data', (data) => socket.write(data));
  socket.on('error', () => socket.destroy());
});
server.listen(Number(process.argv[2] || 0), '127.0.0.1', () => {
  console.log('LISTENING ' + server.address().port);
});
