/**
 * Requests the worker makes to itself on behalf of a service binding
 * (`AuthService`). They reach the same routes as the network does, but
 * cannot be forged from outside — only this module can mark one — and they
 * never renew a session, since nobody could receive the new cookies.
 */
const internal = new WeakSet<Request>();

export function internalRequest(url: string, init: RequestInit): Request {
  const request = new Request(url, init);
  internal.add(request);
  return request;
}

export const isInternal = (request: Request) => internal.has(request);
