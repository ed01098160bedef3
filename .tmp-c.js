const { AmqpConnectionManagerClass } = require('amqp-connection-manager');
(async () => {
  const m = new AmqpConnectionManagerClass(['amqp://guest:guest@127.0.0.1:1'], { reconnectTimeInSeconds: 1 });
  m.connect().catch(() => {});
  const ch = m.createChannel({ confirm: true });
  await new Promise(r => setTimeout(r, 100));
  let t = Date.now(); await ch.close(); console.log('ch close', Date.now() - t);
  t = Date.now(); await m.close(); console.log('close', Date.now() - t);
})();
