// The fan-out benchmark's peer: a Socket.IO 4 server doing what Hubbub does for a chat room, as a
// Socket.IO user would write it. A client joins rooms ('join', room) and publishes ('publish',
// {room, data}, ack); each message is broadcast to the room ('msg', {room, seq, data}) and acknowledged.
// With MONGO_URI set, each message is first inserted into MongoDB (journaled, one document per message,
// as the benchmark's store is shared with Hubbub) and broadcast once stored. COMPRESSION=1 allows
// permessage-deflate. Prints "listening on <port>" once it listens (PORT=0: a free port).
'use strict';
const http = require('http');
const { Server } = require('socket.io');
const { MongoClient } = require('mongodb');

async function main() {
  const compression = process.env.COMPRESSION === '1';
  let messages = null;
  if (process.env.MONGO_URI) {
    const client = new MongoClient(process.env.MONGO_URI);
    await client.connect();
    messages = client.db('socketio').collection('messages');
  }
  const server = http.createServer();
  const io = new Server(server, {
    perMessageDeflate: compression ? { threshold: 0 } : false,
    maxHttpBufferSize: 1e6,
  });
  const seqs = new Map();
  io.on('connection', socket => {
    socket.on('join', room => {
      if (typeof room === 'string') {
        socket.join(room);
      }
    });
    socket.on('publish', async (message, ack) => {
      if (!message || typeof message.room !== 'string') {
        return;
      }
      const seq = (seqs.get(message.room) || 0) + 1;
      seqs.set(message.room, seq);
      const event = { room: message.room, seq, data: message.data };
      try {
        if (messages) {
          await messages.insertOne({ ...event }, { writeConcern: { j: true } });
        }
        io.to(message.room).emit('msg', event);
        if (typeof ack === 'function') {
          ack({ seq });
        }
      } catch (e) {
        if (typeof ack === 'function') {
          ack({ error: String(e) });
        }
      }
    });
  });
  server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
    console.log('listening on ' + server.address().port);
  });
  const stop = () => process.exit(0);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  setTimeout(() => {}, 1 << 30);
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
