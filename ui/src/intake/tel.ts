// `tel:` links (RFC 3966): the softphone registers itself as the page's `tel:` handler, so a
// click on `tel:+81-3-1234-5678` anywhere arrives as `?tel=<the escaped URI>`.
import { cleanDialNumber, type DialRequest } from './dial-request';

export function parseTelUri(uri: string): DialRequest | null {
  let text = uri.trim();
  try {
    text = decodeURIComponent(text);
  } catch {
    return null;
  }
  const match = /^tel:([^;?#]*)/i.exec(text);
  const digits = match?.[1];
  if (digits === undefined) return null;
  const number = cleanDialNumber(digits);
  return number ? { number, context: null, source: 'tel' } : null;
}
