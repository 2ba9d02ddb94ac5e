/** SASL PLAIN (RFC 4616): `[authzid] NUL authcid NUL passwd`. */
export function parsePlain(payload: Buffer): { user: string; password: string } | undefined {
  const a = payload.indexOf(0);
  if (a < 0) return undefined;
  const b = payload.indexOf(0, a + 1);
  if (b < 0) return undefined;
  return { user: payload.toString('utf8', a + 1, b), password: payload.toString('utf8', b + 1) };
}
