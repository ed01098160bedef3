// Container health check without curl: GET http://127.0.0.1:$HTTP_PORT<path> (default /healthz),
// exit 0 on 2xx, 1 otherwise. Used by the Dockerfile HEALTHCHECK and docker-compose (/readyz).
'use strict';
const http = require('node:http');

const path = process.argv[2] || '/healthz';
const port = Number(process.env.HTTP_PORT || 9090);
const req = http.get({ host: '127.0.0.1', port, path, timeout: 3000 }, (res) => {
  res.resume();
  process.exit(res.statusCode >= 200 && res.statusCode < 300 ? 0 : 1);
});
req.on('timeout', () => req.destroy(new Error('timeout')));
req.on('error', () => process.exit(1));
