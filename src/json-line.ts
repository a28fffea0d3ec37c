import type { Response } from 'express';

/**
 * `res.json` for every route: the JSON text and a newline, so that a JSON answer printed by curl
 * leaves the shell prompt on a line of its own (Express's own ends with the closing brace).
 */
export function jsonLine(this: Response, body: unknown): Response {
  if (!this.get('Content-Type')) this.type('application/json');
  return this.send(`${JSON.stringify(body)}\n`);
}
