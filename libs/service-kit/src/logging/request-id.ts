import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const SANE_REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** The client's X-Request-Id when it is sane, else a new UUID. Also stored on the raw request. */
export function requestIdOf(incoming: IncomingMessage): string {
  const req = incoming as IncomingMessage & { id?: string };
  if (req.id) return req.id;
  const header = req.headers['x-request-id'];
  const candidate = Array.isArray(header) ? header[0] : header;
  const id = candidate && SANE_REQUEST_ID.test(candidate) ? candidate : randomUUID();
  req.id = id;
  return id;
}
